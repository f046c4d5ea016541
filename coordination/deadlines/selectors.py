"""Deadlines in working time: which policy applies, and when work received now is due.

The calendar's hours and weekends come from ``settings.WORK_CALENDAR``; its public holidays
and make-up working days are ``CalendarDay`` rows an administrator keeps. The arithmetic is
:class:`coordination.deadlines.worktime.WorkCalendar`; this module only builds one and
applies it. The sweep that warns and escalates around deadlines acts on assignments, so it
lives with them (``coordination.dispatch.services.supervision``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from issues.models import Category

from .models import CalendarDay, SLAPolicy
from .worktime import WorkCalendar

# Without a policy in the database, the hotline's usual terms.
DEFAULT_RESPONSE = timedelta(hours=2)
DEFAULT_RESOLUTION = timedelta(hours=72)


def work_calendar() -> WorkCalendar:
    """The city's working calendar as it stands now (one small query)."""
    days = CalendarDay.objects.values_list("date", "kind")
    config = dict(settings.WORK_CALENDAR)
    config["holidays"] = [d.isoformat() for d, kind in days if kind == CalendarDay.Kind.HOLIDAY]
    config["workdays"] = [d.isoformat() for d, kind in days if kind == CalendarDay.Kind.WORKDAY]
    return WorkCalendar.from_config(config)


def deadlines_for(
    *, start: datetime, policy: SLAPolicy | None, calendar: WorkCalendar | None = None
) -> tuple[datetime, datetime]:
    """The response and resolution deadlines of work received at ``start``."""
    response = policy.response_delta if policy else DEFAULT_RESPONSE
    resolution = policy.resolution_delta if policy else DEFAULT_RESOLUTION
    if policy is not None and policy.round_the_clock:
        return start + response, start + resolution
    calendar = calendar or work_calendar()
    return calendar.add(start, response), calendar.add(start, resolution)


def sla_policy_named(code: str | None) -> SLAPolicy | None:
    """The policy a routing rule names by its code (None for none, or an unknown code)."""
    return SLAPolicy.objects.filter(code=code).first() if code else None


def sla_policy_for(*, category: Category | None, priority: str) -> SLAPolicy | None:
    """The most specific deadline policy for a category (or its nearest ancestor) and priority.

    A policy on the category itself beats one on its parent, which beats the city default
    (no category); within each, one for the priority beats one for any priority.
    """
    path = [c.pk for c in category.ancestors()] if category else []
    candidates = SLAPolicy.objects.filter(
        Q(category_id__in=path) | Q(category__isnull=True),
        Q(priority=priority) | Q(priority=""),
    )

    def rank(policy: SLAPolicy) -> tuple[int, int]:
        depth = len(path) - path.index(policy.category_id) if policy.category_id else 0
        return (depth, 1 if policy.priority else 0)

    return max(candidates, key=rank, default=None)
