"""Webhook endpoints registered, deliveries recorded, and attempts made and logged."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from coordination.dispatch.models import Assignment

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from . import transport
from .addresses import webhook_url_problem
from .signing import body_bytes, signed_headers

logger = logging.getLogger(__name__)

EVENTS = {
    "assignment.created": _("An assignment was created for the organisation"),
    "assignment.decided": _("A coordination request on an assignment was decided"),
    "assignment.deadline_near": _("An assignment's deadline is near"),
    "assignment.resolved": _("The organisation's lead assignment was resolved"),
}
MAX_ATTEMPTS = 8
MIN_SECRET_LENGTH = 16


def webhook_endpoint_register(
    *,
    agency: Agency,
    url: str,
    secret: str | None = None,
    events: list[str] | None = None,
) -> WebhookEndpoint:
    """Register an endpoint of ``agency`` for ``events`` (none: every event).

    Without ``secret`` a random 256-bit one is made; the caller shows it to the partner
    once. Raises ValidationError naming the field (``url``, ``events``, ``secret``) when the
    URL is not ``https://`` (see ``webhook_url_problem``), an event is unknown, or the
    secret is shorter than 16 characters.
    """
    url = (url or "").strip()
    events = list(dict.fromkeys(events or []))
    errors: dict[str, str] = {}
    if problem := webhook_url_problem(url):
        errors["url"] = problem
    if unknown := [e for e in events if e not in EVENTS]:
        errors["events"] = str(_("Unknown events: %(events)s")) % {"events": ", ".join(unknown)}
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        errors["secret"] = str(_("The secret must have at least 16 characters."))
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        agency=agency, url=url, secret=secret or secrets.token_hex(32), events=events
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def assignment_payload(assignment: Assignment, *, occurred_at: datetime) -> dict:
    """What a partner learns of an event: the assignment and the issue, never the resident.

    ``event`` and ``event_id`` are added per delivery.
    """
    issue = assignment.issue

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "occurred_at": occurred_at.isoformat(),
        "assignment": {
            "id": assignment.pk,
            "issue_id": issue.pk,
            "tracking_number": issue.tracking_number,
            "role": assignment.role,
            "status": assignment.status,
            "response_due_at": iso(assignment.response_due_at),
            "due_at": iso(assignment.due_at),
        },
        "issue": {
            "title": issue.title,
            "category": issue.category.code if issue.category_id else None,
            "status": issue.status,
            "address": issue.address,
            "lat": issue.lat,
            "lon": issue.lon,
        },
    }


def _endpoints_for(*, agency_id: int, event: str) -> list[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(agency_id=agency_id, active=True).order_by("pk")
    return [e for e in endpoints if not e.events or event in e.events]


def webhook_agencies_listening(*, agency_ids: set[int], event: str) -> set[int]:
    """Which of the organisations have an active endpoint subscribed to ``event`` (one query
    for a batch: most have none)."""
    endpoints = WebhookEndpoint.objects.filter(agency_id__in=agency_ids, active=True)
    return {
        agency_id
        for agency_id, events in endpoints.values_list("agency_id", "events")
        if not events or event in events
    }


def webhook_deliveries_record(
    *, agency_id: int, event: str, payload: dict | Callable[[], dict]
) -> list[WebhookDelivery]:
    """Write one pending delivery per active endpoint of the agency subscribed to ``event``.

    Call it inside the transaction that caused the event, so the rows commit with it; the
    caller sends them after the commit (``outbound.subscribers``), and the sweep sends any
    whose message was lost. ``payload`` may be a function, called only when some endpoint
    listens. Each delivery gets its own ``event_id``. Most agencies have no endpoint: one
    query, and nothing else, for them.
    """
    endpoints = _endpoints_for(agency_id=agency_id, event=event)
    if not endpoints:
        return []
    data = payload() if callable(payload) else payload
    deliveries = []
    # In a savepoint: should the writes fail, the caller's transaction stays usable (on
    # PostgreSQL a failed statement would otherwise abort it) and the workflow goes on.
    with transaction.atomic():
        for endpoint in endpoints:
            event_id = uuid.uuid4()
            deliveries.append(
                WebhookDelivery.objects.create(
                    endpoint=endpoint,
                    event_id=event_id,
                    event=event,
                    payload={**data, "event": event, "event_id": str(event_id)},
                )
            )
    return deliveries


def webhook_backoff(attempts: int) -> int:
    """Seconds to wait after ``attempts`` failed attempts: 20 s, 40 s, … at most an hour."""
    return min(2**attempts * 10, 3600)


# What an attempt's row says from just before its POST until its outcome is recorded; left
# as it is when the sender died in between (the partner may or may not have received it).
IN_PROGRESS = "no outcome recorded: the sender stopped during the attempt"


def webhook_attempt_begin(*, delivery: WebhookDelivery, at: datetime) -> WebhookAttempt:
    """Record an attempt before making it (inside the relay's claim transaction): the
    delivery log shows every POST that may have reached the partner, also when the sender
    dies before it learns the answer."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    return WebhookAttempt.objects.create(delivery=delivery, at=at, error=IN_PROGRESS)


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool
    error: str = ""
    permanent: bool = False  # not worth another try (the endpoint is off or not allowed)


def webhook_attempt_make(*, delivery: WebhookDelivery, attempt: WebhookAttempt) -> AttemptOutcome:
    """POST the delivery (outside any transaction) and record the answer on ``attempt``.

    The request carries the delivery's ``event_id`` as ``X-Platform-Delivery``: the same on
    every attempt, so a partner drops a repeat. A 2xx answer marks the delivery delivered;
    a deactivated endpoint or a URL no longer allowed is a permanent failure."""
    endpoint = delivery.endpoint
    clock = time.monotonic()
    problem = (
        str(_("The endpoint is deactivated.")) if not endpoint.active else None
    ) or webhook_url_problem(endpoint.url)
    if problem:
        status_code, error = None, problem
    else:
        body = body_bytes(delivery.payload)
        headers = signed_headers(
            secret=endpoint.secret,
            event=delivery.event,
            event_id=str(delivery.event_id),
            body=body,
            timestamp=int(time.time()),
        )
        status_code, error = transport.post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - clock) * 1000)
    delivered = status_code is not None and 200 <= status_code < 300
    WebhookAttempt.objects.filter(pk=attempt.pk).update(
        status_code=status_code, error=error[:2000], duration_ms=duration_ms
    )
    if delivered:
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING
        ).update(status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now())
    return AttemptOutcome(delivered=delivered, error=error, permanent=problem is not None)


def webhook_delivery_give_up(*, delivery_id: int, attempts: int) -> None:
    """Mark a delivery failed for good (the outbox gave up on it)."""
    WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED
    )
    logger.warning("webhook delivery %s failed after %s attempts", delivery_id, attempts)
