"""Reads for the staff queue, the dispatcher's lists and the case pages.

Which rows a *user* may see is decided by the gate (``coordination.dispatch.permissions``);
these take what it allows, or serve the dispatcher, who sees all.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import DateTimeField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from agencies.models import Agency
from issues.models import Category, Issue

from .models import Assignment, CoordinationRequest, Handoff
from .permissions import access_for


def agency_queue(*, user: AbstractBaseUser, include_done: bool = False) -> QuerySet[Assignment]:
    """The assignments of the user's agencies (for managers, also of the organisations below
    theirs), what is due next first: the sign-for deadline while pending (a summoned
    department's 30 minutes), the resolution deadline once accepted; none last."""
    statuses = [Assignment.Status.PENDING, Assignment.Status.ACCEPTED]
    if include_done:
        statuses.append(Assignment.Status.DONE)
    return (
        Assignment.objects.filter(agency_id__in=access_for(user).reach_ids, status__in=statuses)
        .select_related("issue", "issue__category", "agency")
        .order_by(F("next_due_at").asc(nulls_last=True), "id")
    )


def issues_supervised(*, issue_ids) -> dict[int, Handoff]:
    """The latest supervision (督办) of each of these issues, by issue id: the dispatcher's
    instruction is its note (the deadline sweep's escalations count too)."""
    latest: dict[int, Handoff] = {}
    for handoff in Handoff.objects.filter(
        kind=Handoff.Kind.ESCALATED, issue_id__in=list(issue_ids)
    ).order_by("at", "id"):
        latest[handoff.issue_id] = handoff
    return latest


def issue_active_agency_ids(*, issue_id: int) -> frozenset[int]:
    """The organisations holding active work on the issue."""
    return frozenset(
        Assignment.objects.filter(
            issue_id=issue_id, status__in=Assignment.ACTIVE_STATUSES
        ).values_list("agency_id", flat=True)
    )


def expected_deadline_expressions() -> dict[str, RawSQL]:
    """``expected_due_at``, the active lead's resolution deadline (the earliest, should there be
    two), as a sub-select of an issue query: the tracking page reads it in the issue's own
    statement (``issues.selectors.tracking_facts_register``). Plain SQL of table names and
    placeholders only; the ORM's ``Subquery`` cost more to compile than the query it saves."""
    quote = connection.ops.quote_name
    assignment, issue = quote(Assignment._meta.db_table), quote(Issue._meta.db_table)
    sql = (
        f"(SELECT due_at FROM {assignment} WHERE issue_id = {issue}.{quote('id')}"  # noqa: S608
        " AND role = %s AND status IN (%s, %s) ORDER BY due_at, id LIMIT 1)"
    )
    params = (Assignment.Role.LEAD, *Assignment.ACTIVE_STATUSES)
    return {"expected_due_at": RawSQL(sql, params, output_field=DateTimeField())}  # noqa: S611


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


# Whom a street office's whistle (吹哨报到) summons: the government's own departments, whose
# staff must report to the place. Enterprise partners, party and mass organisations and
# communities join a case through the dispatcher (co-handling), never by a whistle.
WHISTLE_KINDS = (Agency.Kind.GOVERNMENT_DEPARTMENT,)


def whistle_agencies() -> QuerySet[Agency]:
    """The organisations a whistle may summon: the page's choices and the service's check."""
    return dispatchable_agencies().filter(kind__in=WHISTLE_KINDS)


def assignments_overdue(*, now=None) -> QuerySet[Assignment]:
    """Active assignments past a deadline: the response one while pending, else resolution.

    Asked of ``next_due_at`` (the sooner of the two while pending, the resolution one once
    accepted: past it exactly when ``Assignment.is_overdue``), which the open assignments'
    indexes hold: an organisation's count of late work reads its index range, where the two
    deadlines' OR read every open assignment of the city."""
    now = now or timezone.now()
    return Assignment.objects.filter(status__in=Assignment.ACTIVE_STATUSES, next_due_at__lt=now)


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


def issues_routing_batch(*, issue_id: int, size: int) -> list[int]:
    """``issue_id`` and up to ``size - 1`` issues waiting for their routing message, oldest
    first: those still ``submitted`` whose message went to the queue. Issues filed while the
    broker was down are left to the sweep, which enqueues them."""
    waiting = (
        Issue.objects.filter(status=Issue.Status.SUBMITTED, routing_enqueued_at__isnull=False)
        .exclude(pk=issue_id)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(size - 1, 0)]
    )
    return [issue_id, *waiting]


def issues_stale_submitted(
    *, older_than: datetime, enqueued_before: datetime | None = None, limit: int = 1000
) -> list[int]:
    """Ids of issues still ``submitted`` since before ``older_than`` whose routing was never
    enqueued, or last enqueued before ``enqueued_before``: their routing message was lost
    (the broker was down when they were filed), so the sweep enqueues them again."""
    enqueued_before = enqueued_before or older_than
    return list(
        Issue.objects.filter(status=Issue.Status.SUBMITTED, created_at__lt=older_than)
        .filter(Q(routing_enqueued_at__isnull=True) | Q(routing_enqueued_at__lt=enqueued_before))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
