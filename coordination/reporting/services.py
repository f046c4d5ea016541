"""Writing the rollup (``models.Rollup``) from the record.

:func:`rollup_refresh` recounts a range of days and replaces their rows in one transaction:
the frequent task recounts the recent days (``ROLLUP_REFRESH_DAYS``), ``manage.py
rebuild_rollup`` every day since the first issue, and then the summaries the dashboard reads
(``AgencySummary``, ``FacetSummary``) from those rows, with the months they fall in
(:func:`summaries_refresh`). The counting follows the rates' definitions
in ``selectors`` (one source of truth for what a rate means): the property test checks the
rollup against :func:`selectors.agency_rates` over random histories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from coordination.dispatch.models import Assignment, CoordinationRequest
from issues.models import Feedback, Issue

from .models import (
    BUCKETS,
    COUNTS,
    FACET_COUNTS,
    RESOLUTION_BOUNDS,
    RESPONSE_BOUNDS,
    SUMS,
    AgencySummary,
    FacetSummary,
    Rollup,
    Span,
)

Key = tuple[date, int | None, int | None, int | None, str]

CLOSED = (Issue.Status.RESOLVED, Issue.Status.CLOSED)
BATCH = 5000


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _bucket(seconds: float, bounds: tuple[int, ...]) -> int:
    for i, bound in enumerate(bounds):
        if seconds <= bound:
            return i
    return len(bounds)


def _count_issues(counts, start: datetime, end: datetime) -> None:
    first_agency = Subquery(
        Assignment.objects.filter(issue_id=OuterRef("pk"))
        .order_by("created_at", "pk")
        .values("agency_id")[:1]
    )
    rows = (
        Issue.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(first_agency=first_agency)
        .values_list(
            "created_at",
            "first_agency",
            "category_id",
            "area_id",
            "channel",
            "status",
            "answered_at_first_contact",
        )
        .order_by()
    )
    for created, agency_id, category_id, area_id, channel, status, answered in rows.iterator(BATCH):
        c = counts[(timezone.localtime(created).date(), agency_id, category_id, area_id, channel)]
        c["filed"] += 1
        c["closed"] += status in CLOSED
        c["open"] += status in Issue.OPEN_STATUSES
        c["answered"] += answered


def _count_assignments(counts, start: datetime, end: datetime, now: datetime) -> None:
    rows = (
        Assignment.objects.filter(created_at__gte=start, created_at__lt=end)
        .values_list(
            "pk",
            "agency_id",
            "issue_id",
            "issue__category_id",
            "issue__area_id",
            "issue__channel",
            "role",
            "status",
            "created_at",
            "accepted_at",
            "response_due_at",
            "due_at",
            "done_at",
            "redo",
        )
        .order_by()
    )
    done_leads: dict[int, tuple[Key, datetime, int, int]] = {}  # pk → key, done_at, issue, agency
    key_of: dict[int, Key] = {}
    for (
        pk, agency_id, issue_id, category_id, area_id, channel, role, status,
        created, accepted, response_due, due, done, redo,
    ) in rows.iterator(BATCH):  # fmt: skip
        key = (timezone.localtime(created).date(), agency_id, category_id, area_id, channel)
        key_of[pk] = key
        c = counts[key]
        c["assigned"] += 1
        if status == Assignment.Status.CANCELLED:
            continue
        if accepted is not None or (response_due is not None and response_due <= now):
            c["response_due"] += 1
            if accepted is not None and (response_due is None or accepted <= response_due):
                c["responded_in_time"] += 1
        if accepted is not None:
            seconds = max((accepted - created).total_seconds(), 0)
            c["responded"] += 1
            c["response_seconds"] += round(seconds)
            c[f"response_b{_bucket(seconds, RESPONSE_BOUNDS)}"] += 1
        if role == Assignment.Role.LEAD:
            c["leads"] += 1
            c["redone"] += redo
            if status == Assignment.Status.DONE:
                done_leads[pk] = (key, done, issue_id, agency_id)
                c["done"] += 1
                seconds = max((done - created).total_seconds(), 0) if done else 0
                c["resolution_seconds"] += round(seconds)
                c[f"resolution_b{_bucket(seconds, RESOLUTION_BOUNDS)}"] += 1
                if done and (due is None or done <= due):
                    c["resolved_in_time"] += 1
        active = status in Assignment.ACTIVE_STATUSES
        late_response = status == Assignment.Status.PENDING and response_due and response_due < now
        if active and (late_response or (due and due < now)):
            c["overdue"] += 1
    issue_ids = {issue_id for _k, _d, issue_id, _a in done_leads.values()}
    _count_resolutions(counts, done_leads, issue_ids)
    _count_ratings(counts, done_leads, issue_ids)
    bounces = CoordinationRequest.objects.filter(
        kind=CoordinationRequest.Kind.BOUNCE,
        status=CoordinationRequest.Status.APPROVED,
        assignment__created_at__gte=start,
        assignment__created_at__lt=end,
    ).values_list("assignment_id", flat=True)
    for assignment_id in bounces.iterator(BATCH):
        counts[key_of[assignment_id]]["bounced"] += 1


def _chunks(ids: set[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def _count_resolutions(counts, done_leads, issue_ids: set[int]) -> None:
    """A done lead counts as resolved unless a redo for the same issue and agency came
    after it."""
    redo_after = defaultdict(list)
    for chunk in _chunks(issue_ids):
        for issue_id, agency_id, created in Assignment.objects.filter(
            redo=True, issue_id__in=chunk
        ).values_list("issue_id", "agency_id", "created_at"):
            redo_after[(issue_id, agency_id)].append(created)
    for key, done, issue_id, agency_id in done_leads.values():
        later = redo_after.get((issue_id, agency_id), [])
        if not any(done is None or created > done for created in later):
            counts[key]["resolved"] += 1


def _count_ratings(counts, done_leads, issue_ids: set[int]) -> None:
    """Each rating belongs to the lead whose resolution it rated: the last done before it,
    among the leads of the whole record (so a day's count never depends on the range
    recounted)."""
    by_issue = defaultdict(list)  # every done lead of these issues, whenever received
    for chunk in _chunks(issue_ids):
        for pk, issue_id, done in Assignment.objects.filter(
            issue_id__in=chunk, role=Assignment.Role.LEAD, status=Assignment.Status.DONE
        ).values_list("pk", "issue_id", "done_at"):
            if done is not None:
                by_issue[issue_id].append((done, pk))
        for issue_id, rating, at in Feedback.objects.filter(
            excluded=False, issue_id__in=chunk
        ).values_list("issue_id", "rating", "at"):
            before = [lead for lead in by_issue[issue_id] if lead[0] <= at]
            if not before:
                continue
            pk = max(before)[1]
            if pk in done_leads:
                c = counts[done_leads[pk][0]]
                c["rated"] += 1
                c["satisfied"] += rating >= 4


def rollup_counts(
    first: date, last: date, *, now: datetime | None = None
) -> dict[Key, dict[str, int]]:
    """The rollup's figures for the local days [first, last], counted from the record."""
    now = now or timezone.now()
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    _count_issues(counts, start, end)
    _count_assignments(counts, start, end, now)
    return counts


FIELDS = COUNTS + SUMS + BUCKETS


@transaction.atomic
def rollup_refresh(first: date, last: date, *, now: datetime | None = None) -> int:
    """Recount the local days [first, last] and replace their rows; the number of rows."""
    counts = rollup_counts(first, last, now=now)
    Rollup.objects.filter(day__gte=first, day__lte=last).delete()
    rows = [
        Rollup(
            day=day,
            agency_id=agency_id,
            category_id=category_id,
            area_id=area_id,
            channel=channel,
            **{name: c.get(name, 0) for name in FIELDS},
        )
        for (day, agency_id, category_id, area_id, channel), c in counts.items()
    ]
    Rollup.objects.bulk_create(rows, batch_size=BATCH)
    summaries_refresh(first, last)
    # Now (what this transaction's own reads see) and after the commit (so that figures read
    # by others meanwhile, from the old rows, are not kept under the new version).
    bump_rollup_version()
    transaction.on_commit(bump_rollup_version)
    return len(rows)


FACETS = {
    FacetSummary.Facet.CATEGORY: "category_id",
    FacetSummary.Facet.AREA: "area_id",
    FacetSummary.Facet.CHANNEL: "channel",
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _months(first: date, last: date) -> list[date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert_grouped(model, columns: tuple[str, ...], select: str, params: list) -> None:
    """``INSERT INTO`` the model's table ``SELECT …``: the database groups and writes, and no
    row travels (a year of the rollup is close to a million rows). Table and column names are
    the models' constants; every value goes as a parameter."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table(model)} ({names}) {select}", params)


@transaction.atomic
def summaries_refresh(first: date, last: date) -> None:
    """Rewrite the summaries' rows of the local days [first, last] from the rollup's rows of
    those days, then the month rows of every month they touch from that month's day rows
    (so a month is right whichever of its days were recounted). Each summary row is the sum
    of the rollup rows under its key; nothing is counted twice."""
    days = Q(span=Span.DAY, day__gte=first, day__lte=last)
    AgencySummary.objects.filter(days).delete()
    FacetSummary.objects.filter(days).delete()
    sums = ", ".join(f"SUM({name})" for name in FIELDS)
    _insert_grouped(
        AgencySummary,
        ("span", "day", "agency_id", *FIELDS),
        f"SELECT %s, day, agency_id, {sums} FROM {_table(Rollup)} "  # noqa: S608
        "WHERE day >= %s AND day <= %s GROUP BY day, agency_id",
        [Span.DAY, first, last],
    )
    facts = ", ".join(f"SUM({name})" for name in FACET_COUNTS)
    for facet, column in FACETS.items():
        value = f"COALESCE(CAST({column} AS varchar(20)), '')"
        _insert_grouped(
            FacetSummary,
            ("span", "day", "facet", "value", *FACET_COUNTS),
            f"SELECT %s, day, %s, {value}, {facts} FROM {_table(Rollup)} "  # noqa: S608
            f"WHERE day >= %s AND day <= %s GROUP BY day, {column}",
            [Span.DAY, facet, first, last],
        )
    for month in _months(first, last):
        _month_refresh(month)


def _month_refresh(month: date) -> None:
    AgencySummary.objects.filter(span=Span.MONTH, day=month).delete()
    FacetSummary.objects.filter(span=Span.MONTH, day=month).delete()
    of_month = "span = %s AND day >= %s AND day < %s"
    params = [Span.MONTH, month, Span.DAY, month, _next_month(month)]
    sums = ", ".join(f"SUM({name})" for name in FIELDS)
    _insert_grouped(
        AgencySummary,
        ("span", "day", "agency_id", *FIELDS),
        f"SELECT %s, %s, agency_id, {sums} FROM {_table(AgencySummary)} "  # noqa: S608
        f"WHERE {of_month} GROUP BY agency_id",
        params,
    )
    facts = ", ".join(f"SUM({name})" for name in FACET_COUNTS)
    # The whole city's month from its days.
    _insert_grouped(
        FacetSummary,
        ("span", "day", "facet", "value", *FACET_COUNTS),
        f"SELECT %s, %s, facet, value, {facts} FROM {_table(FacetSummary)} "  # noqa: S608
        f"WHERE {of_month} AND agency_id IS NULL GROUP BY facet, value",
        params,
    )
    # Each organisation's month, from the rollup's rows of the month.
    for facet, column in FACETS.items():
        value = f"COALESCE(CAST({column} AS varchar(20)), '')"
        _insert_grouped(
            FacetSummary,
            ("span", "day", "agency_id", "facet", "value", *FACET_COUNTS),
            f"SELECT %s, %s, agency_id, %s, {value}, {facts} FROM {_table(Rollup)} "  # noqa: S608
            "WHERE day >= %s AND day < %s AND agency_id IS NOT NULL "
            f"GROUP BY agency_id, {column}",
            [Span.MONTH, month, facet, month, _next_month(month)],
        )


VERSION_KEY = "reporting:rollup-version"


def rollup_version() -> int:
    """Changes whenever the rollup does: figures computed from it are cached under it."""
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def bump_rollup_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value will do
        cache.set(VERSION_KEY, 2, timeout=None)


def rollup_rebuild(
    *,
    now: datetime | None = None,
    step_days: int = 31,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recount every day from the first issue's to today, ``step_days`` at a time; calls
    ``progress(done_days, all_days)`` after each step. The number of rows."""
    now = now or timezone.now()
    earliest = Issue.objects.aggregate(first=Min("created_at"))["first"]
    today = timezone.localdate(now)
    if earliest is None:
        for model in (Rollup, AgencySummary, FacetSummary):
            model.objects.all().delete()
        bump_rollup_version()
        return 0
    first = min(timezone.localtime(earliest).date(), today)
    Rollup.objects.filter(day__lt=first).delete()
    Rollup.objects.filter(day__gt=today).delete()
    for model in (AgencySummary, FacetSummary):
        # A month row stays while any day of its month does (it is rewritten below).
        model.objects.filter(span=Span.DAY, day__lt=first).delete()
        model.objects.filter(span=Span.DAY, day__gt=today).delete()
        model.objects.filter(span=Span.MONTH, day__lt=month_start(first)).delete()
        model.objects.filter(span=Span.MONTH, day__gt=today).delete()
    total_days = (today - first).days + 1
    rows = 0
    day = first
    while day <= today:
        last = min(day + timedelta(days=step_days - 1), today)
        rows += rollup_refresh(day, last, now=now)
        day = last + timedelta(days=1)
        if progress:
            progress((day - first).days, total_days)
    return rows
