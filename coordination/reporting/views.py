"""The managers' dashboard: the three rates, the rankings, the trend of filings and the map.

Managers see the organisations in their reach (those they manage and every one below), the
dispatcher and administrators see all. Everything is drawn as server-rendered SVG (see
``charts.py``); every figure is aggregated in the database, so the page costs the same few
queries however many issues the period holds.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agencies.models import Area
from coordination.dispatch.permissions import (
    access_for,
    can_see_stats,
    is_dispatcher,
    issues_visible_to,
)
from coordination.routing.areas import LEVELS
from coordination.routing.model import AreaShape

from .charts import THREE_RATES, MapArea, area_map, rate_charts, trend_chart
from .selectors import channel_rates, issues_trend, open_issues_by_area, rates_summary

DEFAULT_DAYS = 30
# Longer than a month, the trend counts weeks rather than days.
DAILY_UP_TO_DAYS = 31
# The rates read every assignment of the period: a year is the most a page asks for (the API
# serves longer periods).
LONGEST_DAYS = 366


class PeriodForm(forms.Form):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``, both days included."""

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
    }


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _map_areas() -> tuple[str, list[MapArea], list[AreaShape]]:
    """The finest level of areas the city has (community, else street, else district): one
    query. Coarser levels would only cover the finer ones."""
    areas = list(Area.objects.only("code", "name_zh", "name_en", "level", "geometry"))
    present = {area.level for area in areas}
    level = next((lv for lv in reversed(LEVELS) if lv in present), "")
    chosen = [area for area in areas if area.level == level]
    return (
        level,
        [MapArea(code=a.code, name=a.name, geometry=a.geometry) for a in chosen],
        [AreaShape(code=a.code, level=a.level, geometry=a.geometry) for a in chosen],
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_see_stats(user):
        raise PermissionDenied(_("This page is for managers and the dispatch centre."))
    everyone = is_dispatcher(user)
    form = PeriodForm(_period_data(request, timezone.localdate()))
    if not form.is_valid():
        return render(
            request,
            "coordination/dashboard.html",
            {"form": form, "everyone": everyone},
            status=400,
        )
    first, last = form.cleaned_data["from"], form.cleaned_data["to"]
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    agency_ids = None if everyone else access_for(user).reach_ids
    summary = rates_summary(start=start, end=end, agency_ids=agency_ids)
    issues = issues_visible_to(user)
    step = "day" if (last - first).days + 1 <= DAILY_UP_TO_DAYS else "week"
    level, map_areas, shapes = _map_areas()
    counts = open_issues_by_area(issues=issues, start=start, end=end, areas=shapes)
    return render(
        request,
        "coordination/dashboard.html",
        {
            "form": form,
            "first": first,
            "last": last,
            "everyone": everyone,
            "summary": summary,
            "headline": [
                {
                    "key": "response_rate",
                    "label": _("Response rate"),
                    "percent": _percent(summary.response_rate),
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
                    "basis": ngettext(
                        "of %(n)d resolution", "of %(n)d resolutions", summary.resolution_basis
                    )
                    % {"n": summary.resolution_basis},
                },
                {
                    "key": "satisfaction_rate",
                    "label": _("Satisfaction rate"),
                    "percent": _percent(summary.satisfaction_rate),
                    "basis": ngettext(
                        "of %(n)d rating", "of %(n)d ratings", summary.satisfaction_basis
                    )
                    % {"n": summary.satisfaction_basis},
                },
            ],
            "rankings": rate_charts(summary.agencies, keys=THREE_RATES, ranked=True),
            "step": step,
            "trend": trend_chart(issues_trend(issues=issues, start=start, end=end, step=step)),
            "map": area_map(map_areas, counts.by_area),
            "map_level": dict(Area.Level.choices).get(level, ""),
            "unmapped": counts.elsewhere,
            "channels": channel_rates(issues=None if everyone else issues, start=start, end=end),
        },
    )


def _percent(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)
