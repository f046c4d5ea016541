"""The managers' dashboard (指挥大屏): the rates, rankings, trends, breakdowns, time
distributions and the map, for any period, compared with the previous one.

Who sees what is the gate's (``stats_agency_ids``): managers their organisations and those
below, enterprise partners their own, the dispatcher and the city's leaders the whole city.
Every figure comes from the summaries of the rollup (``models.AgencySummary`` and
``models.FacetSummary``, whole months as month rows), so the page costs the same few queries
over a few thousand rows however many issues the period holds. Charts are Apache ECharts
(``static/js/dashboard.js``) drawn from the tables of ``tables.py``, which the page also shows
as tables and exports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from coordination.dispatch.permissions import (
    can_see_stats,
    is_dispatcher,
    stats_agency_ids,
)

from .exports import FORMATS, table_response
from .figures import Cube, channel_table, facets_for, summary_rows
from .maps import area_layer, dashboard_map
from .selectors import _rate
from .services import rollup_version
from .tables import RATES, TABLE_KEYS, dashboard_tables

DEFAULT_DAYS = 30
# Longer than a month, the trend counts weeks rather than days.
DAILY_UP_TO_DAYS = 31
WEEKLY_UP_TO_DAYS = 183
# Part of the figures' cache key: a release that changes what they hold (or the rendered
# fragment cached under their key) raises it, so that it never reads an older release's.
FIGURES_FORMAT = 3
# A year at most a page (comparisons included, two years of rollup rows are read).
LONGEST_DAYS = 366


class PeriodForm(forms.Form):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``, both days included."""

    step = forms.ChoiceField(
        label=gettext_lazy("Count by"),
        required=False,
        choices=[
            ("", gettext_lazy("Automatic")),
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # ``from`` is a Python keyword: the fields are added here rather than declared.
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"),
            widget=forms.DateInput(attrs={"type": "date"}),
            input_formats=["%Y-%m-%d"],
        )
        self.fields["to"] = forms.DateField(
            label=gettext_lazy("To"),
            widget=forms.DateInput(attrs={"type": "date"}),
            input_formats=["%Y-%m-%d"],
            help_text=gettext_lazy("Both days are included."),
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end:
            if end < start:
                self.add_error("to", _("The end must not come before the start."))
            elif (end - start).days + 1 > LONGEST_DAYS:
                self.add_error(
                    "from",
                    _("Choose a period of at most %(days)d days.") % {"days": LONGEST_DAYS},
                )
        return data


def _period_data(request: HttpRequest, today: date) -> dict[str, str]:
    """The query's dates, the last ``DEFAULT_DAYS`` days for the ones left out."""
    return {
        "from": request.GET.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": request.GET.get("to") or today.isoformat(),
        "step": request.GET.get("step", ""),
    }


def period_of(request: HttpRequest) -> tuple[PeriodForm, Period | None]:
    """The period asked for (the last ``DEFAULT_DAYS`` days by default), or None with the
    form's errors."""
    form = PeriodForm(_period_data(request, timezone.localdate()))
    if not form.is_valid():
        return form, None
    first, last = form.cleaned_data["from"], form.cleaned_data["to"]
    days = (last - first).days + 1
    step = form.cleaned_data["step"] or (
        "day" if days <= DAILY_UP_TO_DAYS else "week" if days <= WEEKLY_UP_TO_DAYS else "month"
    )
    return form, Period(first=first, last=last, step=step)


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    step: str

    @property
    def query(self) -> str:
        return urlencode(
            {"from": self.first.isoformat(), "to": self.last.isoformat(), "step": self.step}
        )

    @property
    def previous(self) -> tuple[date, date]:
        """The period of equal length just before."""
        days = (self.last - self.first).days + 1
        return self.first - timedelta(days=days), self.first - timedelta(days=1)


def figures_for(request: HttpRequest, period: Period) -> dict:
    """The headline, the previous period's, every table and the open issues by area, for
    this reader. Cached until the rollup next changes (``rollup_version``): the figures
    cannot change before, and a wall display reloads the same page all day."""
    user = request.user
    agency_ids = stats_agency_ids(user)
    drill = is_dispatcher(user)
    scope = "all" if agency_ids is None else ",".join(map(str, sorted(agency_ids)))
    key = (
        f"reporting:figures:{FIGURES_FORMAT}:"
        + hashlib.sha256(
            f"{rollup_version()}|{get_language()}|{scope}|{period.query}|{drill}".encode()
        ).hexdigest()
    )
    found = cache.get(key)
    if found is not None:
        return {**found, "key": key}
    # Month rows for the trend only when it counts months: a day or a week must not see a
    # month's sums on the month's first day.
    rows = Cube(
        summary_rows(
            first=period.first,
            last=period.last,
            agency_ids=agency_ids,
            months=period.step == "month",
        ),
        Cube.SUMMARY_GROUPS,
    )
    before_first, before_last = period.previous
    before = summary_rows(first=before_first, last=before_last, agency_ids=agency_ids)
    facets = facets_for(first=period.first, last=period.last, agency_ids=agency_ids)
    summary, previous, tables = dashboard_tables(
        rows,
        before,
        facets,
        first=period.first,
        last=period.last,
        step=period.step,
        agency_ids=agency_ids,
        drill=drill,
    )
    found = {
        "summary": summary,
        "previous": previous,
        "tables": tables,
        "map": area_layer(
            {row["area"]: row["open"] for row in facets.grouped("area")},
            {row["area"]: _rate(row["resolved"], row["done"]) for row in facets.grouped("area")},
        ),
        "channels": channel_table(facets),
    }
    cache.set(key, found, timeout=settings.FIGURES_CACHE_SECONDS)
    return {**found, "key": key}


def _require_stats(user) -> None:
    if not can_see_stats(user):
        raise PermissionDenied(_("This page is for managers, leaders and the dispatch centre."))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_stats(user)
    everyone = stats_agency_ids(user) is None
    form, period = period_of(request)
    if period is None:
        return render(
            request,
            "coordination/dashboard.html",
            {"form": form, "everyone": everyone},
            status=400,
        )
    figures = figures_for(request, period)
    summary, previous = figures["summary"], figures["previous"]
    before_first, before_last = period.previous
    return render(
        request,
        "coordination/dashboard.html",
        {
            "form": form,
            "first": period.first,
            "last": period.last,
            "previous_first": before_first,
            "previous_last": before_last,
            "step": period.step,
            "everyone": everyone,
            "summary": summary,
            "headline": _headline(summary, previous),
            "tables": figures["tables"],
            "rate_keys": [key for key, _title in RATES],
            "query": period.query,
            "map": dashboard_map(user, figures["map"], period),
            # The rendered charts and tables are cached under the figures' own key.
            "figures_key": figures["key"],
            "figures_seconds": settings.FIGURES_CACHE_SECONDS,
            # Per channel, with what was answered at first contact (直接办结): from the same
            # summaries, cached with the rest.
            "channels": figures["channels"],
        },
    )


def _headline(summary, previous) -> list[dict]:
    return [
        {
            "key": "response_rate",
            "label": _("Response rate"),
            "percent": _percent(summary.response_rate),
            "previous": _percent(previous.response_rate),
            "basis": ngettext(
                "of %(n)d assignment due to be signed for",
                "of %(n)d assignments due to be signed for",
                summary.response_basis,
            )
            % {"n": summary.response_basis},
        },
        {
            "key": "resolution_rate",
            "label": _("Resolution rate"),
            "percent": _percent(summary.resolution_rate),
            "previous": _percent(previous.resolution_rate),
            "basis": ngettext(
                "of %(n)d resolution", "of %(n)d resolutions", summary.resolution_basis
            )
            % {"n": summary.resolution_basis},
        },
        {
            "key": "satisfaction_rate",
            "label": _("Satisfaction rate"),
            "percent": _percent(summary.satisfaction_rate),
            "previous": _percent(previous.satisfaction_rate),
            "basis": ngettext("of %(n)d rating", "of %(n)d ratings", summary.satisfaction_basis)
            % {"n": summary.satisfaction_basis},
        },
    ]


def _percent(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


@login_required
def dashboard_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One of the dashboard's tables, as CSV or Excel, for the period asked (same rule)."""
    _require_stats(request.user)
    if key not in TABLE_KEYS or fmt not in FORMATS:
        raise Http404("No such table.")
    _form, period = period_of(request)
    if period is None:
        return HttpResponseBadRequest(_("Choose a valid period."))
    table = next(t for t in figures_for(request, period)["tables"] if t["key"] == key)
    return table_response(table, fmt, f"{key}-{period.first}-{period.last}")
