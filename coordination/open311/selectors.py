"""Reads for Open311: services, the public view of issues and their public timeline.

Issues and their updates come through the publication policy (``issues.publication``):
what it keeps private is never read here, so a list's ``limit`` counts published rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from coordination.dispatch.models import Assignment
from issues.models import Category, CategoryQuestion, Issue, Update
from issues.publication import public_updates, publishable_issues

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


# Before any category existed: the changeset of an empty list.
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.get_fixed_timezone(480))


def open311_changeset() -> datetime:
    """When the services list (categories and their questions) last changed: the spec's
    ``changeset``."""
    moments = [
        Category.objects.aggregate(at=Max("updated_at"))["at"],
        CategoryQuestion.objects.aggregate(at=Max("updated_at"))["at"],
    ]
    return max((m for m in moments if m is not None), default=EPOCH)


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
    resolutions = Update.objects.filter(kind=Update.Kind.RESOLVED, published=True).order_by(
        "-at", "-id"
    )
    return issues.select_related("category__parent", "merged_into").prefetch_related(
        Prefetch("assignments", queryset=leads, to_attr="leads"),
        Prefetch("updates", queryset=resolutions, to_attr="published_resolutions"),
    )


def open311_requests(
    *,
    ids: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Sequence[str] = (),
) -> QuerySet[Issue]:
    """Published issues as service requests, newest first; ``ids`` (tracking numbers)
    override the rest."""
    issues = publishable_issues()
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


def open311_request_filed(*, service_request_id: str) -> Issue | None:
    """Any issue by its tracking number, published or not: for ``tokens/<token>``, which
    answers the id alone to the partner that filed it."""
    return Issue.objects.filter(tracking_number=service_request_id.strip().upper()).first()


def open311_updates(*, start: datetime, end: datetime) -> QuerySet[Update]:
    """The public timeline entries in the window, oldest first, as the publication policy
    allows them (never internal handoffs, never a resident's words)."""
    return (
        public_updates(Update.objects.filter(at__gte=start, at__lte=end))
        .select_related("issue")
        .order_by("at", "id")
    )
