"""Telling people: residents by email (and on their tracking page), staff by email.

Every notification is a Celery task enqueued after the transaction that caused it commits,
retried with backoff when the mail server fails. The message names no staff member and
carries no internal note; the resident's link is the only way in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership
from issues.models import Issue

logger = logging.getLogger(__name__)

# What the resident is told, by event.
RESIDENT_SUBJECTS: dict[str, Callable[[], str]] = {
    "dispatched": lambda: _("Your issue %(number)s has been sent to %(agency)s"),
    "replied": lambda: _("A reply about your issue %(number)s"),
    "resolved": lambda: _("Your issue %(number)s has been resolved: was it solved?"),
    "merged": lambda: _("Your issue %(number)s is handled together with an identical report"),
}
STAFF_SUBJECTS: dict[str, Callable[[], str]] = {
    "assigned": lambda: _("New work: %(number)s"),
    "request_decided": lambda: _("Your request on %(number)s was decided"),
    "deadline_warning": lambda: _("Deadline near: %(number)s"),
    "deadline_reminder": lambda: _("Deadline reached: %(number)s"),
    "deadline_managers": lambda: _("Escalated (督办): %(number)s is late"),
    "deadline_dispatcher": lambda: _("Escalated to the dispatcher: %(number)s is late"),
    "escalated": lambda: _("Supervision (督办) by the dispatcher: %(number)s"),
}


def _enqueue(task, **kwargs) -> None:
    """Send after commit; a broker outage is logged, never raised into the user's request."""

    def send() -> None:
        try:
            task.delay(**kwargs)
        except Exception:
            logger.warning("broker unavailable: notification %s not sent", task.name)

    transaction.on_commit(send)


def notify_resident_after_commit(*, issue_id: int, event: str) -> None:
    from .tasks import notify_resident
    from .webhooks import webhook_events_for_notification

    _enqueue(notify_resident, issue_id=issue_id, event=event)
    # "resolved" is also the lead agency's webhook event (assignment.resolved).
    webhook_events_for_notification(event=event, issue_id=issue_id, agency_id=None)


def notify_agency_after_commit(
    *, agency_id: int, issue_id: int, event: str, managers_only: bool = False
) -> None:
    from .tasks import notify_agency
    from .webhooks import webhook_events_for_notification

    _enqueue(
        notify_agency,
        agency_id=agency_id,
        issue_id=issue_id,
        event=event,
        managers_only=managers_only,
    )
    # Some are also the agency's webhook events (assignment.created, .decided, .deadline_near).
    webhook_events_for_notification(event=event, issue_id=issue_id, agency_id=agency_id)


def resident_message(*, issue: Issue, event: str) -> tuple[str, str] | None:
    """The subject and body for the resident, or None when there is no one to write to."""
    if not issue.contact_email or event not in RESIDENT_SUBJECTS:
        return None
    lead = issue.assignments.filter(role="lead").select_related("agency").last()
    # In the language the resident filed in (organisations' names are shown in it too).
    with translation.override(issue.language or settings.LANGUAGE_CODE):
        subject = RESIDENT_SUBJECTS[event]() % {
            "number": issue.tracking_number,
            "agency": lead.agency.name if lead else "",
        }
        body = "\n\n".join(
            [
                subject,
                issue.title,
                _("Follow your issue here: %(link)s")
                % {"link": f"{settings.PUBLIC_BASE_URL}/track/{issue.access_token}/"},
            ]
        )
    return subject, body


def staff_message(*, issue: Issue, event: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = STAFF_SUBJECTS.get(event, STAFF_SUBJECTS["assigned"])() % {
            "number": issue.tracking_number
        }
        body = "\n\n".join(
            [subject, issue.title, f"{settings.PUBLIC_BASE_URL}/staff/issues/{issue.pk}/"]
        )
    return subject, body


def staff_addresses(*, agency: Agency, managers_only: bool = False) -> list[str]:
    members = Membership.objects.filter(agency=agency, user__is_active=True).exclude(user__email="")
    if managers_only:
        members = members.filter(role=Membership.Role.MANAGER)
    return sorted(set(members.values_list("user__email", flat=True)))
