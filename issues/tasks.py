"""Celery tasks of the issues app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .photos import photos_sweep_orphans


@shared_task
def photos_sweep() -> int:
    """Delete photo files no row refers to and older than ``PHOTOS_SWEEP_AFTER`` (beat, hourly)."""
    return len(photos_sweep_orphans(older_than=settings.PHOTOS_SWEEP_AFTER))
