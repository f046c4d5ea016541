"""Deadlines in working time, and the sweep that warns, reminds and escalates (督办).

The calendar's hours and weekends come from ``settings.WORK_CALENDAR``; its public holidays
and make-up working days are ``CalendarDay`` rows an administrator keeps. The arithmetic is
``coordination.worktime.WorkCalendar``; this module only builds one and applies it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from issues.models import Issue

from .models import Assignment, CalendarDay, DeadlineEvent, Handoff, SLAPolicy
from .selectors import dispatch_centre
from .worktime import WorkCalendar

logger = logging.getLogger(__name__)


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
    # Without a policy in the database, the hotline's usual terms.
    response = policy.response_delta if policy else timedelta(hours=2)
    resolution = policy.resolution_delta if policy else timedelta(hours=72)
    if policy is not None and policy.round_the_clock:
        return start + response, start + resolution
    calendar = calendar or work_calendar()
    return calendar.add(start, response), calendar.add(start, resolution)


def _record(assignment: Assignment, clock: str, step: str, due_at: datetime, now) -> bool:
    """Record one step for one deadline; False when it was recorded before (never repeated)."""
    try:
        with transaction.atomic():
            DeadlineEvent.objects.create(
                assignment=assignment, clock=clock, step=step, due_at=due_at, at=now
            )
    except IntegrityError:
        return False  # another sweep got there first, or this step is done for this deadline
    return True


def deadlines_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Warn before, remind at and escalate after each active assignment's deadline.

    For the response clock (pending assignments) and the resolution clock (active ones):
    a warning within ``DEADLINE_WARNING`` working time of the deadline, a reminder once it
    has passed, an escalation to the agency's managers at the same time, and one to the
    dispatcher once ``ESCALATE_TO_DISPATCHER_AFTER`` more working time has passed. Each step
    is recorded once per deadline (a constraint guarantees it, also when two sweeps run at
    once), writes one Handoff (``reminded`` or ``escalated``) and notifies who it concerns.
    Returns how many of each step were taken.
    """
    from .notifications import notify_agency_after_commit

    now = now or timezone.now()
    calendar = work_calendar()
    centre = dispatch_centre()
    taken = {step: 0 for step in DeadlineEvent.Step.values}
    horizon = calendar.add(now, settings.DEADLINE_WARNING)
    active = (
        Assignment.objects.filter(
            status__in=Assignment.ACTIVE_STATUSES, issue__status__in=Issue.OPEN_STATUSES
        )
        .filter(
            Q(status=Assignment.Status.PENDING, response_due_at__lte=horizon)
            | Q(status=Assignment.Status.ACCEPTED, due_at__lte=horizon)
        )
        .select_related("issue", "agency")
    )
    for assignment in active:
        # Pending work runs on the response clock; the resolution clock starts at sign-for.
        if assignment.status == Assignment.Status.PENDING:
            clocks = [(DeadlineEvent.Clock.RESPONSE, assignment.response_due_at)]
        else:
            clocks = [(DeadlineEvent.Clock.RESOLUTION, assignment.due_at)]
        clocks = [(clock, due) for clock, due in clocks if due is not None]
        for clock, due in clocks:
            steps = []
            if now < due:
                if calendar.between(now, due) <= settings.DEADLINE_WARNING:
                    steps.append(DeadlineEvent.Step.WARNING)
            else:
                steps += [DeadlineEvent.Step.REMINDER, DeadlineEvent.Step.MANAGERS]
                if calendar.between(due, now) >= settings.ESCALATE_TO_DISPATCHER_AFTER:
                    steps.append(DeadlineEvent.Step.DISPATCHER)
            for step in steps:
                with transaction.atomic():
                    if not _record(assignment, clock, step, due, now):
                        continue
                    escalated = step in (DeadlineEvent.Step.MANAGERS, DeadlineEvent.Step.DISPATCHER)
                    Handoff.objects.create(
                        issue=assignment.issue,
                        kind=Handoff.Kind.ESCALATED if escalated else Handoff.Kind.REMINDED,
                        assignment=assignment,
                        to_agency=assignment.agency,
                        note=f"{clock} {step}",
                        details={"clock": clock, "step": step, "due_at": due.isoformat()},
                        at=now,
                    )
                    notify_agency_after_commit(
                        agency_id=(
                            centre.pk
                            if step == DeadlineEvent.Step.DISPATCHER and centre
                            else assignment.agency_id
                        ),
                        issue_id=assignment.issue_id,
                        event=f"deadline_{step}",
                        managers_only=step == DeadlineEvent.Step.MANAGERS,
                    )
                    taken[step] += 1
    return taken
