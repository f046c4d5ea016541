"""WSGI entry point for gunicorn: ``gunicorn platform_gov.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")

application = get_wsgi_application()
