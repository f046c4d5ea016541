"""Celery tasks of the dispatcher: thin, idempotent, taking ids and loading fresh rows."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from agencies.models import Agency
from issues.models import Issue

from . import deadlines, services, webhooks
from .notifications import resident_message, staff_addresses, staff_message


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
    recipients = staff_addresses(agency=agency, managers_only=managers_only)
    if not recipients:
        return 0
    subject, body = staff_message(issue=issue, event=event)
    send_mail(subject, body, None, recipients)
    return len(recipients)


@shared_task
def deadlines_sweep() -> dict:
    """Warn, remind and escalate around deadlines; safe to run often and twice at once."""
    return deadlines.deadlines_sweep()


@shared_task
def issues_close_unrated() -> int:
    """Close resolved issues whose resident did not answer the follow-up in time."""
    from . import workflow

    return workflow.issues_close_unrated()


class WebhookDeliveryFailed(Exception):
    """An attempt at a webhook delivery got no 2xx answer; Celery retries it."""


@shared_task(bind=True, acks_late=True, max_retries=webhooks.MAX_ATTEMPTS)
def webhook_deliver(self, delivery_id: int) -> str | None:
    """POST one signed webhook delivery; retried with exponential backoff until it succeeds.

    Every attempt is recorded; after ``webhooks.MAX_ATTEMPTS`` the delivery is marked
    failed (the service decides, counting attempts on the row, so a task delivered twice
    by the broker does not get extra tries). Safe to run twice: a delivered row is skipped.
    """
    outcome = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome is None:
        return None
    if outcome.retry:
        raise self.retry(
            countdown=webhooks.webhook_backoff(outcome.attempts),
            exc=WebhookDeliveryFailed(outcome.error),
        )
    return "delivered" if outcome.delivered else "failed"


@shared_task
def webhooks_resend_stranded() -> int:
    """Enqueue again the deliveries whose first message never reached a worker."""
    cutoff = timezone.now() - settings.ROUTING_STALE_AFTER
    ids = webhooks.webhook_deliveries_stranded(older_than=cutoff)
    for delivery_id in ids:
        webhook_deliver.delay(delivery_id)
    return len(ids)
