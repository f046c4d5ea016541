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
from django.db.models import Q
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


def deadlines_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Warn before, remind at and escalate after each active assignment's deadline.

    For the response clock (pending assignments) and the resolution clock (active ones):
    a warning within ``DEADLINE_WARNING`` working time of the deadline, a reminder once it
    has passed, an escalation to the agency's managers at the same time, and one to the
    dispatcher once ``ESCALATE_TO_DISPATCHER_AFTER`` more working time has passed. Each step
    is recorded once per deadline (a constraint guarantees it, also when two sweeps run at
    once), writes one Handoff (``reminded`` or ``escalated``) and publishes ``deadline.step``.
    Returns how many of each step were taken.
    """
    now = now or timezone.now()
    calendar = work_calendar()
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
