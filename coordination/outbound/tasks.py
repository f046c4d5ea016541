"""Celery tasks that send what the platform owes people and partners: thin and idempotent."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from agencies.models import Agency
from issues.models import Issue
from platform_gov.celery import requeue

from .mail import resident_message, staff_addresses_by_language, staff_message
from .webhooks.services import (
    MAX_ATTEMPTS,
    webhook_backoff,
    webhook_deliveries_stranded,
    webhook_delivery_attempt,
)


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def notify_resident(issue_id: int, event: str) -> bool:
    """Email the resident about their issue. Retried with backoff when mail fails."""
    issue = Issue.objects.filter(pk=issue_id).first()
    message = resident_message(issue=issue, event=event) if issue else None
    if message is None:
        return False
    subject, body = message
    send_mail(subject, body, None, [issue.contact_email])
    return True


@shared_task(
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def notify_agency(agency_id: int, issue_id: int, event: str, managers_only: bool = False) -> int:
    """Email an agency's members (or only its managers) about work on an issue."""
    agency = Agency.objects.filter(pk=agency_id).first()
    issue = Issue.objects.filter(pk=issue_id).first()
    if agency is None or issue is None:
        return 0
    sent = 0
    # One message per language, each in the language its readers use the platform in.
    grouped = staff_addresses_by_language(agency=agency, managers_only=managers_only)
    for language, recipients in grouped.items():
        subject, body = staff_message(issue=issue, event=event, language=language)
        send_mail(subject, body, None, recipients)
        sent += len(recipients)
    return sent


class WebhookDeliveryFailed(Exception):
    """An attempt at a webhook delivery got no 2xx answer; Celery retries it."""


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def webhook_deliver(self, delivery_id: int) -> str | None:
    """POST one signed webhook delivery; retried with exponential backoff until it succeeds.

    Every attempt is recorded; after ``MAX_ATTEMPTS`` the delivery is marked failed (the
    service decides, counting attempts on the row, so a task delivered twice by the broker
    does not get extra tries). Safe to run twice: a delivered row is skipped.
    """
    outcome = webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome is None:
        return None
    if outcome.retry:
        raise self.retry(
            countdown=webhook_backoff(outcome.attempts),
            exc=WebhookDeliveryFailed(outcome.error),
        )
    return "delivered" if outcome.delivered else "failed"


@shared_task
def webhooks_resend_stranded() -> int:
    """Enqueue again the deliveries whose first message never reached a worker."""
    ids = webhook_deliveries_stranded(older_than=timezone.now() - settings.ROUTING_STALE_AFTER)
    return requeue(webhook_deliver, ids, argument="delivery_id")
