"""Reads for Open311: services, the public view of issues and their public timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from coordination.dispatch.models import Assignment
from issues.models import Category, Issue, Update

# Every issue status is either open or closed to Open311.
OPEN = "open"
CLOSED = "closed"
OPEN_STATUSES = tuple(str(s) for s in Issue.OPEN_STATUSES)
CLOSED_STATUSES = tuple(str(s) for s in Issue.Status if s not in Issue.OPEN_STATUSES)
# The timeline entries after which the issue is closed to Open311.
CLOSING_UPDATES = (
    Update.Kind.RESOLVED,
    Update.Kind.FEEDBACK,
    Update.Kind.MERGED,
    Update.Kind.CLOSED,
)


def open311_status(issue: Issue) -> str:
    return OPEN if issue.status in OPEN_STATUSES else CLOSED


def open311_services() -> QuerySet[Category]:
    return (
        Category.objects.filter(active=True)
        .select_related("parent")
        .prefetch_related("questions")
        .order_by("service_code")
    )


def open311_service(*, service_code: str) -> Category | None:
    return open311_services().filter(service_code=service_code).first()


def _with_lead(issues: QuerySet[Issue]) -> QuerySet[Issue]:
    """Prefetch ``leads``: the active or done lead assignments, newest first."""
    leads = (
        Assignment.objects.filter(
            role=Assignment.Role.LEAD,
            status__in=[*Assignment.ACTIVE_STATUSES, Assignment.Status.DONE],
        )
        .select_related("agency")
        .order_by("-created_at", "-id")
    )
    return issues.select_related("category", "merged_into").prefetch_related(
        Prefetch("assignments", queryset=leads, to_attr="leads")
    )


def open311_requests(
    *,
    ids: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] = (),
) -> QuerySet[Issue]:
    """Issues as service requests, newest first; ``ids`` (tracking numbers) override the rest."""
    issues = Issue.objects.all()
    if ids:
        issues = issues.filter(tracking_number__in=ids)
    else:
        if service_codes:
            issues = issues.filter(category__service_code__in=service_codes)
        if start is not None:
            issues = issues.filter(created_at__gte=start)
        if end is not None:
            issues = issues.filter(created_at__lte=end)
        wanted: list[str] = []
        if OPEN in statuses:
            wanted += OPEN_STATUSES
        if CLOSED in statuses:
            wanted += CLOSED_STATUSES
        if statuses:
            issues = issues.filter(status__in=wanted)
    return _with_lead(issues).order_by("-created_at", "-id")


def open311_request(*, service_request_id: str) -> Issue | None:
    return open311_requests(ids=[service_request_id.strip().upper()]).first()


def open311_updates(*, start: datetime, end: datetime) -> QuerySet[Update]:
    """The public timeline entries in the window, oldest first (never internal handoffs)."""
    return (
        Update.objects.filter(at__gte=start, at__lte=end)
        .select_related("issue")
        .order_by("at", "id")
    )
