"""Public figures (公开数据): what anyone may see without signing in, as Beijing publishes its
monthly 接诉即办 rankings — each organisation's monthly rates and ranking, and the city's
counts by category and by area — as a page and as open data at stable URLs
(``/figures/<yyyy>-<mm>.csv`` and ``.json``).

No personal data: only counts and rates from the rollup. Private categories (and those under
them) are left out of everything, rates included. A count under ``FIGURES_SUPPRESS_BELOW`` is
suppressed (None; "<5" on the page and in the CSV), and so is a rate whose basis is under it,
so that no resident can be singled out.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from datetime import date, timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from agencies.models import Area
from issues.models import Category
from issues.publication import private_category_ids

from .figures import Cube, _as_counts, breakdown, rollup_rows
from .selectors import _measured, _rate

RATE_KEYS = ("response_rate", "resolution_rate", "satisfaction_rate")
BASIS = {"response_rate": "response_due", "resolution_rate": "done", "satisfaction_rate": "rated"}
PARTS = {
    "response_rate": "response_in_time",
    "resolution_rate": "resolved",
    "satisfaction_rate": "satisfied",
}


def _threshold() -> int:
    return settings.FIGURES_SUPPRESS_BELOW


def _count(n: int) -> int | None:
    return n if n >= _threshold() else None


def month_figures(first: date) -> dict:
    """The month's public figures, as plain data (the page, CSV and JSON share it)."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    rows = Cube(
        rollup_rows(first=first, last=last, agency_ids=None).exclude(
            category_id__in=private_category_ids()
        )
    )
    by_agency = {row["agency"]: _as_counts(row) for row in rows.grouped("agency")}
    organisations = []
    for agency in _measured(None):
        c = by_agency.get(agency.pk, {})
        entry = {"code": agency.code, "name_zh": agency.name_zh, "name_en": agency.name_en}
        for key in RATE_KEYS:
            basis = c.get(BASIS[key], 0)
            entry[key] = _rate(c.get(PARTS[key], 0), basis) if basis >= _threshold() else None
            entry[f"{key}_basis"] = _count(basis)
        organisations.append(entry)
    for key in RATE_KEYS:
        order = sorted(
            (o for o in organisations if o[key] is not None), key=lambda o: (-o[key], o["code"])
        )
        for rank, o in enumerate(order, start=1):
            o[f"{key}_rank"] = rank
        for o in organisations:
            o.setdefault(f"{key}_rank", None)
    categories = {c.pk: c for c in Category.objects.all()}
    areas = {a.pk: a for a in Area.objects.only("code", "name_zh", "name_en")}

    def named(found, known):
        out = []
        for r in found:
            item = known.get(r["key"])
            if item is None:
                continue
            out.append(
                {
                    "code": item.code,
                    "name_zh": item.name_zh,
                    "name_en": item.name_en,
                    "filed": _count(r["filed"]),
                    "resolved": _count(r["closed"]),
                }
            )
        return out

    return {
        "month": first.strftime("%Y-%m"),
        "suppressed_below": _threshold(),
        "organisations": organisations,
        "categories": named(breakdown(rows, "category"), categories),
        "areas": named(breakdown(rows, "area"), areas),
    }


def _month_or_404(year: int, month: int) -> date:
    if not 1 <= month <= 12 or year < 2000:
        raise Http404("No such month.")
    first = date(year, month, 1)
    if first > timezone.localdate():
        raise Http404("Not yet.")
    return first


def figures_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    text = request.GET.get("month", "")
    try:
        year, month = (int(p) for p in text.split("-"))
        first = _month_or_404(year, month)
    except ValueError:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    data = month_figures(first)
    months = []
    day = today.replace(day=1)
    for _i in range(12):
        day = (day - timedelta(days=1)).replace(day=1)
        months.append(day.strftime("%Y-%m"))
    return render(
        request,
        "coordination/public_figures.html",
        {
            "data": data,
            "months": months,
            "below": _threshold(),
            "csv_url": _data_url(first, "csv"),
            "json_url": _data_url(first, "json"),
        },
    )


def _data_url(first: date, fmt: str) -> str:
    return reverse(
        "coordination:public_figures_data", args=[f"{first.year:04d}", f"{first.month:02d}", fmt]
    )


def _cell(value) -> str:
    if value is None:
        return f"<{_threshold()}"
    return str(value)


def figures_open_data(request: HttpRequest, year: str, month: str, fmt: str) -> HttpResponse:
    data = month_figures(_month_or_404(int(year), int(month)))
    name = f"figures-{data['month']}"
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False), content_type="application/json"
        )
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["section", "code", "name_zh", "name_en", "figure", "value", "rank"])
        for o in data["organisations"]:
            for key in RATE_KEYS:
                value = o[key] if o[key] is not None else None
                writer.writerow(
                    ["organisation", o["code"], o["name_zh"], o["name_en"], key,
                     "" if value is None else value, o[f"{key}_rank"] or ""]
                )  # fmt: skip
        for section in ("categories", "areas"):
            for item in data[section]:
                for figure in ("filed", "resolved"):
                    writer.writerow(
                        [section[:-1] if section == "areas" else "category", item["code"],
                         item["name_zh"], item["name_en"], figure, _cell(item[figure]), ""]
                    )  # fmt: skip
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{name}.csv"'
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
