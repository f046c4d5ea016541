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


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool
    attempts: int
    error: str = ""
    retry: bool = False


def webhook_backoff(attempts: int) -> int:
    """Seconds to wait after ``attempts`` failed attempts: 20 s, 40 s, … at most an hour."""
    return min(2**attempts * 10, 3600)


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptOutcome | None:
    """Make one attempt at a pending delivery and record it as a ``WebhookAttempt``.

    Returns None when there is nothing to do (gone, delivered or given up: safe to run
    twice). A 2xx answer marks it delivered; otherwise ``retry`` says whether to try again,
    and after ``MAX_ATTEMPTS`` attempts, or when the endpoint was deactivated or its URL is
    no longer allowed, it is marked failed. The POST runs outside any transaction; two
    workers at once may both POST (partners dedupe on ``X-Platform-Delivery``).
    """
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    started = timezone.now()
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
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=started,
            status_code=status_code,
            error=error[:2000],
            duration_ms=duration_ms,
        )
        attempts = delivery.attempts + 1
        give_up = not delivered and (problem is not None or attempts >= MAX_ATTEMPTS)
        changes: dict = {"attempts": F("attempts") + 1}
        if delivered:
            changes.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now())
        elif give_up:
            changes["status"] = WebhookDelivery.Status.FAILED
        # Only a pending row: another worker may have delivered it meanwhile.
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING
        ).update(**changes)
    if give_up:
        logger.warning("webhook delivery %s failed after %s attempts", delivery.pk, attempts)
    return AttemptOutcome(
        delivered=delivered,
        attempts=attempts,
        error=error,
        retry=not delivered and not give_up,
    )


def webhook_deliveries_stranded(*, older_than) -> list[int]:
    """Deliveries still pending with no attempt since before ``older_than``: their message was
    lost (the broker was down when they were enqueued) and the sweep sends them again."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, attempts=0, created_at__lt=older_than
        ).values_list("pk", flat=True)[:500]
    )
