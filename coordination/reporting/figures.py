"""The dashboard's figures, read from the summaries of the rollup (``models.AgencySummary``,
``models.FacetSummary``; the monthly report and the public figures from the rollup itself): a
few grouped sums over at most a year of days (whole months as month rows), whatever the
number of issues behind them.

``agency_ids``: whose rows (None for the whole city, the rows of issues never assigned
included; else those organisations' rows only), as the gate's ``stats_agency_ids`` answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from agencies.models import Agency
from issues.models import Issue

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
from .selectors import (
    AgencyRates,
    ChannelRates,
    RatesSummary,
    _measured,
    _rate,
    _rates_of,
    rates_pooled,
)

FIELDS = COUNTS + SUMS + BUCKETS
STEPS = ("day", "week", "month")


def rollup_rows(
    *, first: date, last: date, agency_ids: Collection[int] | None, **filters
) -> QuerySet[Rollup]:
    """The rows of the local days [first, last] whose figures the reader may see; ``filters``:
    ``category_id``, ``area_id``, ``channel``, ``agency_id`` when chosen."""
    rows = Rollup.objects.filter(day__gte=first, day__lte=last)
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=agency_ids)
    return rows.filter(**{k: v for k, v in filters.items() if v not in (None, "")})


def _split(first: date, last: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The months lying wholly inside the local days [first, last], and the ranges of days
    either side of them (the whole period when no month is whole)."""
    whole = []
    month = step_start(first, "month")
    while month <= last:
        following = _next_step(month, "month")
        if month >= first and following - timedelta(days=1) <= last:
            whole.append(month)
        month = following
    if not whole:
        return [], [(first, last)]
    after = _next_step(whole[-1], "month")
    edges = [(first, whole[0] - timedelta(days=1)), (after, last)]
    return whole, [(a, b) for a, b in edges if a <= b]


def _days(ranges: list[tuple[date, date]]) -> Q:
    """The days of ``ranges``; none when there are none."""
    if not ranges:
        return Q(pk__in=[])
    return reduce(or_, (Q(day__gte=a, day__lte=b) for a, b in ranges))


def _spans(first: date, last: date, *, months: bool) -> Q:
    """The summary rows that cover the local days [first, last] once each: with ``months``,
    the months lying wholly inside as month rows and the days either side as day rows; else
    day rows only (a trend by day or week must not see a month as its first day)."""
    if not months:
        return Q(span=Span.DAY, day__gte=first, day__lte=last)
    whole, edges = _split(first, last)
    return Q(span=Span.MONTH, day__in=whole) | (Q(span=Span.DAY) & _days(edges))


def summary_rows(
    *, first: date, last: date, agency_ids: Collection[int] | None, months: bool = True
) -> QuerySet[AgencySummary]:
    """The day × organisation rows (whole months as month rows when ``months``) of [first,
    last] whose figures the reader may see (None: every organisation's and the unassigned)."""
    rows = AgencySummary.objects.filter(_spans(first, last, months=months))
    if agency_ids is not None:
        # With the index on (agency, span, day): a manager reads their own rows, not the city's.
        rows = rows.filter(agency_id__in=agency_ids)
    return rows


FACET_GROUPS = {"category": "category_id", "channel": "channel", "area": "area_id"}


def facet_rows(*, first: date, last: date) -> QuerySet[FacetSummary]:
    """The whole city's category, area and channel rows of [first, last] (whole months as
    month rows)."""
    return FacetSummary.objects.filter(_spans(first, last, months=True), agency__isnull=True)


def facets_for(
    *, first: date, last: date, agency_ids: Collection[int] | None
) -> Facets | Cube | Merged:
    """``FACET_COUNTS`` in [first, last] by category, area and channel, for the reader
    (``grouped(by)``): the whole city's from its summary; some organisations' from their
    month rows of the summary for the whole months and from their rollup rows for the days
    either side (read by the covering index on agency and day)."""
    if agency_ids is None:
        return Facets(facet_rows(first=first, last=last))
    whole, edges = _split(first, last)
    parts: list[Facets | Cube] = []
    if whole:
        months = FacetSummary.objects.filter(
            span=Span.MONTH, day__in=whole, agency_id__in=agency_ids
        )
        parts.append(Facets(months))
    if edges:
        days = rollup_rows(first=first, last=last, agency_ids=agency_ids).filter(_days(edges))
        parts.append(Cube(days, FACET_GROUPS, FACET_COUNTS))
    return parts[0] if len(parts) == 1 else Merged(parts)


class Merged:
    """The sums of several sources' groupings (``grouped(by)``), key by key."""

    def __init__(self, parts: list[Facets | Cube]):
        self.parts = parts

    def grouped(self, by: str) -> list[dict]:
        found: dict = {}
        for part in self.parts:
            for row in part.grouped(by):
                into = found.setdefault(row[by], dict.fromkeys(FACET_COUNTS, 0) | {by: row[by]})
                for name in FACET_COUNTS:
                    into[name] += row[name]
        return list(found.values())


class Facets:
    """``FacetSummary``'s counts by category, area and channel: one grouped query for the
    three, as :class:`Cube` answers them from the rollup."""

    INTEGER = {FacetSummary.Facet.CATEGORY, FacetSummary.Facet.AREA}

    def __init__(self, rows: QuerySet[FacetSummary]):
        self.rows = rows
        self._found: dict[str, list[dict]] | None = None

    def grouped(self, by: str) -> list[dict]:
        if self._found is None:
            self._found = defaultdict(list)
            sums = {name: Sum(name) for name in FACET_COUNTS}
            for row in self.rows.values("facet", "value").annotate(**sums).order_by():
                value = row["value"]
                if row["facet"] in self.INTEGER:
                    value = int(value) if value else None
                self._found[row["facet"]].append(
                    {row["facet"]: value, **{name: row[name] or 0 for name in sums}}
                )
        return self._found.get(by, [])


class Cube:
    """The sums of a set of rollup rows grouped every way the dashboard asks at once: by
    organisation, day, category, channel, area, and in all. On PostgreSQL one scan of the rows
    (``GROUPING SETS``) rather than one per grouping; elsewhere (SQLite in development) a
    query per grouping. ``groups``: the groupings (name → column), the rollup's by default;
    a summary's rows have fewer."""

    GROUPS = {
        "agency": "agency_id",
        "day": "day",
        "category": "category_id",
        "channel": "channel",
        "area": "area_id",
    }
    SUMMARY_GROUPS = {"agency": "agency_id", "day": "day"}

    def __init__(
        self,
        rows: QuerySet,
        groups: dict[str, str] | None = None,
        fields: tuple[str, ...] = FIELDS,
    ):
        self.rows = rows
        self.groups = groups or self.GROUPS
        self.fields = fields
        self._found: dict[str | None, list[dict]] | None = None

    def grouped(self, by: str | None) -> list[dict]:
        if self._found is None:
            self._found = self._compute()
        return self._found[by]

    def _compute(self) -> dict[str | None, list[dict]]:
        if connection.vendor != "postgresql":
            return {
                None: _sums(self.rows, fields=self.fields),
                **{by: _sums(self.rows, by, fields=self.fields) for by in self.groups},
            }
        columns = list(self.groups.values())
        fields = self.fields
        inner, params = self.rows.order_by().values(*columns, *fields).query.sql_with_params()
        keys = ", ".join(f't."{c}"' for c in columns)
        sums = ", ".join(f'SUM(t."{f}")' for f in fields)
        sets = ", ".join(f'(t."{c}")' for c in columns)
        # Column names are this class's and the model's constants; values go as parameters.
        sql = (
            f"SELECT GROUPING({keys}), {keys}, {sums} FROM ({inner}) t "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets}, ())"
        )
        names = list(self.groups)
        # GROUPING's bits, first column highest: 1 where the column is not grouped.
        which = {(1 << len(names)) - 1: None}
        for i, name in enumerate(names):
            which[((1 << len(names)) - 1) ^ (1 << (len(names) - 1 - i))] = name
        found: dict[str | None, list[dict]] = {None: [], **{by: [] for by in names}}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                by = which[row[0]]
                item = {f: int(v or 0) for f, v in zip(fields, row[1 + len(names) :], strict=True)}
                if by is not None:
                    item[by] = row[1 + names.index(by)]
                found[by].append(item)
        if not found[None]:
            found[None] = [dict.fromkeys(fields, 0)]
        return found


def _grouped(rows, by: str | None) -> list[dict]:
    if isinstance(rows, Cube | Facets | Merged):
        return rows.grouped(by)
    return _sums(rows, by) if by else _sums(rows)


def _sums(rows: QuerySet, *group: str, fields: tuple[str, ...] = FIELDS) -> list[dict]:
    totals = {name: Sum(name) for name in fields}
    if not group:
        one = rows.aggregate(**totals)
        return [{k: v or 0 for k, v in one.items()}]
    return [
        {k: (v or 0) if k in fields else v for k, v in row.items()}
        for row in rows.values(*group).annotate(**totals).order_by(*group)
    ]


def _as_counts(row: dict) -> dict[str, int]:
    """The rollup's names as the rates' counting names (``selectors._rates_of``)."""
    return {
        "assigned": row["assigned"],
        "response_due": row["response_due"],
        "response_in_time": row["responded_in_time"],
        "leads": row["leads"],
        "redo": row["redone"],
        "done": row["done"],
        "resolved": row["resolved"],
        "rated": row["rated"],
        "satisfied": row["satisfied"],
        "bounced": row["bounced"],
        "overdue": row["overdue"],
    }


def rollup_summary(
    rows: QuerySet[Rollup],
    agency_ids: Collection[int] | None,
    *,
    agencies: list[Agency] | None = None,
) -> RatesSummary:
    """Each measured organisation's rates and the pooled ones, from the rollup: the same
    figures as :func:`selectors.rates_summary` over the same days (``agencies``: the measured
    organisations when already read)."""
    by_agency = {row["agency"]: _as_counts(row) for row in _grouped(rows, "agency")}
    if agencies is None:
        agencies = list(_measured(agency_ids))
    return rates_pooled(agencies, by_agency)


def rollup_agency_rates(rows: QuerySet[Rollup], agencies: Iterable[Agency]) -> list[AgencyRates]:
    by_agency = {row["agency"]: _as_counts(row) for row in _grouped(rows, "agency")}
    return [_rates_of(agency, by_agency.get(agency.pk, {})) for agency in agencies]


def step_start(day: date, step: str) -> date:
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def _next_step(day: date, step: str) -> date:
    if step == "week":
        return day + timedelta(days=7)
    if step == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


@dataclass(frozen=True)
class Step:
    start: date
    filed: int
    closed: int
    overdue: int
    rated: int
    satisfied: int

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)


def trend(rows: QuerySet[Rollup], *, first: date, last: date, step: str) -> list[Step]:
    """Per day, week (from Monday) or month of [first, last]: issues filed (and how many of
    those are resolved now), assignments received then that are overdue now, ratings and
    satisfied ratings of resolutions received then; every step included, empty ones as 0."""
    found: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in _grouped(rows, "day"):
        bucket = found[step_start(row["day"], step)]
        for name in ("filed", "closed", "overdue", "rated", "satisfied"):
            bucket[name] += row[name] or 0
    steps = []
    day = step_start(first, step)
    while day <= last:
        c = found.get(day, {})
        steps.append(
            Step(
                start=day,
                filed=c.get("filed", 0),
                closed=c.get("closed", 0),
                overdue=c.get("overdue", 0),
                rated=c.get("rated", 0),
                satisfied=c.get("satisfied", 0),
            )
        )
        day = _next_step(day, step)
    return steps


def breakdown(rows: QuerySet[Rollup], by: str) -> list[dict]:
    """Issues filed (and resolved now) by ``by`` ("category", "channel", "area" or
    "agency"): ``[{"key": id or code, "filed": n, "closed": n}]``, most filed first."""
    found = _grouped(rows, by)
    result = [
        {"key": row[by], "filed": row["filed"] or 0, "closed": row["closed"] or 0,
         "open": row["open"] or 0}
        for row in found
    ]  # fmt: skip
    result = [r for r in result if r["filed"]]
    return sorted(result, key=lambda r: (-r["filed"], str(r["key"])))


@dataclass(frozen=True)
class Distribution:
    bounds: tuple[int, ...]
    counts: list[int]
    total: int
    mean_seconds: float | None


def distributions(rows: QuerySet[Rollup]) -> dict[str, Distribution]:
    """How long signing for and resolving took: counts per bucket and the mean."""
    s = _grouped(rows, None)[0]
    return {
        "response": Distribution(
            bounds=RESPONSE_BOUNDS,
            counts=[s[f"response_b{i}"] for i in range(4)],
            total=s["responded"],
            mean_seconds=s["response_seconds"] / s["responded"] if s["responded"] else None,
        ),
        "resolution": Distribution(
            bounds=RESOLUTION_BOUNDS,
            counts=[s[f"resolution_b{i}"] for i in range(4)],
            total=s["done"],
            mean_seconds=s["resolution_seconds"] / s["done"] if s["done"] else None,
        ),
    }


def channel_table(facets: Facets | Cube | Merged) -> list[ChannelRates]:
    """Every channel (those with nothing as zeros): issues filed in the period, the share
    answered at first contact (直接办结) and the three rates over the work received in the
    period by issues of that channel — from the summaries, where ``selectors.channel_rates``
    counts the record (the API's answer)."""
    found = {row["channel"]: row for row in facets.grouped("channel")}
    table = []
    for channel, label in Issue.Channel.choices:
        c = found.get(channel, {})
        filed, answered = c.get("filed", 0), c.get("answered", 0)
        table.append(
            ChannelRates(
                channel=channel,
                label=str(label),
                filed=filed,
                answered_at_first_contact=answered,
                first_contact_share=_rate(answered, filed),
                response_rate=_rate(c.get("responded_in_time", 0), c.get("response_due", 0)),
                resolution_rate=_rate(c.get("resolved", 0), c.get("done", 0)),
                satisfaction_rate=_rate(c.get("satisfied", 0), c.get("rated", 0)),
            )
        )
    return table
