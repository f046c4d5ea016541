"""Celery tasks of the dispatcher: thin, idempotent, taking ids and loading fresh rows."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from agencies.models import Agency
from issues.models import Issue

from . import deadlines, services
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
