"""Celery tasks of the dispatcher: thin, idempotent, taking ids and loading fresh rows."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import services


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=10)
def issue_route(self, issue_id: int) -> dict | None:
    """Route one issue. Safe to deliver twice: the service routes an issue once."""
    routed_by = "eager" if self.request.is_eager else (self.request.hostname or "worker")
    outcome = services.issue_route(issue_id=issue_id, routed_by=routed_by)
    if outcome is None:
        return None
    return {"issue": issue_id, "lead": outcome.decision.lead, "routed_by": routed_by}


@shared_task
def issues_route_stale() -> int:
    """Enqueue routing again for issues left ``submitted`` (filed while the broker was down)."""
    cutoff = timezone.now() - settings.ROUTING_STALE_AFTER
    ids = services.issues_stale_submitted(older_than=cutoff)
    for issue_id in ids:
        issue_route.delay(issue_id)
    return len(ids)
