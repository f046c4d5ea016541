"""The dashboard's tables: every chart is drawn from one of these, the page shows it as a
table too (``<details>``), and the exports write it (CSV, Excel), so the three never disagree.

A table is a plain dict (it goes to the page as JSON): ``key``, ``title``, ``chart`` (``bar``,
``hbar``, ``line``), ``columns`` (the first names the rows' labels), ``rows`` (a label, then
numbers; None where there is nothing to measure), ``links`` (per row, the filtered issue list,
or None), ``percent`` (the numbers are percentages).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.models import Area
from issues.models import Category, Issue

from .figures import Cube, Facets, Merged, breakdown, distributions, rollup_summary, trend
from .models import AgencySummary
from .selectors import AgencyRates, RatesSummary, _measured

RATES = (
    ("response_rate", "Response rate (signed for in time)"),
    ("resolution_rate", "Resolution rate (resolved without redo)"),
    ("satisfaction_rate", "Satisfaction rate (rated 4 or 5)"),
    ("bounce_rate", "Bounce-back rate"),
    ("redo_rate", "Redo rate"),
)
# Lower is better for these: ranked from the lowest.
LOWER_IS_BETTER = {"bounce_rate", "redo_rate"}
TABLE_KEYS = (
    "trend",
    "satisfaction",
    "category",
    "channel",
    "area",
    *(key for key, _title in RATES),
    "response_time",
    "resolution_time",
)


def percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _issue_list(drill: dict | None, **params) -> str | None:
    """The workbench filtered to these issues, for readers who may open it (``drill``: the
    period's dates and the workbench's URL, reversed once for the page's thousand links),
    else None."""
    if drill is None:
        return None
    query = {"filed_from": drill["first"], "filed_to": drill["last"], **params}
    return drill["url"] + "?" + urlencode(query)


def _trend_tables(rows, first: date, last: date, step: str, drill) -> list[dict]:
    steps = trend(rows, first=first, last=last, step=step)
    label = {"day": _("Day"), "week": _("Week from"), "month": _("Month")}[step]

    def span(s) -> dict | None:
        if drill is None:
            return None
        end = {"day": s.start, "week": s.start + timedelta(days=6)}.get(step)
        if end is None:
            end = (s.start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return {
            "first": max(s.start, first).isoformat(),
            "last": min(end, last).isoformat(),
            "url": drill["url"],
        }

    fmt = "%Y-%m" if step == "month" else "%Y-%m-%d"
    return [
        {
            "key": "trend",
            "title": _("Issues filed, resolved and overdue"),
            "chart": "bar",
            "columns": [label, _("Filed"), _("Of them resolved"), _("Overdue now")],
            "rows": [[s.start.strftime(fmt), s.filed, s.closed, s.overdue] for s in steps],
            "links": [_issue_list(span(s)) for s in steps],
            "percent": False,
        },
        {
            "key": "satisfaction",
            "title": _("Satisfaction over time"),
            "chart": "line",
            "columns": [label, _("Satisfaction rate (%)"), _("Ratings")],
            "rows": [[s.start.strftime(fmt), percent(s.satisfaction_rate), s.rated] for s in steps],
            "links": [None for _s in steps],
            "percent": True,
        },
    ]


def _breakdown_tables(facets: Facets | Cube | Merged, drill) -> list[dict]:
    tables = []
    names = {
        "category": (
            _("Issues by category"),
            _("Category"),
            {c.pk: (c.name, c.code) for c in Category.objects.all()},
        ),
        "area": (
            _("Issues by area"),
            _("Area"),
            {a.pk: (a.name, a.code) for a in Area.objects.only("code", "name_zh", "name_en")},
        ),
        "channel": (
            _("Issues by channel"),
            _("Channel"),
            {c: (str(label), c) for c, label in Issue.Channel.choices},
        ),
    }
    for by in ("category", "channel", "area"):
        title, column, known = names[by]
        found = breakdown(facets, by)
        labels = [known.get(r["key"], (_("None"), None)) for r in found]
        tables.append(
            {
                "key": by,
                "title": title,
                "chart": "hbar",
                "columns": [column, _("Filed"), _("Of them resolved"), _("Still open")],
                "rows": [
                    [name, r["filed"], r["closed"], r["open"]]
                    for (name, _code), r in zip(labels, found, strict=True)
                ],
                "links": [
                    _issue_list(drill, **{by: code}) if code else None for _name, code in labels
                ],
                "percent": False,
            }
        )
    return tables


def ranked(agencies: list[AgencyRates], key: str) -> list[AgencyRates]:
    """Best first; an organisation with nothing to measure comes last."""
    sign = 1 if key in LOWER_IS_BETTER else -1
    return sorted(
        agencies,
        key=lambda r: (getattr(r, key) is None, sign * (getattr(r, key) or 0), r.name),
    )


def rate_tables(summary: RatesSummary, previous: RatesSummary | None, drill) -> list[dict]:
    before = {r.agency: r for r in previous.agencies} if previous else {}
    # Each organisation's link once, not once per ranking (five rankings of every one).
    links = {r.agency: _issue_list(drill, agency=r.agency) for r in summary.agencies}
    tables = []
    for key, title in RATES:
        order = ranked(summary.agencies, key)
        tables.append(
            {
                "key": key,
                "title": _(title),
                "chart": "hbar",
                "columns": [_("Organisation"), _("This period (%)"), _("Previous period (%)")],
                "rows": [
                    [
                        r.name,
                        percent(getattr(r, key)),
                        percent(getattr(before[r.agency], key)) if r.agency in before else None,
                    ]
                    for r in order
                ],
                "links": [links[r.agency] for r in order],
                "percent": True,
            }
        )
    return tables


def _hours(seconds: int) -> str:
    return f"{seconds // 3600}"


def _time_tables(rows) -> list[dict]:
    found = distributions(rows)
    tables = []
    for key, title in (
        ("response", _("Time to sign for (hours)")),
        ("resolution", _("Time to resolve (hours)")),
    ):
        d = found[key]
        edges = [0, *d.bounds]
        labels = [f"≤ {_hours(edges[i + 1])}" for i in range(len(d.bounds))]
        labels.append(f"> {_hours(d.bounds[-1])}")
        tables.append(
            {
                "key": f"{key}_time",
                "title": title,
                "chart": "bar",
                "columns": [_("Hours"), _("Count")],
                "rows": [[label, n] for label, n in zip(labels, d.counts, strict=True)],
                "links": [None] * len(labels),
                "percent": False,
                "mean_hours": None if d.mean_seconds is None else round(d.mean_seconds / 3600, 1),
            }
        )
    return tables


def dashboard_tables(
    rows: QuerySet[AgencySummary],
    previous_rows: QuerySet[AgencySummary],
    facets: Facets | Cube | Merged,
    *,
    first: date,
    last: date,
    step: str,
    agency_ids: Collection[int] | None,
    drill: bool,
) -> tuple[RatesSummary, RatesSummary, list[dict]]:
    """The period's pooled rates, the previous period's, and every table of the page: the
    rates, trend and times from the organisations' summary ``rows``, the breakdowns from
    ``facets``."""
    agencies = list(_measured(agency_ids))
    summary = rollup_summary(rows, agency_ids, agencies=agencies)
    previous = rollup_summary(previous_rows, agency_ids, agencies=agencies)
    period = (
        {
            "first": first.isoformat(),
            "last": last.isoformat(),
            "url": reverse("coordination:workbench"),
        }
        if drill
        else None
    )
    tables = [
        *_trend_tables(rows, first, last, step, period),
        *_breakdown_tables(facets, period),
        *rate_tables(summary, previous, period),
        *_time_tables(rows),
    ]
    return summary, previous, tables
