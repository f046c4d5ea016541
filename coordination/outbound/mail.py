"""E-mail to people: residents about their issue, staff about their organisation's work.

A message names no member of staff and carries no internal note; the resident's tracking
link is their only way in. Residents are written to in the language they filed in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership
from coordination.dispatch.models import Assignment
from issues.models import Issue
from platform_gov.links import absolute_url

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
    "followed_up": lambda: _("The resident called again about %(number)s"),
}


def latest_leads(issue_ids) -> dict[int, Assignment]:
    """Each issue's latest lead assignment (the one due last), with its organisation: the
    one a resident's e-mail names."""
    leads: dict[int, Assignment] = {}
    for assignment in (
        Assignment.objects.filter(issue_id__in=list(issue_ids), role=Assignment.Role.LEAD)
        .select_related("agency")
        .order_by("issue_id", "due_at", "id")
    ):
        leads[assignment.issue_id] = assignment
    return leads


def resident_message(
    *, issue: Issue, event: str, leads: dict[int, Assignment] | None = None
) -> tuple[str, str] | None:
    """The subject and body for the resident, or None when there is no one to write to.
    ``leads``: the issues' latest lead assignments, read already (:func:`latest_leads`)."""
    if not issue.contact_email or event not in RESIDENT_SUBJECTS:
        return None
    lead = leads.get(issue.pk) if leads is not None else latest_leads([issue.pk]).get(issue.pk)
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
                % {"link": absolute_url(reverse("issues:track", args=[issue.access_token]))},
            ]
        )
    return subject, body


def staff_message(*, issue: Issue, event: str, language: str = "") -> tuple[str, str]:
    """The subject and body for staff, in ``language`` (the member's; empty: the platform's)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = STAFF_SUBJECTS.get(event, STAFF_SUBJECTS["assigned"])() % {
            "number": issue.tracking_number
        }
        link = absolute_url(reverse("coordination:staff_issue", args=[issue.pk]))
        body = "\n\n".join([subject, issue.title, link])
    return subject, body


def staff_addresses(*, agency: Agency, managers_only: bool = False) -> list[str]:
    return sorted(
        {
            email
            for emails in staff_addresses_by_language(
                agency=agency, managers_only=managers_only
            ).values()
            for email in emails
        }
    )


def staff_addresses_by_language(
    *, agency: Agency, managers_only: bool = False
) -> dict[str, list[str]]:
    """The members' addresses grouped by the language each reads the platform in."""
    members = Membership.objects.filter(agency=agency, user__is_active=True).exclude(user__email="")
    if managers_only:
        members = members.filter(role=Membership.Role.MANAGER)
    grouped: dict[str, set[str]] = {}
    for email, language in members.values_list("user__email", "language"):
        grouped.setdefault(language or settings.LANGUAGE_CODE, set()).add(email)
    return {language: sorted(emails) for language, emails in sorted(grouped.items())}
