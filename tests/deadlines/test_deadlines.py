"""Deadlines in working time, and the sweep that warns, reminds and escalates (督办).

The clock is frozen on the Friday before the Dragon Boat holiday (Monday 2 June 2025, kept as
a ``CalendarDay``). Working hours are 09:00-12:00 and 13:30-18:00, Monday to Friday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from agencies.models import Agency, Membership
from coordination.deadlines.models import CalendarDay
from coordination.deadlines.selectors import deadlines_for
from coordination.dispatch import tasks as dispatch_tasks
from coordination.dispatch.models import Assignment, DeadlineEvent, Handoff
from coordination.dispatch.services import assignments, requests
from coordination.dispatch.services.supervision import deadlines_sweep
from issues.services import issue_submit
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CategoryFactory,
    SLAPolicyFactory,
    member,
    routing_rule,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


WEDNESDAY_20 = at(2025, 5, 28, 20, 0)
FRIDAY_16 = at(2025, 5, 30, 16, 0)
FRIDAY_17 = at(2025, 5, 30, 17, 0)
HOLIDAY = date(2025, 6, 2)  # Monday
TUESDAY_10 = at(2025, 6, 3, 10, 0)
NOTHING = {"warning": 0, "reminder": 0, "managers": 0, "dispatcher": 0}


@pytest.fixture(autouse=True)
def _english_and_locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The terms these tests count on, whatever the environment says.
    settings.WORK_CALENDAR = {
        "timezone": "Asia/Shanghai",
        "day_start": "09:00",
        "day_end": "18:00",
        "breaks": [["12:00", "13:30"]],
        "weekend": [5, 6],
    }
    settings.DEADLINE_WARNING = timedelta(hours=2)
    settings.ESCALATE_TO_DISPATCHER_AFTER = timedelta(hours=4)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(FRIDAY_16, tick=False) as traveller:
        yield traveller


@pytest.fixture
def holiday():
    return CalendarDay.objects.create(date=HOLIDAY, kind=CalendarDay.Kind.HOLIDAY, name="端午节")


@pytest.fixture
def policy():
    return SLAPolicyFactory(category=None, priority="", response_hours=2, resolution_hours=9)


@pytest.fixture
def centre():
    return AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def dispatcher(centre):
    return member(centre, username="dispatcher")


@pytest.fixture
def dept():
    return AgencyFactory(code="roads")


@pytest.fixture
def staff(dept):
    return member(dept, username="roads-clerk")


@pytest.fixture
def manager(dept):
    return member(dept, role=Membership.Role.MANAGER, username="roads-boss")


@pytest.fixture
def late_work(dept, staff, manager, dispatcher):
    """Accepted work due Tuesday 10:00, the first working hour after the holiday weekend."""
    return AssignmentFactory(
        agency=dept,
        status=Assignment.Status.ACCEPTED,
        created_at=FRIDAY_16 - timedelta(days=3),
        accepted_at=FRIDAY_16 - timedelta(days=3),
        response_due_at=FRIDAY_16 - timedelta(days=3) + timedelta(hours=2),
        due_at=TUESDAY_10,
    )


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the periodic sweep at the frozen moment, letting its notifications go out."""

    def run() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return deadlines_sweep()

    return run


def recipients() -> list[list[str]]:
    return [m.to for m in mail.outbox]


def events(assignment: Assignment) -> list[tuple[str, str]]:
    return list(assignment.deadline_events.order_by("id").values_list("clock", "step"))


def handoffs(assignment: Assignment) -> list[tuple[str, str]]:
    return [
        (h.kind, h.details["step"])
        for h in Handoff.objects.filter(assignment=assignment).order_by("id")
    ]


# ------------------------------------------------------------------ deadline arithmetic


def test_deadlines_skip_nights_the_weekend_and_the_holiday(holiday, policy):
    response, resolution = deadlines_for(start=FRIDAY_16, policy=policy)

    assert response == at(2025, 5, 30, 18, 0)  # by close of business
    # Friday 16-18 (2 h), the weekend and Monday off, Tuesday 9-12 (3 h) and 13:30-17:30 (4 h).
    assert resolution == at(2025, 6, 3, 17, 30)


def test_without_the_holiday_the_same_deadline_falls_on_monday(policy):
    _, resolution = deadlines_for(start=FRIDAY_16, policy=policy)

    assert resolution == at(2025, 6, 2, 17, 30)


def test_work_received_at_night_counts_from_the_next_morning(policy):
    response, _ = deadlines_for(start=WEDNESDAY_20, policy=policy)

    assert response == at(2025, 5, 29, 11, 0)


def test_a_round_the_clock_policy_counts_calendar_hours_through_the_holiday(holiday):
    urgent = SLAPolicyFactory(
        category=None, priority="urgent", response_hours=2, resolution_hours=9, round_the_clock=True
    )

    response, resolution = deadlines_for(start=FRIDAY_16, policy=urgent)

    assert response == at(2025, 5, 30, 18, 0)
    assert resolution == at(2025, 5, 31, 1, 0)


def test_without_a_policy_the_usual_terms_apply_in_working_time(holiday):
    response, resolution = deadlines_for(start=FRIDAY_16, policy=None)

    assert response == at(2025, 5, 30, 18, 0)
    # 72 working hours: 2 h on Friday, then nine 7.5 h days from Tuesday, then 2.5 h.
    assert resolution == at(2025, 6, 16, 11, 30)


def test_accepting_starts_the_resolution_clock_from_the_acceptance(
    holiday, policy, dept, staff, clock, django_capture_on_commit_callbacks
):
    category = CategoryFactory()
    routing_rule(category=category, lead=dept)
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(title="Pothole", description="Deep.", category=category)
    lead = issue.assignments.get()
    assert lead.response_due_at == at(2025, 5, 30, 18, 0)
    assert lead.due_at == at(2025, 6, 3, 17, 30)  # provisional, from receipt

    clock.move_to(TUESDAY_10)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)

    lead.refresh_from_db()
    # Tuesday 10-12 (2 h) and 13:30-18 (4.5 h), Wednesday 9-11:30 (2.5 h).
    assert lead.due_at == at(2025, 6, 4, 11, 30)
    assert lead.response_due_at == at(2025, 5, 30, 18, 0)
    accepted = Handoff.objects.get(assignment=lead, kind=Handoff.Kind.ACCEPTED)
    assert accepted.details["in_time"] is False


def test_an_extended_deadline_is_kept_when_the_work_is_accepted(
    policy, dept, staff, dispatcher, django_capture_on_commit_callbacks
):
    category = CategoryFactory()
    routing_rule(category=category, lead=dept)
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(title="Pothole", description="Deep.", category=category)
    lead = issue.assignments.get()
    until = lead.due_at + timedelta(days=5)
    request = requests.assignment_request_extension(
        assignment_id=lead.pk, actor=staff, until=until, reason="Needs a road closure."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)

    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)

    lead.refresh_from_db()
    assert lead.due_at == until


# ------------------------------------------------------------------------- the sweep


def test_sweep_before_the_warning_horizon_does_nothing(holiday, late_work, sweep):
    # Friday 16:00: three working hours before Tuesday 10:00.
    assert sweep() == NOTHING

    assert not DeadlineEvent.objects.exists()
    assert not Handoff.objects.exists()
    assert mail.outbox == []


def test_sweep_warns_once_within_the_warning_time(holiday, late_work, sweep, clock):
    clock.move_to(FRIDAY_17)  # Friday 17-18 and Tuesday 9-10: two working hours to go

    assert sweep() == {**NOTHING, "warning": 1}

    event = late_work.deadline_events.get()
    assert (event.clock, event.step, event.due_at, event.at) == (
        DeadlineEvent.Clock.RESOLUTION,
        DeadlineEvent.Step.WARNING,
        TUESDAY_10,
        FRIDAY_17,
    )
    warned = Handoff.objects.get()
    assert (warned.kind, warned.assignment, warned.to_agency) == (
        Handoff.Kind.REMINDED,
        late_work,
        late_work.agency,
    )
    assert warned.details["step"] == "warning"
    assert recipients() == [["roads-boss@example.org", "roads-clerk@example.org"]]
    assert late_work.issue.tracking_number in mail.outbox[0].subject

    clock.shift(timedelta(minutes=30))
    assert sweep() == NOTHING
    assert DeadlineEvent.objects.count() == 1
    assert Handoff.objects.count() == 1
    assert len(mail.outbox) == 1


def test_without_the_holiday_friday_evening_is_too_early_to_warn(late_work, sweep, clock):
    clock.move_to(FRIDAY_17)  # Monday would be 7.5 more working hours

    assert sweep() == NOTHING


def test_sweep_after_the_deadline_reminds_and_escalates_to_the_managers(
    holiday, late_work, sweep, clock
):
    clock.move_to(TUESDAY_10 + timedelta(minutes=30))

    assert sweep() == {**NOTHING, "reminder": 1, "managers": 1}

    assert events(late_work) == [("resolution", "reminder"), ("resolution", "managers")]
    assert handoffs(late_work) == [
        (Handoff.Kind.REMINDED, "reminder"),
        (Handoff.Kind.ESCALATED, "managers"),
    ]
    assert recipients() == [
        ["roads-boss@example.org", "roads-clerk@example.org"],
        ["roads-boss@example.org"],
    ]
    assert sweep() == NOTHING
    assert len(mail.outbox) == 2


def test_sweep_escalates_to_the_dispatcher_after_more_working_time(
    holiday, late_work, sweep, clock
):
    # Four working hours after Tuesday 10:00 is 15:30 (lunch does not count).
    clock.move_to(at(2025, 6, 3, 15, 29))
    assert sweep() == {**NOTHING, "reminder": 1, "managers": 1}
    mail.outbox.clear()

    clock.move_to(at(2025, 6, 3, 15, 30))
    assert sweep() == {**NOTHING, "dispatcher": 1}

    assert events(late_work)[-1] == ("resolution", "dispatcher")
    assert handoffs(late_work)[-1] == (Handoff.Kind.ESCALATED, "dispatcher")
    assert recipients() == [["dispatcher@example.org"]]
    clock.shift(timedelta(hours=1))
    assert sweep() == NOTHING


def test_an_extension_lets_the_steps_come_again_for_the_new_deadline(
    holiday, late_work, sweep, clock, staff, dispatcher
):
    clock.move_to(FRIDAY_17)
    sweep()
    new_due = at(2025, 6, 4, 10, 0)  # Wednesday
    request = requests.assignment_request_extension(
        assignment_id=late_work.pk, actor=staff, until=new_due, reason="Parts on order."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)

    clock.move_to(TUESDAY_10 + timedelta(minutes=30))  # the old deadline has passed
    assert sweep() == NOTHING

    clock.move_to(at(2025, 6, 4, 8, 30))  # before the working day: no one reads a warning
    assert sweep() == NOTHING
    clock.move_to(at(2025, 6, 4, 9, 0))  # the day begins, one working hour before it
    assert sweep() == {**NOTHING, "warning": 1}
    clock.move_to(at(2025, 6, 4, 10, 30))
    assert sweep() == {**NOTHING, "reminder": 1, "managers": 1}

    assert list(late_work.deadline_events.order_by("id").values_list("step", "due_at")) == [
        ("warning", TUESDAY_10),
        ("warning", new_due),
        ("reminder", new_due),
        ("managers", new_due),
    ]


def test_sweep_watches_the_response_clock_of_pending_work(dept, staff, manager, sweep, clock):
    pending = AssignmentFactory(
        agency=dept,
        created_at=FRIDAY_16 - timedelta(days=1),
        response_due_at=FRIDAY_16 + timedelta(minutes=30),
        due_at=FRIDAY_16 + timedelta(days=10),
    )
    assert sweep() == {**NOTHING, "warning": 1}

    clock.move_to(FRIDAY_17)
    assert sweep() == {**NOTHING, "reminder": 1, "managers": 1}

    assert events(pending) == [
        ("response", "warning"),
        ("response", "reminder"),
        ("response", "managers"),
    ]


@pytest.mark.parametrize(
    "status",
    [Assignment.Status.DONE, Assignment.Status.RETURNED, Assignment.Status.CANCELLED],
)
def test_sweep_ignores_work_that_is_over(dept, staff, sweep, clock, status):
    AssignmentFactory(
        agency=dept,
        status=status,
        accepted_at=FRIDAY_16 - timedelta(days=3),
        done_at=FRIDAY_16 - timedelta(days=1),
        response_due_at=FRIDAY_16 - timedelta(days=3),
        due_at=FRIDAY_16 - timedelta(days=2),
    )

    assert sweep() == NOTHING
    assert not Handoff.objects.exists()
    assert mail.outbox == []


def test_the_periodic_task_runs_the_sweep(holiday, late_work, clock):
    clock.move_to(FRIDAY_17)

    assert dispatch_tasks.deadlines_sweep.delay().get() == {**NOTHING, "warning": 1}


# ----------------------------------------------------------------------- overdue work


def test_overdue_marks_late_work_only_while_it_is_active(dept):
    now = FRIDAY_16
    issue = AssignmentFactory(agency=dept).issue
    late_to_accept = AssignmentFactory(
        issue=issue,
        agency=AgencyFactory(),
        role=Assignment.Role.CO_HANDLER,
        response_due_at=now - timedelta(minutes=1),
        due_at=now + timedelta(days=1),
    )
    accepted_late_to_resolve = AssignmentFactory(
        agency=dept,
        status=Assignment.Status.ACCEPTED,
        accepted_at=now - timedelta(days=2),
        response_due_at=now - timedelta(days=2),
        due_at=now - timedelta(minutes=1),
    )
    accepted_in_time = AssignmentFactory(
        agency=dept,
        status=Assignment.Status.ACCEPTED,
        accepted_at=now - timedelta(days=2),
        response_due_at=now - timedelta(days=2),  # signed for: the response clock is over
        due_at=now + timedelta(minutes=1),
    )
    done_late = AssignmentFactory(
        agency=dept,
        status=Assignment.Status.DONE,
        accepted_at=now - timedelta(days=2),
        due_at=now - timedelta(days=1),
    )
    undated = AssignmentFactory(agency=dept, response_due_at=None, due_at=None)

    assert late_to_accept.is_overdue(now) is True
    assert accepted_late_to_resolve.is_overdue(now) is True
    assert accepted_in_time.is_overdue(now) is False
    assert done_late.is_overdue(now) is False
    assert undated.is_overdue(now) is False
    assert late_to_accept.is_overdue() is True  # the frozen clock is the default
