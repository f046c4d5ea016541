"""Working time: the clock that response and resolution deadlines are counted on.

An agency has, say, four working hours to respond and ten working days to resolve. Those hours
run only on working days, between opening and closing and outside the lunch break, on the
city's calendar: Saturdays and Sundays off, public holidays off, and, because China moves
weekends around public holidays (调休), some Saturdays and Sundays are working days.

``WorkCalendar`` is that calendar, frozen and pure: no Django, no clock, no database. The Django
shell loads it from JSON (``from_config``), and asks it::

    calendar.add(submitted_at, timedelta(hours=4))   # when is the response due?
    calendar.between(submitted_at, now)              # how much working time has been used?

Semantics, in one place:

- Working time is the union of the day's working periods (``day_start``–``day_end`` minus
  ``breaks``) on working days, each period half-open: 09:00 is working, 18:00 is not.
- ``add(start, d)`` is the earliest moment at which ``d`` of working time has elapsed since
  ``start``. Time outside working hours does not count, so a start at 20:00 counts from the next
  morning. A deadline that uses up a period exactly falls on its end (Friday 17:00 + 1 h is
  Friday 18:00, "by close of business"), not on the next opening. ``add(start, 0)`` is
  ``start`` itself, unchanged but for its time zone: nothing is owed, so it is due at once.
- ``between(start, end)`` is the working time inside ``[start, end)``; zero if ``end <= start``.
  It inverts ``add``: ``between(s, add(s, d)) == d`` for every ``s`` and every ``d >= 0``.
- Results are aware datetimes in the calendar's zone, whatever zone the input was in. Naive
  input is refused: a deadline on an unknown clock is a bug.
- Durations are elapsed time. Asia/Shanghai has no daylight saving, but a calendar in a zone
  that does is still exact: each period's end points are placed on the wall clock of its day
  (a time in a gap or a fold resolved as ``zoneinfo`` does with ``fold=0``) and measured in
  UTC.
- Round-the-clock policies (urgent issues count calendar hours) use the same class with
  ``round_the_clock=True``: every moment is working time, weekends and holidays included, and
  ``add`` is ``start + duration`` in elapsed time. One type keeps policy code free of special
  cases, and the flag round-trips through the JSON config like everything else.

Walking is day by day, with a few datetime operations per day: a year of working time is about
1,400 calendar days, some 15 ms. A calendar that runs out of working days (every day
a weekend, or holidays for years) raises ``ValueError`` after ``MAX_IDLE_DAYS`` days without
working time instead of looping forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["MAX_IDLE_DAYS", "WorkCalendar"]

# About ten years: no real calendar goes that long without a working day, so a search that
# does is a misconfigured calendar, and an error beats a hung worker.
MAX_IDLE_DAYS = 3_700

WEEKDAYS = range(7)  # date.weekday(): 0 is Monday, 6 is Sunday
ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
CONFIG_KEYS = (
    "timezone",
    "day_start",
    "day_end",
    "breaks",
    "weekend",
    "holidays",
    "workdays",
    "round_the_clock",
)

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours on working days in one time zone; see the module docstring.

    A day is a working day when it is listed in ``workdays`` (a make-up day, 调休), or else
    when it is neither a ``holiday`` nor a ``weekend`` day. Its working periods are
    ``day_start``–``day_end`` less the ``breaks``; they do not cross midnight (use
    ``round_the_clock`` for 24-hour counting). Sets are stored as frozensets and ``breaks``
    sorted, so equal calendars compare and hash equal.
    """

    tz: ZoneInfo
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    breaks: tuple[tuple[time, time], ...] = ()
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    round_the_clock: bool = False
    # The working periods of a working day, as wall-clock times: derived once, not compared.
    _periods: tuple[tuple[time, time], ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        if not isinstance(self.tz, ZoneInfo):
            raise TypeError(f"tz: expected a zoneinfo.ZoneInfo, got {self.tz!r}")
        for name in ("day_start", "day_end"):
            _check_wall_time(name, getattr(self, name))
        if self.day_start >= self.day_end:
            raise ValueError(
                f"day_end: {self.day_end:%H:%M} must be later than day_start "
                f"{self.day_start:%H:%M} (working hours do not cross midnight)"
            )

        breaks = []
        for i, pair in enumerate(self.breaks):
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise TypeError(f"breaks[{i}]: expected a (start, end) pair, got {pair!r}")
            begin, end = pair
            _check_wall_time(f"breaks[{i}]", begin)
            _check_wall_time(f"breaks[{i}]", end)
            if not self.day_start <= begin < end <= self.day_end:
                raise ValueError(
                    f"breaks[{i}]: {begin:%H:%M}-{end:%H:%M} must be a non-empty period "
                    f"within {self.day_start:%H:%M}-{self.day_end:%H:%M}"
                )
            breaks.append((begin, end))
        breaks.sort()
        for (_, end), (begin, _) in pairwise(breaks):
            if begin < end:
                raise ValueError(
                    f"breaks: {begin:%H:%M} starts before the break ending {end:%H:%M}"
                )

        weekend = frozenset(self.weekend)
        bad = [d for d in weekend if not _is_weekday_number(d)]
        if bad:
            raise ValueError(f"weekend: {bad[0]!r} is not a weekday 0 (Monday) to 6 (Sunday)")
        holidays = frozenset(self.holidays)
        workdays = frozenset(self.workdays)
        for name, days in (("holidays", holidays), ("workdays", workdays)):
            # A datetime is a date too; accepting one would hide a type mix-up upstream.
            bad = [d for d in days if not isinstance(d, date) or isinstance(d, datetime)]
            if bad:
                raise TypeError(f"{name}: expected dates, got {bad[0]!r}")
        both = sorted(holidays & workdays)
        if both:
            raise ValueError(f"workdays: {both[0].isoformat()} is also listed in holidays")

        periods = []
        opening = self.day_start
        for begin, end in [*breaks, (self.day_end, self.day_end)]:
            if opening < begin:
                periods.append((opening, begin))
            opening = max(opening, end)
        if not periods:
            raise ValueError("breaks: they leave no working time in the day")
        if not self.round_the_clock and weekend == frozenset(WEEKDAYS) and not workdays:
            raise ValueError(
                "weekend: every day of the week is a weekend and no workdays are listed, "
                "so the calendar has no working time"
            )

        # Canonical forms, so that equal calendars are equal objects (and round-trip).
        object.__setattr__(self, "breaks", tuple(breaks))
        object.__setattr__(self, "weekend", weekend)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "_periods", tuple(periods))

    # ----------------------------------------------------------------------- questions

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has working hours: make-up days first, then holidays, then weekend."""
        if self.round_the_clock or day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def next_working_moment(self, moment: datetime) -> datetime:
        """The first working moment at or after ``moment``, in the calendar's zone.

        ``moment`` itself when it is working time; 18:00 (a closing time) is not, so it moves
        to the next opening. Raises ``ValueError`` when no working day comes within
        ``MAX_IDLE_DAYS`` days.
        """
        start = _to_utc(moment, "moment")
        if self.round_the_clock:
            return start.astimezone(self.tz)
        begin, _ = next(self._spans(start))
        return begin.astimezone(self.tz)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``, in the calendar's zone.

        Counting begins at the next working moment at or after ``start``. A zero duration
        returns ``start`` unchanged (converted to the calendar's zone); a deadline that ends
        a working period exactly lands on the period's end. Raises ``ValueError`` for a
        negative duration, a naive ``start``, or when no working day comes within
        ``MAX_IDLE_DAYS`` days (``OverflowError`` past the year 9999, as datetime does).
        """
        begin = _to_utc(start, "start")
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration: expected a timedelta, got {duration!r}")
        if duration < ZERO:
            raise ValueError(f"duration: must not be negative, got {duration}")
        if self.round_the_clock or duration == ZERO:
            return (begin + duration).astimezone(self.tz)
        remaining = duration
        for span_start, span_end in self._spans(begin):
            length = span_end - span_start
            if remaining <= length:
                return (span_start + remaining).astimezone(self.tz)
            remaining -= length
        raise AssertionError("unreachable: _spans() is endless without an end day")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The working time inside ``[start, end)``; zero when ``end <= start``.

        Never raises for lack of working days: a stretch without any simply counts zero.
        """
        begin = _to_utc(start, "start")
        finish = _to_utc(end, "end")
        if finish <= begin:
            return ZERO
        if self.round_the_clock:
            return finish - begin
        total = ZERO
        last_day = finish.astimezone(self.tz).date()
        for span_start, span_end in self._spans(begin, last_day=last_day):
            if span_start >= finish:
                break
            total += min(span_end, finish) - span_start
        return total

    # ----------------------------------------------------------------------- configuration

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkCalendar:
        """Build a calendar from its JSON form (see ``to_config``).

        Only ``timezone`` is required; the other keys default as the class does. Every error
        is a ``ValueError`` whose message starts with the offending key, e.g.
        ``"holidays[2]: expected an ISO date 'YYYY-MM-DD', got '2026-13-01'"``.
        """
        if not isinstance(config, Mapping):
            raise ValueError(f"config: expected a mapping, got {type(config).__name__}")
        unknown = sorted(str(key) for key in config if key not in CONFIG_KEYS)
        if unknown:
            raise ValueError(
                f"{unknown[0]}: unknown key (expected some of {', '.join(CONFIG_KEYS)})"
            )
        if "timezone" not in config:
            raise ValueError("timezone: required, e.g. 'Asia/Shanghai'")

        kwargs: dict[str, Any] = {"tz": _parse_zone(config["timezone"])}
        for key in ("day_start", "day_end"):
            if key in config:
                kwargs[key] = _parse_time(key, config[key])
        if "breaks" in config:
            breaks = []
            for i, pair in enumerate(_parse_list("breaks", config["breaks"])):
                if not isinstance(pair, list | tuple) or len(pair) != 2:
                    raise ValueError(
                        f"breaks[{i}]: expected a pair ['HH:MM', 'HH:MM'], got {pair!r}"
                    )
                breaks.append(
                    (_parse_time(f"breaks[{i}]", pair[0]), _parse_time(f"breaks[{i}]", pair[1]))
                )
            kwargs["breaks"] = tuple(breaks)
        if "weekend" in config:
            weekend = _parse_list("weekend", config["weekend"])
            for i, day in enumerate(weekend):
                if not _is_weekday_number(day):
                    raise ValueError(
                        f"weekend[{i}]: expected a weekday 0 (Monday) to 6 (Sunday), got {day!r}"
                    )
            kwargs["weekend"] = frozenset(weekend)
        for key in ("holidays", "workdays"):
            if key in config:
                values = _parse_list(key, config[key])
                kwargs[key] = frozenset(
                    _parse_date(f"{key}[{i}]", value) for i, value in enumerate(values)
                )
        if "round_the_clock" in config:
            if not isinstance(config["round_the_clock"], bool):
                raise ValueError(
                    f"round_the_clock: expected true or false, got {config['round_the_clock']!r}"
                )
            kwargs["round_the_clock"] = config["round_the_clock"]
        try:
            return cls(**kwargs)
        except TypeError as error:  # cannot happen after parsing; keep the promise anyway
            raise ValueError(str(error)) from error

    def to_config(self) -> dict[str, Any]:
        """The JSON form: plain strings, numbers and lists, sorted, readable by ``from_config``."""
        return {
            "timezone": self.tz.key,
            "day_start": _format_time(self.day_start),
            "day_end": _format_time(self.day_end),
            "breaks": [[_format_time(a), _format_time(b)] for a, b in self.breaks],
            "weekend": sorted(self.weekend),
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
            "round_the_clock": self.round_the_clock,
        }

    # ----------------------------------------------------------------------- the walk

    def _day_spans(self, day: date) -> list[Span]:
        """The day's working periods as UTC spans, sorted and disjoint.

        On Shanghai's clock this is just the periods shifted by eight hours. In a zone with
        daylight saving, a period touching a gap can map out of order or collapse, so empty
        spans are dropped and overlapping ones merged: working time stays a plain set of
        instants, and ``add`` and ``between`` count the same set.
        """
        spans = []
        for begin, end in self._periods:
            a = datetime.combine(day, begin, tzinfo=self.tz).astimezone(UTC)
            b = datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC)
            if a < b:
                spans.append((a, b))
        if len(spans) > 1:
            spans.sort()
            merged = [spans[0]]
            for a, b in spans[1:]:
                if a <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            spans = merged
        return spans

    def _spans(self, start: datetime, last_day: date | None = None) -> Iterator[Span]:
        """Working spans from ``start`` (UTC) on, clipped to begin at or after it, in order.

        Endless unless ``last_day`` (a local date) is given. Without it, raises
        ``ValueError`` after ``MAX_IDLE_DAYS`` days in a row without working time.
        """
        day = start.astimezone(self.tz).date()
        # Never count an instant twice, even if a daylight-saving fold makes one day's spans
        # reach into the next day's.
        cursor = start
        idle = 0
        while last_day is None or day <= last_day:
            found = False
            if self.is_working_day(day):
                for a, b in self._day_spans(day):
                    a = max(a, cursor)
                    if a < b:
                        found = True
                        yield a, b
                        cursor = b
            if found:
                idle = 0
            else:
                idle += 1
                if last_day is None and idle > MAX_IDLE_DAYS:
                    raise ValueError(
                        f"no working time within {MAX_IDLE_DAYS} days after "
                        f"{start.astimezone(self.tz).date().isoformat()}: check weekend, "
                        "holidays and workdays"
                    )
            day += ONE_DAY


# --------------------------------------------------------------------------- helpers


def _to_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _check_wall_time(name: str, value: object) -> None:
    if not isinstance(value, time):
        raise TypeError(f"{name}: expected a datetime.time, got {value!r}")
    if value.tzinfo is not None:
        # The calendar's zone places every wall time; a second zone here would be ambiguous.
        raise ValueError(f"{name}: must be a naive wall-clock time, got {value.isoformat()}")


def _parse_zone(value: object) -> ZoneInfo:
    if not isinstance(value, str) or not value:
        raise ValueError(f"timezone: expected an IANA name like 'Asia/Shanghai', got {value!r}")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise ValueError(f"timezone: unknown time zone {value!r}") from error


def _parse_time(key: str, value: object) -> time:
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed
    raise ValueError(f"{key}: expected a time 'HH:MM', got {value!r}")


def _parse_date(key: str, value: object) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{key}: expected an ISO date 'YYYY-MM-DD', got {value!r}")


def _parse_list(key: str, value: object) -> list[Any]:
    # A string is iterable too, and "56" would quietly become ['5', '6'].
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"{key}: expected a list, got {value!r}")
    return list(value)


def _is_weekday_number(value: object) -> bool:
    # bool is an int, and 5.0 == 5; neither belongs in a set of weekday numbers.
    return isinstance(value, int) and not isinstance(value, bool) and value in WEEKDAYS


def _format_time(value: time) -> str:
    if value.second or value.microsecond:
        return value.isoformat()
    return value.isoformat(timespec="minutes")
