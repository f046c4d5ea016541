"""Working-time calendars: deadlines counted on working hours, weekends, holidays and 调休.

Plain pytest, no database: tables of hand-checked cases first, then properties over random
calendars, moments and durations (hypothesis), then configuration and guards.

The National Day dates are test data shaped like a real year (1-7 October off, with a Sunday
before and a Saturday after worked in exchange), not the State Council's published schedule.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coordination.deadlines.worktime import MAX_IDLE_DAYS, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
US = timedelta(microseconds=1)


def sh(moment: str) -> datetime:
    """A Shanghai wall-clock moment in 2026: sh("05-11 09:00") is Monday 11 May, 09:00."""
    return datetime.fromisoformat(f"2026-{moment}").replace(tzinfo=SHANGHAI)


NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))  # Thursday to Wednesday
MAKE_UP_DAYS = frozenset({date(2026, 9, 27), date(2026, 10, 10)})  # a Sunday and a Saturday

PLAIN = WorkCalendar(tz=SHANGHAI)  # 09:00-18:00, Monday to Friday
LUNCH = WorkCalendar(tz=SHANGHAI, breaks=((time(12, 0), time(13, 30)),))
WEDNESDAY_OFF = WorkCalendar(tz=SHANGHAI, holidays=frozenset({date(2026, 5, 13)}))
CHINA = WorkCalendar(tz=SHANGHAI, holidays=NATIONAL_DAY, workdays=MAKE_UP_DAYS)
# Round the clock, as for urgent issues: holidays are listed and ignored.
NONSTOP = WorkCalendar(tz=SHANGHAI, holidays=NATIONAL_DAY, round_the_clock=True)

# --------------------------------------------------------------------------- add()

ADD_CASES = [
    # (why, calendar, start, duration, due)
    ("within one day", PLAIN, sh("05-11 10:00"), 2 * H, sh("05-11 12:00")),
    ("crosses closing into the next morning", PLAIN, sh("05-11 17:00"), 2 * H, sh("05-12 10:00")),
    ("before opening counts from opening", PLAIN, sh("05-11 07:30"), H, sh("05-11 10:00")),
    ("after closing counts from next opening", PLAIN, sh("05-11 20:00"), H, sh("05-12 10:00")),
    ("on closing time counts from next opening", PLAIN, sh("05-11 18:00"), H, sh("05-12 10:00")),
    ("on a Saturday counts from Monday", PLAIN, sh("05-09 11:00"), H, sh("05-11 10:00")),
    ("Friday 17:00 + 2 h is Monday 10:00", PLAIN, sh("05-08 17:00"), 2 * H, sh("05-11 10:00")),
    ("using up the day exactly ends at closing", PLAIN, sh("05-08 17:00"), H, sh("05-08 18:00")),
    ("a minute more is Monday morning", PLAIN, sh("05-08 17:00"), H + MIN, sh("05-11 09:01")),
    ("a whole week", PLAIN, sh("05-11 09:00"), 45 * H, sh("05-15 18:00")),
    ("lunch break skipped", LUNCH, sh("05-11 11:00"), 2 * H, sh("05-11 14:30")),
    ("starting at lunch counts from 13:30", LUNCH, sh("05-11 12:30"), H, sh("05-11 14:30")),
    ("morning used up exactly ends at lunch", LUNCH, sh("05-11 11:00"), H, sh("05-11 12:00")),
    ("lunch-break day is 7.5 h", LUNCH, sh("05-11 09:00"), 8 * H, sh("05-12 09:30")),
    ("a holiday counts from the next day", WEDNESDAY_OFF, sh("05-13 10:00"), H, sh("05-14 10:00")),
    ("holiday Wednesday skipped", WEDNESDAY_OFF, sh("05-12 17:00"), 2 * H, sh("05-14 10:00")),
    ("make-up Sunday counts", CHINA, sh("09-26 10:00"), H, sh("09-27 10:00")),
    ("National Day week skipped", CHINA, sh("09-30 17:00"), 2 * H, sh("10-08 10:00")),
    ("make-up Saturday counts", CHINA, sh("10-09 17:00"), 2 * H, sh("10-10 10:00")),
    ("ten working days across National Day", CHINA, sh("09-28 09:00"), 90 * H, sh("10-15 18:00")),
    ("zero is the start, in hours", PLAIN, sh("05-11 10:00"), timedelta(0), sh("05-11 10:00")),
    ("zero is the start, out of hours", PLAIN, sh("05-09 23:00"), timedelta(0), sh("05-09 23:00")),
    ("microseconds are kept", PLAIN, sh("05-11 17:00"), H - US, sh("05-11 18:00") - US),
    ("round the clock counts nights", NONSTOP, sh("05-08 17:00"), 2 * H, sh("05-08 19:00")),
    ("round the clock counts holidays", NONSTOP, sh("09-30 17:00"), 24 * H, sh("10-01 17:00")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "due"),
    [case[1:] for case in ADD_CASES],
    ids=[case[0] for case in ADD_CASES],
)
def test_add_finds_the_deadline(calendar, start, duration, due):
    result = calendar.add(start, duration)
    assert result == due
    assert result.tzinfo is SHANGHAI
    assert result.utcoffset() == due.utcoffset()  # same wall clock too, not just the instant


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "due"),
    [case[1:] for case in ADD_CASES],
    ids=[case[0] for case in ADD_CASES],
)
def test_between_measures_back_the_same_duration(calendar, start, duration, due):
    assert calendar.between(start, due) == duration


def test_utc_input_is_placed_on_shanghai_working_hours():
    # 01:00 UTC is 09:00 in Shanghai: the first working hour of Monday.
    due = PLAIN.add(datetime(2026, 5, 11, 1, 0, tzinfo=UTC), H)
    assert due == sh("05-11 10:00")
    assert due.tzinfo is SHANGHAI
    assert str(due) == "2026-05-11 10:00:00+08:00"


def test_the_working_day_is_the_calendars_not_the_inputs():
    # Sunday 23:00 UTC is already Monday 07:00 in Shanghai, so Monday's hours count.
    assert PLAIN.add(datetime(2026, 5, 10, 23, 0, tzinfo=UTC), H) == sh("05-11 10:00")
    # Friday 20:00 in New York is Saturday 08:00 in Shanghai: nothing counts until Monday.
    friday_evening = datetime(2026, 5, 8, 20, 0, tzinfo=NEW_YORK)
    assert PLAIN.add(friday_evening, H) == sh("05-11 10:00")
    assert PLAIN.between(friday_evening, sh("05-11 10:00")) == H


def test_a_year_of_working_time_is_exact():
    start = sh("05-11 10:00")
    due = CHINA.add(start, timedelta(days=365))
    assert CHINA.between(start, due) == timedelta(days=365)
    assert due.year == 2030  # 8,760 h at 9 h a day is 974 working days: nearly four years


# --------------------------------------------------------------------------- between()

BETWEEN_CASES = [
    # (why, calendar, start, end, working time)
    ("within one day", PLAIN, sh("05-11 10:00"), sh("05-11 12:30"), 2.5 * H),
    ("end before start is zero", PLAIN, sh("05-11 12:00"), sh("05-11 10:00"), timedelta(0)),
    ("a weekend is zero", PLAIN, sh("05-09 00:00"), sh("05-11 00:00"), timedelta(0)),
    ("a night is zero", PLAIN, sh("05-11 18:00"), sh("05-12 09:00"), timedelta(0)),
    ("Friday 17:00 to Monday 10:00", PLAIN, sh("05-08 17:00"), sh("05-11 10:00"), 2 * H),
    ("the lunch break is not counted", LUNCH, sh("05-11 11:00"), sh("05-11 14:30"), 2 * H),
    ("a holiday is zero", WEDNESDAY_OFF, sh("05-13 00:00"), sh("05-14 00:00"), timedelta(0)),
    ("National Day week", CHINA, sh("09-30 09:00"), sh("10-08 18:00"), 18 * H),
    ("the make-up Sunday counts", CHINA, sh("09-27 00:00"), sh("09-28 00:00"), 9 * H),
    ("round the clock is elapsed time", NONSTOP, sh("10-01 00:00"), sh("10-02 06:00"), 30 * H),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [case[1:] for case in BETWEEN_CASES],
    ids=[case[0] for case in BETWEEN_CASES],
)
def test_between_counts_only_working_time(calendar, start, end, expected):
    assert calendar.between(start, end) == expected


# --------------------------------------------------------------------------- the calendar

NEXT_CASES = [
    # (why, calendar, moment, next working moment)
    ("opening time is working", PLAIN, sh("05-11 09:00"), sh("05-11 09:00")),
    ("mid-morning is working", PLAIN, sh("05-11 10:15"), sh("05-11 10:15")),
    ("before opening", PLAIN, sh("05-11 03:00"), sh("05-11 09:00")),
    ("closing time is not working", PLAIN, sh("05-11 18:00"), sh("05-12 09:00")),
    ("lunch moves to 13:30", LUNCH, sh("05-11 12:00"), sh("05-11 13:30")),
    ("Saturday moves to Monday", PLAIN, sh("05-09 10:00"), sh("05-11 09:00")),
    ("a holiday moves to the next day", WEDNESDAY_OFF, sh("05-12 18:00"), sh("05-14 09:00")),
    ("Saturday before a make-up Sunday", CHINA, sh("09-26 10:00"), sh("09-27 09:00")),
    ("National Day moves to the 8th", CHINA, sh("09-30 19:00"), sh("10-08 09:00")),
    ("round the clock never moves", NONSTOP, sh("10-01 03:00"), sh("10-01 03:00")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("calendar", "moment", "expected"),
    [case[1:] for case in NEXT_CASES],
    ids=[case[0] for case in NEXT_CASES],
)
def test_next_working_moment(calendar, moment, expected):
    result = calendar.next_working_moment(moment)
    assert result == expected
    assert result.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 25), True),  # Friday
        (date(2026, 9, 26), False),  # Saturday
        (date(2026, 9, 27), True),  # Sunday, made up for National Day
        (date(2026, 10, 1), False),  # National Day, a Thursday
        (date(2026, 10, 7), False),  # still the holiday, a Wednesday
        (date(2026, 10, 10), True),  # Saturday, made up
        (date(2026, 10, 11), False),  # Sunday
    ],
)
def test_make_up_days_and_holidays_override_the_weekend(day, working):
    assert CHINA.is_working_day(day) is working


def test_daylight_saving_days_count_elapsed_hours():
    # America/New_York springs forward on 2026-03-08 and falls back on 2026-11-01: a
    # midnight-to-noon shift lasts 11 and 13 real hours on those Sundays.
    shift = WorkCalendar(tz=NEW_YORK, day_start=time(0), day_end=time(12), weekend=frozenset())

    def ny(day: str, hh: int) -> datetime:
        return datetime.combine(date.fromisoformat(day), time(hh), tzinfo=NEW_YORK)

    assert shift.between(ny("2026-03-08", 0), ny("2026-03-08", 23)) == 11 * H
    assert shift.between(ny("2026-11-01", 0), ny("2026-11-01", 23)) == 13 * H
    assert shift.add(ny("2026-03-08", 0), 11 * H) == ny("2026-03-08", 12)
    assert shift.add(ny("2026-03-08", 0), 11 * H + US) == ny("2026-03-09", 0) + US


def test_calendars_are_values():
    same = WorkCalendar(
        tz=ZoneInfo("Asia/Shanghai"),
        holidays=set(NATIONAL_DAY),  # type: ignore[arg-type]  # coerced to a frozenset
        workdays=sorted(MAKE_UP_DAYS),  # type: ignore[arg-type]
    )
    assert same == CHINA
    assert hash(same) == hash(CHINA)
    assert isinstance(same.holidays, frozenset)
    with pytest.raises(AttributeError):
        CHINA.day_start = time(8)  # type: ignore[misc]


# --------------------------------------------------------------------------- properties

ZONES = [SHANGHAI, ZoneInfo("UTC"), NEW_YORK, BERLIN]
# Both 2025 autumn fall-backs and both 2026 spring-forwards lie inside this window.
FIRST_DAY, LAST_DAY = date(2025, 10, 1), date(2026, 6, 30)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """Any sensible calendar: hours on the minute, breaks, weekends, holidays, make-up days.

    At least one weekday is always a working day, so there is always working time ahead.
    Hours that cover 02:00-03:00 in Berlin or New York cross daylight-saving changes.
    """
    opening = draw(st.integers(0, 22 * 60))
    closing = draw(st.integers(opening + 60, 24 * 60 - 1))
    cuts = sorted(draw(st.sets(st.integers(opening, closing), max_size=4)))
    pauses = list(zip(cuts[::2], cuts[1::2], strict=False))
    # Days of a few minutes would only make the walks long, not the cases more telling.
    assume(closing - opening - sum(b - a for a, b in pauses) >= 30)
    holidays = draw(st.frozensets(st.dates(FIRST_DAY, LAST_DAY), max_size=40))
    return WorkCalendar(
        tz=draw(st.sampled_from(ZONES)),
        day_start=_hm(opening),
        day_end=_hm(closing),
        breaks=tuple((_hm(a), _hm(b)) for a, b in pauses),
        weekend=draw(st.frozensets(st.integers(0, 6), max_size=6)),
        holidays=holidays,
        workdays=draw(st.frozensets(st.dates(FIRST_DAY, LAST_DAY), max_size=10)) - holidays,
        round_the_clock=draw(st.sampled_from([False, False, False, False, True])),
    )


def _hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


moments = st.datetimes(
    min_value=datetime.combine(FIRST_DAY, time()),
    max_value=datetime.combine(LAST_DAY, time()),
    timezones=st.sampled_from([UTC, SHANGHAI, NEW_YORK]),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=120))


def utc(moment: datetime) -> datetime:
    """The instant in UTC. Arithmetic and comparison between two datetimes that share a
    tzinfo are wall-clock operations in Python, wrong across a daylight-saving change."""
    return moment.astimezone(UTC)


@SETTINGS
@given(calendar=calendars(), start=moments, duration=durations)
def test_between_inverts_add(calendar, start, duration):
    assert calendar.between(start, calendar.add(start, duration)) == duration


@SETTINGS
@given(calendar=calendars(), start=moments, first=durations, second=durations)
def test_add_is_monotonic_and_additive(calendar, start, first, second):
    shorter, longer = sorted([first, second])
    assert utc(start) <= utc(calendar.add(start, shorter)) <= utc(calendar.add(start, longer))
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@SETTINGS
@given(calendar=calendars(), start=moments, duration=durations)
def test_a_deadline_is_reached_in_working_time(calendar, start, duration):
    due = calendar.add(start, duration)
    assert due.tzinfo is calendar.tz
    assert utc(due) - utc(start) >= duration  # working time never runs faster than the clock
    if duration:
        # The instant just before the deadline is working time: no deadline at 09:00 sharp
        # that could equally well have been yesterday's 18:00.
        assert calendar.between(utc(due) - US, due) == US


@SETTINGS
@given(calendar=calendars(), start=moments, duration=durations)
def test_the_input_zone_changes_nothing(calendar, start, duration):
    due = calendar.add(start, duration)
    for zone in (UTC, SHANGHAI, NEW_YORK):
        again = calendar.add(start.astimezone(zone), duration)
        assert utc(again) == utc(due)
        assert again.utcoffset() == due.utcoffset()


@SETTINGS
@given(calendar=calendars(), instants=st.lists(moments, min_size=3, max_size=3))
def test_between_adds_up_and_never_exceeds_the_clock(calendar, instants):
    a, b, c = sorted(instants, key=utc)
    assert calendar.between(a, c) == calendar.between(a, b) + calendar.between(b, c)
    assert timedelta(0) <= calendar.between(a, c) <= utc(c) - utc(a)
    if utc(a) < utc(c):
        assert calendar.between(c, a) == timedelta(0)


@SETTINGS
@given(calendar=calendars(), moment=moments)
def test_next_working_moment_is_where_counting_starts(calendar, moment):
    first = calendar.next_working_moment(moment)
    assert first.tzinfo is calendar.tz
    assert utc(first) >= utc(moment)
    assert calendar.between(moment, first) == timedelta(0)
    assert utc(calendar.next_working_moment(first)) == utc(first)
    assert utc(calendar.add(moment, US)) == utc(first) + US
    assert calendar.is_working_day(first.date())


@SETTINGS
@given(calendar=calendars())
def test_config_round_trips_through_json(calendar):
    config = json.loads(json.dumps(calendar.to_config()))
    assert WorkCalendar.from_config(config) == calendar


@SETTINGS
@given(start=moments, end=moments, duration=durations)
def test_round_the_clock_is_plain_arithmetic(start, end, duration):
    # Elapsed, not wall-clock: in New York, `start + duration` would ignore a fall-back.
    assert utc(NONSTOP.add(start, duration)) == utc(start) + duration
    assert NONSTOP.between(start, end) == max(utc(end) - utc(start), timedelta(0))


# --------------------------------------------------------------------------- configuration

CHINA_CONFIG = {
    "timezone": "Asia/Shanghai",
    "day_start": "09:00",
    "day_end": "18:00",
    "breaks": [["12:00", "13:30"]],
    "weekend": [5, 6],
    "holidays": [f"2026-10-0{d}" for d in range(1, 8)],
    "workdays": ["2026-09-27", "2026-10-10"],
    "round_the_clock": False,
}


def test_config_reads_the_documented_shape():
    calendar = WorkCalendar.from_config(CHINA_CONFIG)
    assert calendar == WorkCalendar(
        tz=SHANGHAI,
        breaks=((time(12), time(13, 30)),),
        holidays=NATIONAL_DAY,
        workdays=MAKE_UP_DAYS,
    )
    assert calendar.to_config() == CHINA_CONFIG


def test_config_needs_only_a_time_zone():
    assert WorkCalendar.from_config({"timezone": "Asia/Shanghai"}) == PLAIN


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"timezone": None}, "timezone"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"day_start": "9am"}, "day_start"),
        ({"day_start": 9}, "day_start"),
        ({"day_start": "09:00+08:00"}, "day_start"),
        ({"day_end": "24:00"}, "day_end"),
        ({"day_end": "08:00"}, "day_end"),
        ({"breaks": "12:00-13:30"}, "breaks"),
        ({"breaks": [["12:00"]]}, "breaks[0]"),
        ({"breaks": [["12:00", "13:30"], ["14:00", "noon"]]}, "breaks[1]"),
        ({"breaks": [["19:00", "20:00"]]}, "breaks[0]"),
        ({"breaks": [["13:00", "12:00"]]}, "breaks[0]"),
        ({"breaks": [["12:00", "13:30"], ["13:00", "14:00"]]}, "breaks"),
        ({"breaks": [["09:00", "18:00"]]}, "breaks"),
        ({"weekend": [5, 7]}, "weekend[1]"),
        ({"weekend": [True]}, "weekend[0]"),
        ({"weekend": "56"}, "weekend"),
        ({"weekend": [0, 1, 2, 3, 4, 5, 6], "workdays": []}, "weekend"),
        ({"holidays": ["2026-10-01", "2026-13-01"]}, "holidays[1]"),
        ({"holidays": "2026-10-01"}, "holidays"),
        ({"workdays": [20260927]}, "workdays[0]"),
        ({"workdays": ["2026-10-01"]}, "workdays"),  # also a holiday
        ({"round_the_clock": "yes"}, "round_the_clock"),
        ({"holiday": ["2026-10-01"]}, "holiday"),  # a typo must not be ignored
    ],
)
def test_config_errors_name_the_key(change, key):
    config = {**CHINA_CONFIG, **change}
    if change.get("timezone", "") is None:
        del config["timezone"]
    with pytest.raises(ValueError, match=rf"^{re.escape(key)}: "):
        WorkCalendar.from_config(config)


def test_config_must_be_a_mapping():
    with pytest.raises(ValueError, match=r"^config: "):
        WorkCalendar.from_config([("timezone", "Asia/Shanghai")])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- guards


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError, match=r"^weekend: every day of the week is a weekend"):
        WorkCalendar(tz=SHANGHAI, weekend=frozenset(range(7)))


@pytest.mark.parametrize(
    "calendar",
    [
        # Every day a weekend, the only make-up day long past.
        WorkCalendar(
            tz=SHANGHAI, weekend=frozenset(range(7)), workdays=frozenset({date(2020, 1, 6)})
        ),
        # Holidays for longer than the search goes.
        WorkCalendar(
            tz=SHANGHAI,
            holidays=frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(4_000)),
        ),
    ],
    ids=["weekends only", "years of holidays"],
)
def test_running_out_of_working_days_raises_instead_of_looping(calendar):
    start = sh("05-11 10:00")
    with pytest.raises(ValueError, match=f"no working time within {MAX_IDLE_DAYS} days"):
        calendar.add(start, H)
    with pytest.raises(ValueError, match="no working time"):
        calendar.next_working_moment(start)
    # Measuring a stretch is bounded by its end, and a stretch without work is simply zero.
    assert calendar.between(start, start + timedelta(days=30)) == timedelta(0)


NAIVE = datetime(2026, 5, 11, 10)  # noqa: DTZ001  # the mistake under test


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: PLAIN.add(NAIVE, H), ValueError, "^start: must be"),
        (lambda: PLAIN.add(sh("05-11 10:00"), -MIN), ValueError, "^duration: must not"),
        (lambda: PLAIN.add(sh("05-11 10:00"), 60), TypeError, "^duration: "),
        (lambda: PLAIN.between(sh("05-11 00:00"), NAIVE), ValueError, "^end: "),
        (lambda: PLAIN.next_working_moment(date(2026, 5, 11)), TypeError, "^moment: "),
        (lambda: WorkCalendar(tz="Asia/Shanghai"), TypeError, "^tz: "),
        (lambda: WorkCalendar(tz=SHANGHAI, weekend=frozenset({7})), ValueError, "^weekend: "),
        (
            lambda: WorkCalendar(tz=SHANGHAI, holidays=frozenset({sh("10-01 00:00")})),
            TypeError,
            "^holidays: ",
        ),
    ],
    ids=[
        "naive start",
        "negative duration",
        "duration not a timedelta",
        "naive end",
        "moment not a datetime",
        "zone given by name",
        "weekday out of range",
        "datetime as a holiday",
    ],
)
def test_bad_arguments_are_refused_by_name(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_module_stays_pure():
    # Deadline code runs in services, tasks and reports alike; it must not need Django loaded.
    probe = (
        "import sys, coordination.deadlines.worktime; "
        "print(sorted({'django', 'celery'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "[]"
