"""Reads for the staff queue, the dispatcher's triage and the case pages."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db.models import F, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency
from issues.models import (
    Category,
    Issue,
    IssueGroupObjectPermission,
    IssueUserObjectPermission,
)

from .models import Assignment, CoordinationRequest, Handoff, SLAPolicy
from .permissions import access_for, is_dispatcher


def agency_queue(*, user: AbstractBaseUser, include_done: bool = False) -> QuerySet[Assignment]:
    """The assignments of the user's agencies (for managers, also of the organisations below
    theirs), soonest deadline first (none last)."""
    statuses = [Assignment.Status.PENDING, Assignment.Status.ACCEPTED]
    if include_done:
        statuses.append(Assignment.Status.DONE)
    return (
        Assignment.objects.filter(agency_id__in=access_for(user).reach_ids, status__in=statuses)
        .select_related("issue", "issue__category", "agency")
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def issues_visible_to(user: AbstractBaseUser) -> QuerySet[Issue]:
    """Every issue the user may see: the one answer to "may this person see this issue?".

    The dispatcher (and administrators) see all. Anyone else sees the issues on which
    guardian's ``issues.view_issue`` is granted to them or to the group of an organisation in
    their reach (their own; for managers also those below): the services grant it when they
    assign an issue to an organisation and take it back when the assignment is returned or
    cancelled. The permission rows live in guardian's direct foreign-key tables, so this is one
    indexed semi-join, whatever the number of issues.
    """
    if not user.is_authenticated:
        return Issue.objects.none()
    if is_dispatcher(user):
        return Issue.objects.all()
    # The permission's id as a sub-select (an InitPlan): the planner then sizes an agency's
    # rows from the statistics of group_id. Joined by codename instead, it guessed a dozen
    # rows where a busy agency has 200,000, and walked the issues by date for seconds.
    view = Subquery(
        Permission.objects.filter(codename="view_issue", content_type__app_label="issues")
        .order_by()
        .values("pk")[:1]
    )
    own = IssueUserObjectPermission.objects.filter(user=user, permission_id=view)
    groups = access_for(user).reach_group_ids
    if not groups:
        return Issue.objects.filter(pk__in=own.values("content_object_id"))
    granted = IssueGroupObjectPermission.objects.filter(group_id__in=groups, permission_id=view)
    visible = Q(pk__in=granted.values("content_object_id"))
    # An OR of two IN (sub-select) is no semi-join: PostgreSQL tests every issue of the table
    # against both (a count reads all of them). Grants to a person are rare, so they join the
    # condition only when this person has some (one small indexed query).
    if own.exists():
        visible |= Q(pk__in=own.values("content_object_id"))
    return Issue.objects.filter(visible)


def issue_for_user(*, user: AbstractBaseUser, issue_id: int) -> Issue:
    """One issue the user may see; 404 whether it is missing or forbidden (no leak)."""
    issue = issues_visible_to(user).select_related("category").filter(pk=issue_id).first()
    if issue is None:
        raise Http404("No such issue.")
    return issue


def issue_assignments(*, issue: Issue) -> QuerySet[Assignment]:
    return issue.assignments.select_related("agency").order_by("created_at", "id")


def issue_handoffs(*, issue: Issue) -> QuerySet[Handoff]:
    return issue.handoffs.select_related("from_agency", "to_agency", "actor").order_by("at", "id")


def triage_queue() -> QuerySet[Issue]:
    """Issues no rule could route, oldest first: the dispatcher's first job."""
    return (
        Issue.objects.filter(status=Issue.Status.TRIAGE)
        .select_related("category")
        .order_by("created_at", "id")
    )


def dispatchable_agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(active=True).exclude(kind=Agency.Kind.DISPATCH_CENTRE)


def sla_policy_for(*, category: Category | None, priority: str) -> SLAPolicy | None:
    """The most specific deadline policy for a category (or its nearest ancestor) and priority.

    A policy on the category itself beats one on its parent, which beats the city default
    (no category); within each, one for the priority beats one for any priority.
    """
    path = [c.pk for c in category.ancestors()] if category else []
    candidates = SLAPolicy.objects.filter(
        Q(category_id__in=path) | Q(category__isnull=True),
        Q(priority=priority) | Q(priority=""),
    )

    def rank(policy: SLAPolicy) -> tuple[int, int]:
        depth = len(path) - path.index(policy.category_id) if policy.category_id else 0
        return (depth, 1 if policy.priority else 0)

    return max(candidates, key=rank, default=None)


def assignments_overdue(*, now=None) -> QuerySet[Assignment]:
    """Active assignments past a deadline: the response one while pending, else resolution."""
    now = now or timezone.now()
    return Assignment.objects.filter(status__in=Assignment.ACTIVE_STATUSES).filter(
        Q(status=Assignment.Status.PENDING, response_due_at__lt=now) | Q(due_at__lt=now)
    )


def requests_open() -> QuerySet[CoordinationRequest]:
    """Coordination requests waiting for the dispatcher, oldest first."""
    return (
        CoordinationRequest.objects.filter(status=CoordinationRequest.Status.OPEN)
        .select_related("issue", "assignment__agency", "requested_by", "decided_by")
        .order_by("requested_at", "id")
    )


def issues_filtered(
    issues: QuerySet[Issue],
    *,
    status: str | None = None,
    category: Category | None = None,
    overdue: bool = False,
    search: str = "",
) -> QuerySet[Issue]:
    """Narrow a visible set of issues: by status, category (with its children), overdue work
    and text in the title or tracking number."""
    if status:
        issues = issues.filter(status=status)
    if category is not None:
        issues = issues.filter(Q(category=category) | Q(category__parent=category))
    if overdue:
        issues = issues.filter(pk__in=assignments_overdue().values("issue_id"))
    if search := (search or "").strip():
        issues = issues.filter(Q(title__icontains=search) | Q(tracking_number__icontains=search))
    return issues


def dispatch_centre() -> Agency | None:
    """The dispatch centre: where triage waits and late work is escalated last."""
    return (
        Agency.objects.filter(kind=Agency.Kind.DISPATCH_CENTRE, active=True).order_by("pk").first()
    )
