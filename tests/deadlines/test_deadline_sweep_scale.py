"""The deadline sweep warns only when a warning helps, and reads only what is due and not yet
recorded: a sweep over many deadlines with nothing new to do costs a fixed few queries (it
once tried an INSERT per step per assignment and let the unique constraint refuse it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from coordination.dispatch.models import Assignment, DeadlineEvent
from coordination.dispatch.services.supervision import deadlines_sweep
from coordination.outbound.models import OutboxMessage
from tests.factories import AgencyFactory, AssignmentFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOTHING = {"warning": 0, "reminder": 0, "managers": 0, "dispatcher": 0}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


FRIDAY_16 = at(2025, 5, 30, 16, 0)
SUNDAY_20 = at(2025, 6, 1, 20, 0)
MONDAY_10 = at(2025, 6, 2, 10, 0)


@pytest.fixture
def dept(settings):
    settings.DEADLINE_WARNING = timedelta(hours=2)
    settings.ESCALATE_TO_DISPATCHER_AFTER = timedelta(hours=4)
    return AgencyFactory(code="roads")


def pending(dept, *, created: datetime, due: datetime) -> Assignment:
    return AssignmentFactory(
        agency=dept, created_at=created, response_due_at=due, due_at=due + timedelta(days=9)
    )


def test_no_warning_for_a_deadline_shorter_than_the_warning_window(dept):
    short = pending(
        dept, created=FRIDAY_16 - timedelta(minutes=30), due=FRIDAY_16 + timedelta(hours=1)
    )
    long = pending(dept, created=FRIDAY_16 - timedelta(days=2), due=FRIDAY_16 + timedelta(hours=1))
    with time_machine.travel(FRIDAY_16, tick=False):
        assert deadlines_sweep() == {**NOTHING, "warning": 1}
    assert not short.deadline_events.exists()
    assert long.deadline_events.get().step == DeadlineEvent.Step.WARNING


def test_no_warning_outside_working_time_but_at_the_start_of_the_day(dept):
    """On a Sunday evening Monday 10:00 is one working hour away: the warning waits for
    Monday morning, when someone is there to read it."""
    monday = pending(dept, created=FRIDAY_16 - timedelta(days=1), due=MONDAY_10)
    with time_machine.travel(SUNDAY_20, tick=False):
        assert deadlines_sweep() == NOTHING
    with time_machine.travel(at(2025, 6, 2, 9, 0), tick=False):
        assert deadlines_sweep() == {**NOTHING, "warning": 1}
    assert monday.deadline_events.get().step == DeadlineEvent.Step.WARNING


def test_late_work_is_reminded_and_escalated_even_outside_working_time(dept):
    late = pending(dept, created=FRIDAY_16 - timedelta(days=2), due=FRIDAY_16)
    with time_machine.travel(SUNDAY_20, tick=False):
        assert deadlines_sweep() == {**NOTHING, "reminder": 1, "managers": 1}
    with time_machine.travel(MONDAY_10 + timedelta(hours=2), tick=False):
        # 16:00-18:00 on Friday and 9:00-12:00 on Monday: five working hours late.
        assert deadlines_sweep() == {**NOTHING, "dispatcher": 1}
        assert deadlines_sweep() == NOTHING
    assert sorted(late.deadline_events.values_list("step", flat=True)) == [
        "dispatcher",
        "managers",
        "reminder",
    ]


def test_a_sweep_with_nothing_new_costs_a_fixed_few_queries(
    dept, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    count = 60
    for n in range(count):
        # Half warned and waiting, half late, reminded and not yet due for the dispatcher.
        if n % 2:
            pending(dept, created=FRIDAY_16 - timedelta(days=2), due=FRIDAY_16 + timedelta(hours=1))
        else:
            pending(dept, created=FRIDAY_16 - timedelta(days=2), due=FRIDAY_16 - timedelta(hours=1))
    with time_machine.travel(FRIDAY_16, tick=False):
        with django_capture_on_commit_callbacks(execute=False):
            first = deadlines_sweep()
        assert first == {
            **NOTHING,
            "warning": count // 2,
            "reminder": count // 2,
            "managers": count // 2,
        }
        assert OutboxMessage.objects.count() == count // 2 * 3  # one mail per step taken
        with django_assert_max_num_queries(3):
            assert deadlines_sweep() == NOTHING
    assert DeadlineEvent.objects.count() == count // 2 * 3
