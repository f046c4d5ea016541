"""The transactional outbox: every message the platform owes someone is a row first.

A subscriber writes an :class:`OutboxMessage` in the transaction of the change that causes
it (so the message exists exactly when the change does) and asks for the relay after the
commit. The relay (``relay.outbox_send``, run by the ``outbox_relay`` task and by the
``outbox_sweep`` on the ``sweeps`` queue) claims what is due, sends it and records the outcome:

1. *claim*, in a short transaction: the due rows are locked (``SKIP LOCKED``: two relays
   never take the same row), their attempt is counted and they are leased
   (``next_attempt_at`` moves ``OUTBOX_LEASE`` ahead); a webhook's attempt is written to its
   delivery log here, before the POST;
2. *send*, outside any transaction: the e-mail (with a ``Message-ID`` made from the row id,
   the same on every resend) or the signed POST (``X-Platform-Delivery``, the same on every
   attempt);
3. *record*: sent, or the next attempt scheduled in the database with exponential backoff,
   or given up after ``MAX_ATTEMPTS`` with the reason.

A sender that dies between 1 and 3 leaves the row leased; once the lease runs out the sweep
sends it again. So a message is sent at least once and a repeat carries the same id, by
which a receiver recognises it.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from .background import outbox_relay_send_many
from .models import OutboxMessage, WebhookDelivery
from .relay import MAX_ATTEMPTS, Kind, Status, resident_mail, staff_mail

__all__ = [
    "MAX_ATTEMPTS",
    "outbox_mail_resident",
    "outbox_mail_staff",
    "outbox_record",
    "outbox_record_many",
    "outbox_retry_now",
    "outbox_webhook",
]


class _Relay:
    """The relays one transaction owes, sent together once it commits: one broker message
    for all its e-mails, however many it wrote (a batch of routings writes hundreds)."""

    def __init__(self) -> None:
        self.ids: dict[str, list[int]] = {}

    def __call__(self) -> None:
        for kind, ids in self.ids.items():
            outbox_relay_send_many(ids, kind)


def _relay_after_commit(message_id: int, kind: str) -> None:
    """Relay the message once the transaction commits (at once outside one), with the other
    messages of that transaction. Rolled back, the transaction takes its relay with it."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        outbox_relay_send_many([message_id], kind)
        return
    # Only a relay of this very block (the same savepoints open): one registered in a block
    # since left belongs to that block's fate.
    here = set(connection.savepoint_ids)
    pending = (c for sids, c, _robust in connection.run_on_commit if sids == here)
    relay = next((c for c in pending if isinstance(c, _Relay)), None)
    if relay is None:
        relay = _Relay()
        transaction.on_commit(relay)
    relay.ids.setdefault(kind, []).append(message_id)


def outbox_record(
    *,
    kind: str,
    payload: dict,
    recipient: str = "",
    delivery: WebhookDelivery | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Write one message owed, in the caller's transaction, and relay it after the commit.

    ``dedupe_key`` names the cause when the caller may record the same message twice (the
    second write returns the first row); without it every call is a message of its own."""
    if dedupe_key is None:
        message = OutboxMessage.objects.create(
            kind=kind,
            payload=payload,
            recipient=recipient,
            delivery=delivery,
            dedupe_key=uuid.uuid4().hex,
        )
    else:
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "kind": kind,
                "payload": payload,
                "recipient": recipient,
                "delivery": delivery,
            },
        )
        if not created:
            return message
    _relay_after_commit(message.pk, message.kind)
    return message


def outbox_record_many(messages: list[dict]) -> list[OutboxMessage]:
    """:func:`outbox_record` (without ``dedupe_key``) for many messages: one insert, and
    their relay after the commit."""
    rows = OutboxMessage.objects.bulk_create(
        [OutboxMessage(dedupe_key=uuid.uuid4().hex, **fields) for fields in messages]
    )
    for row in rows:
        _relay_after_commit(row.pk, row.kind)
    return rows


def outbox_mail_resident(*, issue_id: int, event: str) -> OutboxMessage:
    return outbox_record(**resident_mail(issue_id=issue_id, event=event))


def outbox_mail_staff(
    *, agency_id: int, issue_id: int, event: str, managers_only: bool = False
) -> OutboxMessage:
    return outbox_record(
        **staff_mail(
            agency_id=agency_id, issue_id=issue_id, event=event, managers_only=managers_only
        )
    )


def outbox_webhook(delivery: WebhookDelivery) -> OutboxMessage:
    return outbox_record(
        kind=Kind.WEBHOOK,
        payload={"delivery_id": delivery.pk, "event": delivery.event},
        recipient=delivery.endpoint.url,
        delivery=delivery,
        dedupe_key=f"webhook:{delivery.event_id}",
    )


def outbox_retry_now(ids: list[int]) -> int:
    """Send these messages again at once (the admin's action): given up ones too. Returns how
    many were scheduled."""
    now = timezone.now()
    with transaction.atomic():
        scheduled = dict(
            OutboxMessage.objects.filter(pk__in=ids)
            .exclude(status=Status.SENT)
            .values_list("pk", "kind")
        )
        OutboxMessage.objects.filter(pk__in=list(scheduled)).update(
            status=Status.PENDING, next_attempt_at=now, attempts=0
        )
        WebhookDelivery.objects.filter(
            outbox_message__pk__in=list(scheduled), status=WebhookDelivery.Status.FAILED
        ).update(status=WebhookDelivery.Status.PENDING)
        for pk, kind in scheduled.items():
            _relay_after_commit(pk, kind)
    return len(scheduled)
