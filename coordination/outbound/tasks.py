"""Celery tasks that send what the platform owes people and partners: thin and idempotent.

Every message is an outbox row first (``outbox.py``); these tasks only relay rows. A lost
task message costs nothing but time: the sweep sends whatever is due.
"""

from __future__ import annotations

from celery import shared_task

from platform_gov.celery import RETRIED

from .models import OutboxMessage
from .outbox import (
    outbox_mail_resident,
    outbox_mail_staff,
    outbox_send,
    outbox_send_due,
)


@shared_task(**RETRIED)
def outbox_relay(message_id: int) -> dict[str, int]:
    """Send one outbox message now, if it is still due (enqueued after its commit)."""
    return outbox_send(ids=[message_id])


@shared_task(**RETRIED)
def outbox_sweep() -> dict[str, int]:
    """Send every message due: first tries whose relay message was lost, retries whose time
    has come, and messages whose sender died (their lease ran out)."""
    return outbox_send_due()


# Messages enqueued before the outbox existed may still wait in a queue at the upgrade: each
# becomes an outbox row, so nothing already owed is lost.


@shared_task(**RETRIED)
def notify_resident(issue_id: int, event: str) -> int:
    return outbox_mail_resident(issue_id=issue_id, event=event).pk


@shared_task(**RETRIED)
def notify_agency(agency_id: int, issue_id: int, event: str, managers_only: bool = False) -> int:
    return outbox_mail_staff(
        agency_id=agency_id, issue_id=issue_id, event=event, managers_only=managers_only
    ).pk


@shared_task(**RETRIED)
def webhook_deliver(delivery_id: int) -> dict[str, int]:
    message = OutboxMessage.objects.filter(delivery_id=delivery_id).first()
    return outbox_send(ids=[message.pk]) if message else {}
