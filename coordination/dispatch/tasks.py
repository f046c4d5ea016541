"""Celery tasks of the dispatcher: thin, idempotent, taking ids and loading fresh rows."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from platform_gov.celery import enqueue_after_commit, requeue

from .selectors import issues_stale_submitted
from .services import followup, routing, supervision


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=10)
def issue_route(self, issue_id: int) -> dict | None:
    """Route one issue. Safe to deliver twice: the service routes an issue once."""
    routed_by = "eager" if self.request.is_eager else (self.request.hostname or "worker")
    outcome = routing.issue_route(issue_id=issue_id, routed_by=routed_by)
    if outcome is None:
        return None
    return {"issue": issue_id, "lead": outcome.decision.lead, "routed_by": routed_by}


def issue_route_after_commit(*, issue_id: int) -> None:
    """Enqueue the issue's routing once the filing commits. An issue is a row before it is a
    message: when the broker cannot take it, the issue stays ``submitted`` for the sweep."""
    enqueue_after_commit(issue_route, issue_id=issue_id)


@shared_task
def issues_route_stale() -> int:
    """Enqueue routing again for issues left ``submitted`` (filed while the broker was down)."""
    ids = issues_stale_submitted(older_than=timezone.now() - settings.ROUTING_STALE_AFTER)
    return requeue(issue_route, ids, argument="issue_id")


@shared_task
def deadlines_sweep() -> dict:
    """Warn, remind and escalate around deadlines; safe to run often and twice at once."""
    return supervision.deadlines_sweep()


@shared_task
def issues_close_unrated() -> int:
    """Close resolved issues whose resident did not answer the follow-up in time."""
    return followup.issues_close_unrated()
