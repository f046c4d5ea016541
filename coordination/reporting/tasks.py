"""Celery tasks of the reporting room: keeping the rollup current.

A frequent task rather than a write on every handoff: the facts a row counts change on many
paths (signing for, finishing, redo, ratings, appeals, approved bounces, and the clock itself
for ``overdue``), in several rooms; recounting the recent days every few minutes is one place,
costs nothing on the dispatcher's hot path, and can never drift. Older days change rarely
(a late rating, an appeal): the nightly recount of everything catches them.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .services import rollup_rebuild, rollup_refresh


@shared_task(acks_late=True)
def rollup_refresh_recent() -> int:
    """Beat: recount the last ``ROLLUP_REFRESH_DAYS`` days."""
    today = timezone.localdate()
    return rollup_refresh(today - timedelta(days=settings.ROLLUP_REFRESH_DAYS - 1), today)


@shared_task(acks_late=True)
def rollup_rebuild_all() -> int:
    """Beat, nightly: recount every day."""
    return rollup_rebuild()
