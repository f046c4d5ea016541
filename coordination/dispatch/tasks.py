"""Celery tasks of the dispatcher: thin, idempotent, taking ids and loading fresh rows."""

from __future__ import annotations

import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from coordination.learning.tasks import issues_duplicates_find
from issues.models import Issue
from platform_gov.celery import RETRIED, TRANSIENT_ERRORS, enqueue

from .selectors import issues_routing_batch, issues_stale_submitted
from .services import followup, routing, supervision

logger = logging.getLogger(__name__)


@shared_task(bind=True, **RETRIED)
def issue_route(self, issue_id: int) -> dict | None:
    """Route an issue, and with it those waiting in the queue behind it (up to
    ``ROUTING_BATCH``): under load one message routes a batch in one transaction, and the
    messages of the issues it took find nothing left to do. Safe to deliver twice: an issue
    is routed once; retried with backoff when the database or the broker hiccups.

    Should the batch fail (one issue the rules cannot settle, say), the issue of this message
    is routed alone, so one bad issue never holds the others back."""
    routed_by = "eager" if self.request.is_eager else (self.request.hostname or "worker")
    batch = issues_routing_batch(issue_id=issue_id, size=settings.ROUTING_BATCH)
    try:
        outcomes = routing.issues_route(issue_ids=batch, routed_by=routed_by)
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        if batch == [issue_id]:
            raise
        logger.exception("routing a batch of %s failed; routing issue %s alone", batch, issue_id)
        outcomes = routing.issues_route(issue_ids=[issue_id], routed_by=routed_by)
    if outcomes:
        # Pairing with possible duplicates waits for no one: the issues are routed already.
        enqueue(issues_duplicates_find, issue_ids=[o.issue_id for o in outcomes])
    mine = next((o for o in outcomes if o.issue_id == issue_id), None)
    if mine is None:
        return None
    return {
        "issue": issue_id,
        "lead": mine.decision.lead,
        "routed_by": routed_by,
        "batch": len(outcomes),
    }


def issue_route_enqueue(issue_id: int) -> None:
    enqueued_at = timezone.now()
    if enqueue(issue_route, issue_id=issue_id):
        # Recorded only once the broker took it: the sweep leaves it to that message.
        Issue.objects.filter(pk=issue_id, status=Issue.Status.SUBMITTED).update(
            routing_enqueued_at=enqueued_at
        )


def issue_route_after_commit(*, issue_id: int) -> None:
    """Enqueue the issue's routing once the filing commits. An issue is a row before it is a
    message: when the broker cannot take it, the issue stays ``submitted`` for the sweep."""
    transaction.on_commit(partial(issue_route_enqueue, issue_id))


@shared_task(**RETRIED)
def issues_route_stale() -> int:
    """Enqueue routing again for issues left ``submitted`` (filed while the broker was down, or
    whose message was lost), skipping those enqueued within ``ROUTING_REQUEUE_AFTER``: under
    load their message is still waiting in the queue, and another would only add to it."""
    now = timezone.now()
    ids = issues_stale_submitted(
        older_than=now - settings.ROUTING_STALE_AFTER,
        enqueued_before=now - settings.ROUTING_REQUEUE_AFTER,
    )
    enqueued = [pk for pk in ids if enqueue(issue_route, issue_id=pk)]
    Issue.objects.filter(pk__in=enqueued).update(routing_enqueued_at=now)
    return len(enqueued)


@shared_task(**RETRIED)
def deadlines_sweep() -> dict:
    """Warn, remind and escalate around deadlines; safe to run often and twice at once."""
    return supervision.deadlines_sweep()


@shared_task(**RETRIED)
def issues_close_unrated() -> int:
    """Close resolved issues whose resident did not answer the follow-up in time."""
    return followup.issues_close_unrated()
