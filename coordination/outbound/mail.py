"""E-mail to people: residents about their issue, staff about their organisation's work.

A message names no member of staff and carries no internal note; the resident's tracking
link is their only way in. Residents are written to in the language they filed in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership
from issues.models import Issue

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
