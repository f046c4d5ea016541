"""The dispatcher's workbench: every issue, searchable and filterable, a page at a time.

Reads only; the acts (dispatch, supervise, merge) are the dispatcher's services, posted to by
the workbench's forms. Built for a city's scale (a million issues): the list walks an index
newest first and stops at a page (a keyset cursor, never an OFFSET), and counts at most
``COUNT_CAP`` matches ("1,000+"), so neither a deep page nor a broad filter reads the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agencies.models import Agency, Area
from issues.models import Category, Issue

from .models import Assignment

PAGE_SIZE = 50
COUNT_CAP = 1000
CANDIDATES = 8
NUMBER_RE = re.compile(r"^\s*(\d{8})-?([2-9A-Za-z]{6})\s*$")


@dataclass(frozen=True)
class Filters:
    """What the workbench is asked for; every part optional."""

    text: str = ""
    status: str = ""
    category: Category | None = None
    area: Area | None = None
    agency: Agency | None = None
    channel: str = ""
    overdue: bool = False
    at_risk: bool = False
    filed_from: date | None = None  # local days, both included
    filed_to: date | None = None


def _descendant_ids(model, root) -> list[int]:
    """``root`` and everything below it (categories, areas: a few levels, a few hundred rows)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in model.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, stack = [], [root.pk]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children.get(pk, ()))
    return found


def assignments_late(*, now: datetime | None = None) -> QuerySet[Assignment]:
    """Active assignments whose next deadline has passed (the sign-for one while pending,
    else the resolution one): ``assignments_overdue`` in the form an index answers, soonest
    deadline first, for the dispatcher's page at a city's scale."""
    now = now or timezone.now()
    return Assignment.objects.filter(
        status__in=Assignment.ACTIVE_STATUSES, next_due_at__lt=now
    ).order_by("next_due_at", "id")


def assignments_at_risk(*, now: datetime | None = None) -> QuerySet[Assignment]:
    """Active assignments whose next deadline comes within ``DEADLINE_WARNING`` (counted in
    calendar time here: a list to look at, not a clock to escalate by)."""
    now = now or timezone.now()
    return Assignment.objects.filter(
        status__in=Assignment.ACTIVE_STATUSES,
        next_due_at__gte=now,
        next_due_at__lt=now + settings.DEADLINE_WARNING,
    )


def workbench_issues(issues: QuerySet[Issue], filters: Filters) -> QuerySet[Issue]:
    """``issues`` (what the gate lets the user see) narrowed by ``filters``, newest first."""
    f = filters
    if f.text:
        number = NUMBER_RE.match(f.text)
        if number:
            issues = issues.filter(tracking_number=f"{number.group(1)}-{number.group(2).upper()}")
        else:
            issues = issues.filter(Q(title__icontains=f.text) | Q(address__icontains=f.text))
    if f.status:
        issues = issues.filter(status=f.status)
    if f.category is not None:
        issues = issues.filter(category_id__in=_descendant_ids(Category, f.category))
    if f.area is not None:
        issues = issues.filter(area_id__in=_descendant_ids(Area, f.area))
    if f.channel:
        issues = issues.filter(channel=f.channel)
    if f.agency is not None:
        issues = issues.filter(pk__in=Assignment.objects.filter(agency=f.agency).values("issue_id"))
    if f.overdue:
        issues = issues.filter(pk__in=assignments_late().order_by().values("issue_id"))
    if f.at_risk:
        issues = issues.filter(pk__in=assignments_at_risk().order_by().values("issue_id"))
    if f.filed_from:
        issues = issues.filter(created_at__gte=_midnight(f.filed_from))
    if f.filed_to:
        issues = issues.filter(created_at__lt=_midnight(f.filed_to + timedelta(days=1)))
    return issues.order_by("-created_at", "-id")


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def cursor_of(issue: Issue) -> str:
    return f"{issue.created_at.isoformat()}_{issue.pk}"


def after_cursor(issues: QuerySet[Issue], cursor: str) -> QuerySet[Issue]:
    """The issues older than the cursor's (created_at, id): the next page, by the index."""
    when, _sep, pk = (cursor or "").rpartition("_")
    at = parse_datetime(when) if when else None
    if at is None or not pk.isdigit():
        return issues
    return issues.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=int(pk)))


@dataclass(frozen=True)
class Page:
    issues: list[Issue]
    next_cursor: str
    count: int
    count_capped: bool


def workbench_page(issues: QuerySet[Issue], *, cursor: str = "") -> Page:
    """One page after ``cursor``, and how many match in all (at most ``COUNT_CAP``)."""
    rows = list(after_cursor(issues, cursor).select_related("category", "area")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    count = issues.order_by()[: COUNT_CAP + 1].count()
    return Page(
        issues=rows,
        next_cursor=cursor_of(rows[-1]) if more else "",
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )


def issues_leads(issue_ids) -> dict[int, Assignment]:
    """The lead assignment of each issue (the active one, else the latest), by issue id."""
    leads: dict[int, Assignment] = {}
    for assignment in (
        Assignment.objects.filter(issue_id__in=list(issue_ids), role=Assignment.Role.LEAD)
        .select_related("agency")
        .order_by("created_at", "id")
    ):
        held = leads.get(assignment.issue_id)
        if held is None or not held.is_active:
            leads[assignment.issue_id] = assignment
    return leads


def merge_candidates(issue: Issue, *, text: str = "", now=None) -> list[Issue]:
    """Open issues the dispatcher may merge ``issue`` into: the same category (or the text
    searched for), the same area when it has one, filed in the last thirty days; the newest
    first. A duplicate finder (the learning room's) adds better candidates beside these."""
    now = now or timezone.now()
    found = Issue.objects.filter(status__in=Issue.OPEN_STATUSES).exclude(pk=issue.pk)
    if text:
        number = NUMBER_RE.match(text)
        if number:
            key = f"{number.group(1)}-{number.group(2).upper()}"
            found = found.filter(tracking_number=key)
        else:
            found = found.filter(title__icontains=text)
    else:
        found = found.filter(created_at__gte=now - timedelta(days=30))
        if issue.category_id:
            found = found.filter(category_id=issue.category_id)
        if issue.area_id:
            found = found.filter(area_id=issue.area_id)
    return list(
        found.select_related("category", "area").order_by("-created_at", "-id")[:CANDIDATES]
    )


def next_in_triage(*, after: Issue | None = None) -> Issue | None:
    """The oldest issue waiting in triage, other than ``after``: where the dispatcher goes
    next once one is dispatched."""
    waiting = Issue.objects.filter(status=Issue.Status.TRIAGE)
    if after is not None:
        waiting = waiting.exclude(pk=after.pk)
    return waiting.order_by("created_at", "id").first()
