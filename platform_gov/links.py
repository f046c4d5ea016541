"""Absolute links, built on the platform's public address (``SITE_URL``), never on the host
a request happened to name: e-mails are sent by workers that have no request, and a link in
one must work from the resident's phone."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """``SITE_URL`` + ``path`` (a path from ``reverse()``, starting with ``/``)."""
    return f"{settings.SITE_URL.rstrip('/')}/{path.lstrip('/')}"
