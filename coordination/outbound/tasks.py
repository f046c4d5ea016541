"""Celery tasks that send what the platform owes people and partners: thin and idempotent.

Every message is an outbox row first (``outbox.py``); these tasks only relay rows. A lost
task message costs nothing but time: the sweep sends whatever is due.
"""

from __future__ import annotations

import uuid

from celery import shared_task

from platform_gov.celery import RETRIED

from .models import OutboxMessage
from .relay import outbox_send, outbox_send_due, resident_mail, staff_mail


@shared_task(**RETRIED)
def outbox_relay(message_id: int | None = None, message_ids: list[int] | None = None):
    """Send outbox messages now, those still due (enqueued after their transaction's
    commit): ``message_ids``, or the one ``message_id`` of a message enqueued before
    relays were batched."""
    ids = list(message_ids or []) + ([message_id] if message_id is not None else [])
    return outbox_send(ids=ids, limit=max(len(ids), 1))


@shared_task(**RETRIED)
def webhook_relay(message_id: int) -> dict[str, int]:
    """``outbox_relay`` for a webhook delivery, on the ``webhooks`` queue: a partner that
    does not answer holds a webhook worker, never the e-mail to a resident."""
    return outbox_send(ids=[message_id])


@shared_task(**RETRIED)
def outbox_sweep() -> dict[str, int]:
    """Send every message due: first tries whose relay message was lost, retries whose time
    has come, and messages whose sender died (their lease ran out)."""
    return outbox_send_due()


# Messages enqueued before the outbox existed may still wait in a queue at the upgrade: each
# becomes an outbox row, so nothing already owed is lost.


def _row_then_send(fields: dict, key: str) -> dict[str, int]:
    message, _ = OutboxMessage.objects.get_or_create(dedupe_key=key, defaults=fields)
    return outbox_send(ids=[message.pk])


@shared_task(bind=True, **RETRIED)
def notify_resident(self, issue_id: int, event: str) -> dict[str, int]:
    key = f"task:{self.request.id or uuid.uuid4().hex}"
    return _row_then_send(resident_mail(issue_id=issue_id, event=event), key)


@shared_task(bind=True, **RETRIED)
def notify_agency(
    self, agency_id: int, issue_id: int, event: str, managers_only: bool = False
) -> dict[str, int]:
    key = f"task:{self.request.id or uuid.uuid4().hex}"
    fields = staff_mail(
        agency_id=agency_id, issue_id=issue_id, event=event, managers_only=managers_only
    )
    return _row_then_send(fields, key)


@shared_task(**RETRIED)
def webhook_deliver(delivery_id: int) -> dict[str, int]:
    message = OutboxMessage.objects.filter(delivery_id=delivery_id).first()
    return outbox_send(ids=[message.pk]) if message else {}
