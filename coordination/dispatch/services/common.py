"""What the workflow's services share: locking, checks, and giving or taking work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from agencies.models import Agency
from agencies.services import agency_group
from coordination.deadlines.models import SLAPolicy
from coordination.deadlines.selectors import deadlines_for, sla_policy_for
from issues.models import Issue, IssueGroupObjectPermission
from platform_gov.errors import WorkflowError

from ..events import Event, publish
from ..models import Assignment
from ..transitions import ASSIGNMENT


def locked_assignment(assignment_id: int) -> Assignment:
    """The assignment, locked for the rest of the transaction, with its issue and agency."""
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("issue", "agency")
        .get(pk=assignment_id)
    )


def locked_issue(issue_id: int) -> Issue:
    return Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)


def require_active(assignment: Assignment) -> None:
    if not assignment.is_active:
        raise WorkflowError(_("This assignment is no longer active."), code="assignment_ended")


def require_text(text: str, message: str) -> str:
    """``text`` stripped; WorkflowError(``message``) when nothing is left."""
    text = (text or "").strip()
    if not text:
        raise WorkflowError(message, code="reason_required")
    return text


def agencies_by_code(codes: Sequence[str], *, exclude: Sequence[int] = ()) -> list[Agency]:
    """Active organisations other than the dispatch centre, by code, in the order given and
    without repeats, less those in ``exclude``; WorkflowError naming the unknown codes."""
    codes = list(dict.fromkeys(c for c in codes if c))
    found = {
        a.code: a
        for a in Agency.objects.filter(code__in=codes, active=True).exclude(
            kind=Agency.Kind.DISPATCH_CENTRE
        )
    }
    if unknown := [c for c in codes if c not in found]:
        raise WorkflowError(
            _("Unknown or inactive organisation: %(codes)s") % {"codes": ", ".join(unknown)},
            code="unknown_agency",
        )
    return [found[c] for c in codes if found[c].pk not in exclude]


def active_agency_ids(issue: Issue) -> set[int]:
    """The organisations holding active work on the issue."""
    return set(
        issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).values_list(
            "agency_id", flat=True
        )
    )


def assign(
    *,
    issue: Issue,
    agency: Agency,
    role: str,
    now: datetime,
    policy: SLAPolicy | None = None,
    **fields,
) -> Assignment:
    """Give an organisation work on an issue, with its deadlines, and let its group see it.

    ``policy`` is the deadline policy a routing rule named; otherwise the most specific one
    for the issue's category and priority applies. ``fields`` set more of the assignment
    (``summoned``, ``redo``, a shorter ``response_due_at``). Publishes
    ``assignment.created``.
    """
    policy = policy or sla_policy_for(category=issue.category, priority=issue.priority)
    response_due, resolution_due = deadlines_for(start=now, policy=policy)
    # The resolution deadline is provisional: its clock starts when the agency signs for it.
    values = {"response_due_at": response_due, "due_at": resolution_due, **fields}
    assignment = Assignment(
        issue=issue, agency=agency, role=role, created_at=now, sla_policy=policy, **values
    )
    assignment.full_clean(validate_constraints=False)  # the database enforces them at once
    assignment.save()
    assign_perm("issues.view_issue", agency_group(agency=agency), issue)
    publish(
        Event.ASSIGNMENT_CREATED,
        assignment_id=assignment.pk,
        issue_id=issue.pk,
        agency_id=agency.pk,
    )
    return assignment


def issue_view_grant_many(pairs: Iterable[tuple[Agency, Issue]]) -> None:
    """Let each organisation's group see its issue: what ``assign_perm`` does for one pair,
    in two queries for any number (the permission, then one insert; pairs already granted
    stay as they are)."""
    pairs = list(pairs)
    if not pairs:
        return
    permission = Permission.objects.get(content_type__app_label="issues", codename="view_issue")
    groups = {}
    for agency, _issue in pairs:
        if agency.pk not in groups:
            groups[agency.pk] = agency.group_id or agency_group(agency=agency).pk
    IssueGroupObjectPermission.objects.bulk_create(
        [
            IssueGroupObjectPermission(
                permission=permission, group_id=groups[agency.pk], content_object_id=issue.pk
            )
            for agency, issue in pairs
        ],
        ignore_conflicts=True,
    )


def end_assignment(assignment: Assignment, status: str, *, by: str, now: datetime | None = None):
    """Return or cancel an assignment (as the table lets ``by``), and take the organisation's
    view of the issue away unless it still holds, or has finished, other work on it."""
    assignment.status = ASSIGNMENT.move(
        assignment.status, status, by=by, refused=_("This assignment is no longer active.")
    )
    assignment.done_at = now or timezone.now()
    assignment.save(update_fields=["status", "done_at"])
    still_holds = Assignment.objects.filter(
        Q(status__in=[*Assignment.ACTIVE_STATUSES, Assignment.Status.DONE]),
        issue_id=assignment.issue_id,
        agency_id=assignment.agency_id,
    ).exists()
    if not still_holds:
        remove_perm("issues.view_issue", agency_group(agency=assignment.agency), assignment.issue)


def end_active_work(issue: Issue, status: str, *, by: str, now: datetime) -> None:
    """End every assignment still active on the issue (closing or merging it)."""
    for assignment in issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES):
        end_assignment(assignment, status, by=by, now=now)


def is_late(due: datetime | None, now: datetime) -> bool:
    return due is not None and now > due
