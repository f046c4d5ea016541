"""An issue as the rules see it (``Context``), and conditions: normalised, compiled into
tests, and compared (whether one implies another, for finding unreachable rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import text
from .areas import AreaIndex
from .model import (
    FIELD_OPERATORS,
    PRIORITIES,
    Condition,
    IssueFacts,
)

# --------------------------------------------------------------------------- the issue as seen


class Context:
    """An issue's facts in the shape the compiled conditions read, built once per decision.

    The hour and weekday are kept as single bits so that ``hour between`` and ``weekday
    in`` are one AND against a mask; no submission time gives 0, which matches nothing.
    """

    __slots__ = (
        "areas",
        "category",
        "category_path",
        "channel",
        "hour_bit",
        "keywords",
        "priority",
        "weekday_bit",
    )

    def __init__(self, facts: IssueFacts, areas: tuple[str, ...]) -> None:
        path = facts.category_path
        self.category_path = path
        self.category = path[0] if path else None
        self.areas = areas
        words = facts.keywords
        self.keywords = words if type(words) is frozenset else frozenset(words or ())
        self.channel = facts.channel
        self.priority = facts.priority
        when = facts.submitted_at
        if when is None:
            self.hour_bit = self.weekday_bit = 0
        else:
            self.hour_bit = 1 << when.hour
            self.weekday_bit = 1 << when.weekday()


Test = Callable[[Context], Any]


# --------------------------------------------------------------------------- conditions


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, tuple | list) and not value)


def _as_items(value: Any) -> tuple[Any, ...]:
    """A list-valued condition's items; a bare string counts as a list of one."""
    if isinstance(value, tuple | list):
        return tuple(value)
    return (value,)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hours(value: tuple[int, int]) -> frozenset[int]:
    start, end = value
    if start < end:
        return frozenset(range(start, end))
    return frozenset(range(start, 24)) | frozenset(range(end))


def normalize_condition(
    condition: Condition, areas: AreaIndex | frozenset[str] | None = None
) -> tuple[Condition | None, list[tuple[str, str]]]:
    """The condition with its value in canonical form, or what is wrong with it.

    Problems come as ``(part, message)`` with part ``field``, ``op`` or ``value``. Canonical
    values: codes as strings, lists as tuples without repeats, keywords normalised as
    ``text.keywords`` produces them, hours as ``(start, end)``.
    """
    field, op, value = condition.field, condition.op, condition.value
    if field not in FIELD_OPERATORS:
        expected = _names(FIELD_OPERATORS)
        return None, [("field", f"unknown field {field!r}; expected one of {expected}")]
    if op not in FIELD_OPERATORS[field]:
        return None, [
            ("op", f"{field} takes {_names(FIELD_OPERATORS[field])}, not {op!r}"),
        ]
    if _is_empty(value):
        return None, [("value", "empty value")]
    problems: list[tuple[str, str]] = []
    canonical: Any
    if field in ("category", "area"):
        if not isinstance(value, str) or not value.strip():
            return None, [("value", f"{field} {op} takes one code, not {value!r}")]
        canonical = value.strip()
        if field == "area" and areas and canonical not in areas:
            problems.append(("value", f"unknown area {canonical!r}"))
    elif field == "keyword":
        words = []
        for item in _as_items(value):
            if not isinstance(item, str):
                problems.append(("value", f"keyword {item!r} is not text"))
                continue
            word = text.normalize_word(item)
            if not word:
                problems.append(("value", "empty keyword"))
            elif not text.is_keyword(word):
                problems.append(
                    (
                        "value",
                        f"{item!r} is never a keyword of a text (a stop word, a single letter, "
                        "a number or mixed scripts)",
                    )
                )
            else:
                words.append(word)
        canonical = tuple(dict.fromkeys(words))
    elif field in ("channel", "priority"):
        items = _as_items(value)
        for item in items:
            if not isinstance(item, str) or not item:
                problems.append(("value", f"{field} {item!r} is not a name"))
            elif field == "priority" and item not in PRIORITIES:
                problems.append(
                    ("value", f"unknown priority {item!r}; expected one of {', '.join(PRIORITIES)}")
                )
        canonical = tuple(dict.fromkeys(items))
    elif field == "hour":
        items = _as_items(value)
        if len(items) != 2 or not all(_is_int(h) for h in items):
            return None, [("value", f"hour between takes [start, end], not {value!r}")]
        start, end = items
        if not (0 <= start <= 24 and 0 <= end <= 24):
            problems.append(("value", f"hours must be within 0..24, not {list(items)}"))
        elif start == end:
            problems.append(("value", f"hour between {start} and {end}: empty or all day?"))
        elif not _hours((start, end)):
            problems.append(("value", f"hour between {start} and {end} is empty"))
        canonical = (start, end)
    else:  # weekday
        items = _as_items(value)
        for item in items:
            if not _is_int(item) or not 0 <= item <= 6:
                problems.append(("value", f"weekday {item!r} is not within 0 (Monday)..6 (Sunday)"))
        canonical = None if problems else tuple(sorted(set(items)))
    if problems:
        return None, problems
    return Condition(field=field, op=op, value=canonical), []


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def compile_test(c: Condition) -> Test:
    """A closure answering the (canonical) condition for a Context."""
    value = c.value
    if c.field == "category":
        if c.op == "is":
            return lambda ctx: ctx.category == value
        return lambda ctx: value in ctx.category_path
    if c.field == "area":
        return lambda ctx: value in ctx.areas
    if c.field == "keyword":
        words = frozenset(value)
        if len(words) == 1:
            (word,) = words
            return lambda ctx: word in ctx.keywords
        if c.op == "any":
            return lambda ctx: not words.isdisjoint(ctx.keywords)
        return lambda ctx: words <= ctx.keywords
    if c.field == "channel":
        channels = frozenset(value)
        return lambda ctx: ctx.channel in channels
    if c.field == "priority":
        priorities = frozenset(value)
        return lambda ctx: ctx.priority in priorities
    if c.field == "hour":
        mask = sum(1 << h for h in _hours(value))
        return lambda ctx: ctx.hour_bit & mask
    mask = sum(1 << d for d in value)  # weekday
    return lambda ctx: ctx.weekday_bit & mask


def implies(a: Condition, b: Condition, ancestors: Callable[[str], tuple[str, ...]]) -> bool:
    """Whether ``a`` holding guarantees ``b`` holds (both canonical). Sound, not complete."""
    if a.field != b.field:
        return False
    if a == b:
        return True
    field = a.field
    if field == "category":
        return a.op == "is" and b.op == "under" and a.value == b.value
    if field == "area":
        # Relies on the declared nesting: a place in a community is in its street.
        return b.value in ancestors(a.value)
    if field == "keyword":
        have, need = frozenset(a.value), frozenset(b.value)
        if a.op == "all":
            return need <= have if b.op == "all" else bool(have & need)
        if b.op == "any":
            return have <= need
        return len(have) == 1 and have == need
    if field == "hour":
        return _hours(a.value) <= _hours(b.value)
    return set(a.value) <= set(b.value)  # channel, priority, weekday: "in" lists
