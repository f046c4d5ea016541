"""An organisation's own work on its assignment: sign for it (签收), resolve it, reply to
the resident or note for the other handlers, and — for a street office — blow the whistle
(吹哨报到) to summon departments."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.deadlines.selectors import deadlines_for
from issues.models import Issue, Update
from issues.services import issue_add_update
from platform_gov.errors import WorkflowError

from ..events import Event, publish
from ..models import Assignment, Handoff
from ..selectors import whistle_agencies
from ..transitions import ASSIGNMENT, ISSUE
from .common import (
    active_agency_ids,
    agencies_by_code,
    assign,
    is_late,
    locked_assignment,
    locked_issue,
    require_active,
    require_text,
)


def assignment_accept(*, assignment_id: int, actor: AbstractBaseUser) -> Assignment:
    """Sign for an assignment (签收): pending → accepted; the resolution clock runs from now.

    Accepting the lead assignment moves a dispatched issue to ``in_progress``. Raises
    WorkflowError when the assignment is not pending (someone got there first).
    """
    with transaction.atomic():
        assignment = locked_assignment(assignment_id)
        assignment.status = ASSIGNMENT.move(
            assignment.status,
            Assignment.Status.ACCEPTED,
            by="assignment_accept",
            refused=_("This assignment has already been accepted or closed."),
        )
        now = timezone.now()
        assignment.accepted_at = now
        assignment.accepted_by = actor
        if not assignment.extended:
            # The response clock stops; the resolution clock runs from now.
            assignment.due_at = deadlines_for(start=now, policy=assignment.sla_policy)[1]
        assignment.save(update_fields=["status", "accepted_at", "accepted_by", "due_at"])
        issue = assignment.issue
        if assignment.role == Assignment.Role.LEAD and issue.status == Issue.Status.DISPATCHED:
            issue.status = ISSUE.move(
                issue.status,
                Issue.Status.IN_PROGRESS,
                by="assignment_accept",
                refused=_("This issue is not being handled."),
            )
            issue.save(update_fields=["status", "updated_at"])
            issue_add_update(issue=issue, kind=Update.Kind.ACCEPTED, agency=assignment.agency)
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.ACCEPTED,
            assignment=assignment,
            to_agency=assignment.agency,
            actor=actor,
            details={
                "role": assignment.role,
                "in_time": not is_late(assignment.response_due_at, now),
            },
            at=now,
        )
    return assignment


def assignment_resolve(
    *, assignment_id: int, actor: AbstractBaseUser, resolution: str, published: bool = False
) -> Assignment:
    """Record an agency's resolution: accepted → done.

    The issue is resolved when its lead assignment is (publishing ``issue.resolved``); a
    co-handler's resolution is its own share only. ``published``: the lead's resolution may
    also be read by the public (open data, merged reports' tracking pages), not only by the
    resident (``issues.publication``). Raises WorkflowError unless the assignment is
    accepted, or when the resolution is empty.
    """
    resolution = require_text(resolution, _("Say how the issue was resolved."))
    with transaction.atomic():
        assignment = locked_assignment(assignment_id)
        assignment.status = ASSIGNMENT.move(
            assignment.status,
            Assignment.Status.DONE,
            by="assignment_resolve",
            refused=_("Only an accepted assignment can be resolved."),
        )
        now = timezone.now()
        assignment.done_at = now
        assignment.resolution = resolution
        assignment.save(update_fields=["status", "done_at", "resolution"])
        issue = assignment.issue
        if assignment.role == Assignment.Role.LEAD:
            issue.status = ISSUE.move(
                issue.status,
                Issue.Status.RESOLVED,
                by="assignment_resolve",
                refused=_("This issue is not being handled."),
            )
            issue.resolution = resolution
            issue.resolved_at = now
            issue.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
            issue_add_update(
                issue=issue, kind=Update.Kind.RESOLVED, note=resolution, published=published
            )
            publish(
                Event.ISSUE_RESOLVED,
                issue_id=issue.pk,
                assignment_id=assignment.pk,
                agency_id=assignment.agency_id,
            )
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.RESOLVED,
            assignment=assignment,
            from_agency=assignment.agency,
            actor=actor,
            note=resolution,
            details={
                "role": assignment.role,
                "in_time": not is_late(assignment.due_at, now),
                **(
                    {"published": True}
                    if published and assignment.role == Assignment.Role.LEAD
                    else {}
                ),
            },
            at=now,
        )
    return assignment


def assignment_reply(
    *,
    assignment_id: int,
    actor: AbstractBaseUser,
    message: str,
    public: bool,
    published: bool = False,
) -> Handoff:
    """A reply to the resident (public: on the tracking page, and by e-mail) or a note that
    only the handlers of the issue see. Allowed while the assignment is active or done.

    ``published`` marks a reply to the resident for everyone too (open data, the tracking page
    of a report merged into this one: ``issues.publication``); an internal note cannot be
    published (ValidationError naming ``published``).
    """
    message = require_text(message, _("Write the message."))
    if published and not public:
        raise ValidationError({"published": [_("Only a reply to the resident can be published.")]})
    with transaction.atomic():
        assignment = locked_assignment(assignment_id)
        if assignment.status not in (*Assignment.ACTIVE_STATUSES, Assignment.Status.DONE):
            raise WorkflowError(_("This assignment is no longer active."), code="assignment_ended")
        handoff = Handoff.objects.create(
            issue=assignment.issue,
            kind=Handoff.Kind.REPLIED,
            assignment=assignment,
            from_agency=assignment.agency,
            actor=actor,
            note=message,
            details={"public": public, **({"published": True} if published else {})},
        )
        if public:
            issue_add_update(
                issue=assignment.issue,
                kind=Update.Kind.REPLIED,
                note=message,
                agency=assignment.agency,
                published=published,
            )
            publish(Event.ISSUE_REPLIED, issue_id=assignment.issue_id)
    return handoff


def assignment_whistle(
    *, assignment_id: int, actor: AbstractBaseUser, agencies: Sequence[str], reason: str
) -> list[Assignment]:
    """A street office summons departments to a place (吹哨报到).

    Only a street office holding an active assignment may whistle, and only government
    departments may be summoned (``selectors.whistle_agencies``, the page's choices too):
    naming another organisation raises WorkflowError (``not_a_department``), whichever
    interface asked. Each summoned department gets a co-handling assignment that must be
    accepted within ``WHISTLE_RESPONSE``; their acceptance time is its response time. One
    ``whistle`` Handoff names them all.
    """
    reason = require_text(reason, _("Say what the departments are summoned for."))
    with transaction.atomic():
        assignment = locked_assignment(assignment_id)
        require_active(assignment)
        if assignment.agency.kind != Agency.Kind.STREET_OFFICE:
            raise WorkflowError(
                _("Only a street office can blow the whistle."), code="not_a_street_office"
            )
        issue = locked_issue(assignment.issue_id)
        summoned = agencies_by_code(agencies, exclude=list(active_agency_ids(issue)))
        eligible = set(
            whistle_agencies().filter(pk__in=[a.pk for a in summoned]).values_list("pk", flat=True)
        )
        if refused := [a.code for a in summoned if a.pk not in eligible]:
            raise WorkflowError(
                _("A whistle summons government departments only, not: %(codes)s")
                % {"codes": ", ".join(refused)},
                code="not_a_department",
            )
        if not summoned:
            raise WorkflowError(
                _("Name at least one department not already on the case."),
                code="agencies_required",
            )
        now = timezone.now()
        respond_by = now + settings.WHISTLE_RESPONSE
        created = [
            assign(
                issue=issue,
                agency=agency,
                role=Assignment.Role.CO_HANDLER,
                now=now,
                summoned=True,
                response_due_at=respond_by,
            )
            for agency in summoned
        ]
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.WHISTLE,
            assignment=assignment,
            from_agency=assignment.agency,
            actor=actor,
            note=reason,
            details={
                "summoned": [a.code for a in summoned],
                "respond_by": respond_by.isoformat(),
            },
            at=now,
        )
    return created
