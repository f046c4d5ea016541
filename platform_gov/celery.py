"""The Celery application shared by the web process, workers and beat.

Configuration comes from Django settings under the ``CELERY_`` prefix, so the
environment decides whether tasks go to Redis or run eagerly in the web process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")

app = Celery("platform_gov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
