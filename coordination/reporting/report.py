"""The monthly report (月度报告): one page per month, for the city or one organisation (and
those below it), laid out for printing: the rates, the rankings, the top categories, the hot
issues, the overdue and the supervised (督办) cases.

Whose figures: the gate's (``stats_agency_ids``); asking for an organisation outside them
answers 404. Rates and rankings come from the rollup; hot issues, overdue and supervised cases
from the record (a month, at most ``LISTED`` of each).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.permissions import stats_agency_ids
from coordination.dispatch.selectors import assignments_overdue
from coordination.hot.models import HotIssue, HotMember
from issues.models import Category

from .figures import Cube, breakdown, rollup_rows, rollup_summary
from .selectors import _measured
from .tables import RATES, percent, ranked
from .views import _require_stats

LISTED = 20


def _month(text: str, today: date) -> date:
    """``YYYY-MM`` → the first day of that month; the last whole month by default."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def report_scope(user, code: str) -> tuple[Agency | None, frozenset[int] | None]:
    """The organisation asked for (or None: the reader's whole scope) and the ids whose
    figures the report holds; 404 for an organisation outside the reader's figures."""
    allowed = stats_agency_ids(user)
    if not code:
        return None, allowed
    agency = Agency.objects.filter(code=code, active=True).first()
    if agency is None or (allowed is not None and agency.pk not in allowed):
        raise Http404("No such organisation.")
    below = {agency.pk}
    children: dict[int | None, list[int]] = {}
    for pk, parent in Agency.objects.filter(active=True).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    stack = [agency.pk]
    while stack:
        for child in children.get(stack.pop(), ()):
            below.add(child)
            stack.append(child)
    if allowed is not None:
        below &= set(allowed)
    return agency, frozenset(below)


@login_required
def monthly_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_stats(user)
    today = timezone.localdate()
    first = _month(request.GET.get("month", ""), today)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    agency, ids = report_scope(user, request.GET.get("agency", ""))
    rows = Cube(rollup_rows(first=first, last=last, agency_ids=ids))
    agencies = list(_measured(ids))
    summary = rollup_summary(rows, ids, agencies=agencies)
    categories = {c.pk: c.name for c in Category.objects.all()}
    top = breakdown(rows, "category")[:10]
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    hot = HotIssue.objects.filter(
        merged_into__isnull=True, first_at__lt=end, last_at__gte=start
    ).defer("state")
    overdue = assignments_overdue().filter(created_at__lt=end).select_related("issue", "agency")
    supervised = Handoff.objects.filter(
        kind=Handoff.Kind.ESCALATED, at__gte=start, at__lt=end
    ).select_related("issue")
    if ids is not None:
        in_scope = Assignment.objects.filter(agency_id__in=ids).values("issue_id")
        hot = hot.filter(pk__in=HotMember.objects.filter(issue_id__in=in_scope).values("hot_issue"))
        overdue = overdue.filter(agency_id__in=ids)
        supervised = supervised.filter(issue_id__in=in_scope)
    scope_choices = agencies if ids is None or len(agencies) > 1 else []
    return render(
        request,
        "coordination/monthly_report.html",
        {
            "month": first,
            "previous_month": (first - timedelta(days=1)).replace(day=1),
            "next_month": last + timedelta(days=1) if last < today else None,
            "agency": agency,
            "agencies": scope_choices,
            "summary": summary,
            "rates": [
                {
                    "key": key,
                    "title": _(title),
                    "rows": [
                        (r.name, percent(getattr(r, key))) for r in ranked(summary.agencies, key)
                    ],
                }
                for key, title in RATES
            ],
            "top_categories": [
                (categories.get(r["key"], "—"), r["filed"], r["closed"]) for r in top
            ],
            "filed": sum(r["filed"] for r in breakdown(rows, "channel")),
            "hot": list(hot.order_by("-size", "-heat")[:LISTED]),
            "overdue": list(overdue.order_by("due_at")[:LISTED]),
            "overdue_count": overdue.count(),
            "supervised": list(supervised.order_by("-at")[:LISTED]),
            "supervised_count": supervised.count(),
        },
    )
