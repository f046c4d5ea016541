"""Operational endpoints of the platform as a whole."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from agencies.services import member_language_set

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("health check: database unavailable", exc_info=True)
        return False


def _broker_state() -> str:
    """``eager`` without a broker; else ``ok`` or ``down`` from a ping of Redis."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        return "ok" if client.ping() else "down"
    except (redis.RedisError, ValueError):  # ValueError: not a Redis URL at all
        logger.warning("health check: broker unavailable")
        return "down"


@never_cache
@require_safe  # GET and HEAD: load balancers often probe with HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    """``200`` with each part's state when all required parts answer, else ``503``."""
    database = "ok" if _database_ok() else "down"
    broker = _broker_state()
    healthy = database == "ok" and broker in ("ok", "eager")
    return JsonResponse(
        {"status": "ok" if healthy else "down", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )


@require_POST
def set_language(request: HttpRequest):
    """Django's language switch, and for staff the language their e-mails are written in."""
    response = django_set_language(request)
    member_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


@require_safe
def favicon(request: HttpRequest):
    """Browsers ask for /favicon.ico on every page that names none (the admin, the API docs)."""
    return redirect(static("favicon.svg"), permanent=True)
