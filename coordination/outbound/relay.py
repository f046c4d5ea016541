"""The outbox's relay: claim what is due, send it, record the outcome (see ``outbox.py``).

Imported by the tasks; it never enqueues anything itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from issues.models import Issue

from .mail import latest_leads, resident_message, staff_addresses_by_language, staff_message
from .models import OutboxMessage, WebhookDelivery
from .webhooks.services import (
    webhook_attempt_begin,
    webhook_attempt_make,
    webhook_backoff,
    webhook_delivery_give_up,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_BATCH = 10
Status = OutboxMessage.Status
Kind = OutboxMessage.Kind


def resident_mail(*, issue_id: int, event: str) -> dict:
    """The fields of the outbox row for an e-mail to the resident of ``issue_id``."""
    return {
        "kind": Kind.MAIL,
        "payload": {"audience": "resident", "issue_id": issue_id, "event": event},
        "recipient": f"resident of issue {issue_id}",
    }


def staff_mail(*, agency_id: int, issue_id: int, event: str, managers_only: bool = False) -> dict:
    """The fields of the outbox row for an e-mail to an organisation's staff (or managers)."""
    return {
        "kind": Kind.MAIL,
        "payload": {
            "audience": "staff",
            "agency_id": agency_id,
            "issue_id": issue_id,
            "event": event,
            "managers_only": managers_only,
        },
        "recipient": f"{'managers' if managers_only else 'staff'} of organisation {agency_id}",
    }


# ----------------------------------------------------------------------------- sending


def message_id(message: OutboxMessage, part: str = "") -> str:
    """The e-mail's ``Message-ID``: made from the row (and, for staff, the language of the
    copy), so a resend after a crash is recognisable as the same message."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    suffix = f".{part}" if part else ""
    return f"<outbox-{message.pk}{suffix}@{domain}>"


@dataclass(frozen=True)
class Outcome:
    sent: bool
    error: str = ""
    permanent: bool = False
    skipped: bool = False


# An e-mail's batches: [(part, (subject, body), recipients)], one per language of its
# readers; or a string, the reason there is nothing to send.
Batches = list[tuple[str, tuple[str, str], list[str]]] | str

# Other rooms' e-mails, by the ``audience`` of their payload: a function of the payload that
# renders the batches at sending time (the hot room registers its warnings and topic news).
MAIL_AUDIENCES: dict[str, Callable[[dict], Batches]] = {}


class _Sending:
    """What one relay run reads once for all the messages it claimed: their issues, the
    issues' leads and the organisations (one query each), each organisation's addresses, and
    one connection to the mail server for all its e-mails (opened at the first, closed at the
    end)."""

    def __init__(self, messages: list[OutboxMessage]) -> None:
        mails = [m.payload for m in messages if m.kind == Kind.MAIL]
        ours = [p for p in mails if p.get("audience") in ("resident", "staff")]
        self.issues = Issue.objects.in_bulk({p.get("issue_id") for p in ours} - {None})
        self.agencies = Agency.objects.in_bulk(
            {p.get("agency_id") for p in ours if p.get("audience") == "staff"} - {None}
        )
        self.leads = latest_leads(
            {p.get("issue_id") for p in ours if p.get("audience") == "resident"} - {None}
        )
        self.addresses: dict[tuple[int, bool], dict[str, list[str]]] = {}
        self.connection = None

    def staff_addresses(self, agency: Agency, managers_only: bool) -> dict[str, list[str]]:
        key = (agency.pk, managers_only)
        if key not in self.addresses:
            self.addresses[key] = staff_addresses_by_language(
                agency=agency, managers_only=managers_only
            )
        return self.addresses[key]

    def mail_connection(self):
        """The open connection to the mail server; raises OSError/SMTPException when it
        cannot be opened (the message's outcome records it, and the next one tries again)."""
        if self.connection is None:
            connection = get_connection()
            connection.open()
            self.connection = connection
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except (OSError, SMTPException):
                logger.warning("closing the mail connection failed", exc_info=True)
            self.connection = None


def _issue_batches(data: dict, sending: _Sending) -> Batches:
    """The dispatcher's e-mails: to an issue's resident, or to an organisation's staff."""
    issue = sending.issues.get(data.get("issue_id"))
    if issue is None:
        return "the issue no longer exists"
    if data.get("audience") == "resident":
        rendered = resident_message(issue=issue, event=data["event"], leads=sending.leads)
        if rendered is None:
            return "no address to write to"
        return [("", rendered, [issue.contact_email])]
    agency = sending.agencies.get(data.get("agency_id"))
    if agency is None:
        return "the organisation no longer exists"
    grouped = sending.staff_addresses(agency, bool(data.get("managers_only")))
    batches = [
        (language, staff_message(issue=issue, event=data["event"], language=language), to)
        for language, to in grouped.items()
    ]
    return batches or "no member with an address"


def _send_mail(message: OutboxMessage, sending: _Sending) -> Outcome:
    data = message.payload
    audience = MAIL_AUDIENCES.get(data.get("audience"))
    batches = audience(data) if audience else _issue_batches(data, sending)
    if isinstance(batches, str):
        return Outcome(sent=False, skipped=True, error=batches)
    try:
        connection = sending.mail_connection()
        for part, (subject, body), recipients in batches:
            EmailMessage(
                subject,
                body,
                None,
                recipients,
                headers={"Message-ID": message_id(message, part)},
                connection=connection,
            ).send()
    except (OSError, SMTPException) as exc:
        sending.close()  # a broken connection: the next message opens a fresh one
        return Outcome(sent=False, error=f"{type(exc).__name__}: {exc}")
    return Outcome(sent=True)


def _send_webhook(message: OutboxMessage, sending: _Sending) -> Outcome:
    delivery = message.delivery
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return Outcome(sent=False, skipped=True, error="the delivery is no longer pending")
    outcome = webhook_attempt_make(delivery=delivery, attempt=message.attempt)
    return Outcome(sent=outcome.delivered, error=outcome.error, permanent=outcome.permanent)


def _claim(*, now: datetime, ids: list[int] | None, limit: int) -> list[OutboxMessage]:
    """Lock, count and lease the due messages; record webhook attempts before their POST."""
    with transaction.atomic():
        due = (
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("delivery__endpoint")
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
        )
        if ids is not None:
            due = due.filter(pk__in=ids)
        claimed = list(due[:limit])
        for message in claimed:
            message.attempts += 1
            message.next_attempt_at = now + settings.OUTBOX_LEASE
            message.attempt = None
            delivery = message.delivery if message.kind == Kind.WEBHOOK else None
            if delivery is not None and delivery.status == WebhookDelivery.Status.PENDING:
                message.attempt = webhook_attempt_begin(delivery=delivery, at=now)
        OutboxMessage.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
    return claimed


def _record(message: OutboxMessage, outcome: Outcome, *, now: datetime) -> str:
    if outcome.sent:
        changes = {"status": Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    elif outcome.skipped:
        changes = {"status": Status.SKIPPED, "last_error": outcome.error}
    elif outcome.permanent or message.attempts >= MAX_ATTEMPTS:
        changes = {
            "status": Status.GIVEN_UP,
            "last_error": f"given up after {message.attempts} attempts: {outcome.error}"[:2000],
        }
        if message.delivery_id:
            webhook_delivery_give_up(delivery_id=message.delivery_id, attempts=message.attempts)
        logger.warning("outbox message %s given up: %s", message.pk, outcome.error)
    else:
        changes = {
            "next_attempt_at": now + timedelta(seconds=webhook_backoff(message.attempts)),
            "last_error": outcome.error[:2000],
        }
    OutboxMessage.objects.filter(pk=message.pk, status=Status.PENDING).update(**changes)
    return changes.get("status", Status.PENDING)


SENDERS = {Kind.MAIL: _send_mail, Kind.WEBHOOK: _send_webhook}


def outbox_send(
    *, ids: list[int] | None = None, now: datetime | None = None, limit: int = CLAIM_BATCH
) -> dict[str, int]:
    """Claim up to ``limit`` due messages (only ``ids`` when given), send each and record
    its outcome. Returns how many ended in each status (``pending``: to be tried again)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    claimed = _claim(now=now, ids=ids, limit=limit)
    if not claimed:
        return counts
    sending = _Sending(claimed)
    try:
        for message in claimed:
            outcome = SENDERS[message.kind](message, sending)
            status = _record(message, outcome, now=now)
            counts[status] = counts.get(status, 0) + 1
    finally:
        sending.close()
    return counts


def outbox_send_due(*, now: datetime | None = None, budget_seconds: float = 50) -> dict[str, int]:
    """The sweep: send what is due, a batch at a time, until nothing is or the budget is
    spent (the next sweep goes on)."""
    started = time.monotonic()
    totals: dict[str, int] = {}
    while time.monotonic() - started < budget_seconds:
        counts = outbox_send(now=now)
        if not counts:
            break
        for status, count in counts.items():
            totals[status] = totals.get(status, 0) + count
    return totals
