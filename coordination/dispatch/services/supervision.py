"""Deadlines watched and late work escalated (督办), by the sweep and by the dispatcher.

The sweep warns before each active assignment's deadline, reminds at it, escalates to the
organisation's managers after it and to the dispatcher later still; each step is recorded
once per deadline (``DeadlineEvent``'s unique constraint), writes one Handoff and publishes
``deadline.step``. The dispatcher may also put any open issue under supervision by hand.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.deadlines.selectors import work_calendar
from issues.models import Issue, Update
from issues.services import issue_add_update
from platform_gov.errors import WorkflowError

from ..events import Event, publish
from ..models import Assignment, DeadlineEvent, Handoff
from ..selectors import dispatch_centre
from .common import locked_issue, require_text

logger = logging.getLogger(__name__)


def issue_escalate(*, issue_id: int, actor: AbstractBaseUser, note: str) -> Handoff:
    """Supervise (督办): put an open issue before its handlers' managers, on the record.

    Publishes ``issue.supervised`` with the organisations holding active work on it.
    """
    note = require_text(note, _("Say what is expected."))
    with transaction.atomic():
        issue = locked_issue(issue_id)
        if not issue.is_open:
            raise WorkflowError(_("Only an open issue can be supervised."), code="not_open")
        handoff = Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.ESCALATED,
            from_agency=dispatch_centre(),
            actor=actor,
            note=note,
            details={"by": "dispatcher"},
        )
        agency_ids = list(
            issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).values_list(
                "agency_id", flat=True
            )
        )
        publish(Event.ISSUE_SUPERVISED, issue_id=issue.pk, agency_ids=agency_ids)
    return handoff


def issue_caller_follow_up(*, issue_id: int, actor: AbstractBaseUser, note: str) -> Handoff:
    """A caller rang again about an open issue (a follow-up, not a new issue): the call-taker's
    note goes on the record and on the resident's timeline, and the organisations holding
    active work on it are reminded (``issue.followed_up``)."""
    note = require_text(note, _("Say what the caller said."))
    with transaction.atomic():
        issue = locked_issue(issue_id)
        if not issue.is_open:
            raise WorkflowError(_("The issue is no longer open: file a new one."), code="not_open")
        handoff = Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.REMINDED,
            actor=actor,
            note=note,
            details={"by": "caller", "channel": Issue.Channel.PHONE},
        )
        issue_add_update(issue=issue, kind=Update.Kind.FOLLOW_UP, note=note)
        agency_ids = list(
            issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).values_list(
                "agency_id", flat=True
            )
        )
        publish(Event.ISSUE_FOLLOWED_UP, issue_id=issue.pk, agency_ids=agency_ids)
    return handoff


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


def _due_assignments(*, now: datetime, horizon: datetime, warn: bool):
    """Active assignments with a step due and not yet recorded, decided in SQL: a warning
    (only when ``warn``, and only for deadlines longer than the warning window), the
    reminder and managers' escalation once late, the dispatcher's once late by at least
    ``ESCALATE_TO_DISPATCHER_AFTER`` in calendar time (working time is never more). The
    steps each one already has come along (one query), so none is tried twice."""
    Step, Clock = DeadlineEvent.Step, DeadlineEvent.Clock
    escalate_before = now - settings.ESCALATE_TO_DISPATCHER_AFTER

    def recorded(clock: str, step: str, field: str) -> Exists:
        return Exists(
            DeadlineEvent.objects.filter(
                assignment=OuterRef("pk"), clock=clock, step=step, due_at=OuterRef(field)
            )
        )

    def owed(status: str, clock: str, field: str, started: str) -> Q:
        late = Q(**{f"{field}__lte": now}) & (
            ~recorded(clock, Step.REMINDER, field) | ~recorded(clock, Step.MANAGERS, field)
        )
        later = Q(**{f"{field}__lte": escalate_before}) & ~recorded(clock, Step.DISPATCHER, field)
        due = late | later
        if warn:
            due |= (
                Q(**{f"{field}__gt": now, f"{field}__lte": horizon})
                & Q(**{f"{field}__gt": Coalesce(started, "created_at") + settings.DEADLINE_WARNING})
                & ~recorded(clock, Step.WARNING, field)
            )
        return Q(status=status) & due

    return (
        Assignment.objects.filter(issue__status__in=Issue.OPEN_STATUSES)
        .filter(
            owed(Assignment.Status.PENDING, Clock.RESPONSE, "response_due_at", "created_at")
            | owed(Assignment.Status.ACCEPTED, Clock.RESOLUTION, "due_at", "accepted_at")
        )
        .select_related("issue", "agency")
        .prefetch_related(
            Prefetch(
                "deadline_events",
                queryset=DeadlineEvent.objects.only("assignment_id", "clock", "step", "due_at"),
            )
        )
    )


def deadlines_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Warn before, remind at and escalate after each active assignment's deadline.

    For the response clock (pending assignments) and the resolution clock (active ones):
    a warning within ``DEADLINE_WARNING`` working time of the deadline — only when it is
    still useful: in working time (not on a Sunday for Monday morning's deadline) and only
    for a deadline whose whole span is longer than the warning window —, a reminder once it
    has passed, an escalation to the agency's managers at the same time, and one to the
    dispatcher once ``ESCALATE_TO_DISPATCHER_AFTER`` more working time has passed. Each step
    is recorded once per deadline (a constraint guarantees it, also when two sweeps run at
    once), writes one Handoff (``reminded`` or ``escalated``) and publishes ``deadline.step``.
    Only assignments with a step due and not yet recorded are read, so a sweep with nothing
    new to do costs two queries however many deadlines are near. Returns how many of each
    step were taken.
    """
    now = now or timezone.now()
    calendar = work_calendar()
    taken = {step: 0 for step in DeadlineEvent.Step.values}
    horizon = calendar.add(now, settings.DEADLINE_WARNING)
    working_now = calendar.next_working_moment(now) == now
    for assignment in _due_assignments(now=now, horizon=horizon, warn=working_now):
        # Pending work runs on the response clock; the resolution clock starts at sign-for.
        if assignment.status == Assignment.Status.PENDING:
            clock, due = DeadlineEvent.Clock.RESPONSE, assignment.response_due_at
            started = assignment.created_at
        else:
            clock, due = DeadlineEvent.Clock.RESOLUTION, assignment.due_at
            started = assignment.accepted_at or assignment.created_at
        done = {
            event.step
            for event in assignment.deadline_events.all()
            if event.clock == clock and event.due_at == due
        }
        steps = []
        if now < due:
            if (
                working_now
                and calendar.between(now, due) <= settings.DEADLINE_WARNING
                and calendar.between(started, due) > settings.DEADLINE_WARNING
            ):
                steps.append(DeadlineEvent.Step.WARNING)
        else:
            steps += [DeadlineEvent.Step.REMINDER, DeadlineEvent.Step.MANAGERS]
            if calendar.between(due, now) >= settings.ESCALATE_TO_DISPATCHER_AFTER:
                steps.append(DeadlineEvent.Step.DISPATCHER)
        for step in steps:
            if step in done:
                continue
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
                publish(
                    Event.DEADLINE_STEP,
                    assignment_id=assignment.pk,
                    issue_id=assignment.issue_id,
                    agency_id=assignment.agency_id,
                    clock=clock,
                    step=step,
                )
                taken[step] += 1
    return taken
