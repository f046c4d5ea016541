"""Check a rule set, and compile it into something ``decide`` can ask thousands of times a second.

``validate`` finds what an administrator must fix before publishing, each ``Problem`` naming
the rule and the part of it (``conditions.all[0].value``, ``actions.lead.agency``):
unknown fields, operators, agencies and areas; empty values and empty conditions; inactive
agencies; targets that cannot resolve; a lead that is also a co-handler; priorities, hours
and weekdays out of range; rules that do nothing; duplicate ids; and unreachable rules (an
earlier rule stops whenever this one would match).

``compile_ruleset`` turns valid rules into closures over an issue's ``Context``, sorted by
``(position, id)``, and indexes them by what they require (a category code, an area, a
keyword): each rule by its two rarest requirements, as bit masks over the rules, so that a
decision gets the few rules whose two requirements both hold, in order, by AND-ing masks,
and tests only what the index did not settle.

Strictness is the caller's choice. ``strict=True`` (the default, for publishing) raises
``InvalidRuleSet`` carrying every problem. ``strict=False`` (for routing with a published
version after the world changed, e.g. an agency was deactivated) compiles anyway and keeps
the problems in ``CompiledRuleSet.problems``: a rule whose conditions are malformed or
empty never matches, and a target that names an unknown or inactive agency resolves to
nothing at decision time, with the reason in the decision.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import text
from .areas import AreaIndex
from .model import (
    FIELD_OPERATORS,
    PRIORITIES,
    AgencyInfo,
    AreaShape,
    Condition,
    IssueFacts,
    MatchedRule,
    Problem,
    RuleSpec,
    Target,
)

__all__ = [
    "AGENCY_KINDS",
    "TERRITORIAL_KINDS",
    "CompiledRule",
    "CompiledRuleSet",
    "Context",
    "InvalidRuleSet",
    "compile_ruleset",
    "format_problem",
    "validate",
]

# Agency.Kind values (agencies/models.py), repeated here because this package imports no
# Django code.
AGENCY_KINDS = frozenset(
    {
        "dispatch_centre",
        "government_department",
        "street_office",
        "community",
        "party_organisation",
        "mass_organisation",
        "enterprise_partner",
    }
)
# 属地: the level of a territorial target and the kind of organisation answering for it.
TERRITORIAL_KINDS = {"street": "street_office", "community": "community"}
TARGET_TYPES = ("agency", "territorial", "serving")


class InvalidRuleSet(ValueError):
    """The rule set has problems; ``problems`` lists each with its rule and field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {format_problem(p)}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the rule set:\n{lines}")


def format_problem(problem: Problem) -> str:
    where = f"rule {problem.rule_id}" if problem.rule_id is not None else "rule set"
    return f"{where}, {problem.field}: {problem.message}"


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


def _compile_test(c: Condition) -> Test:
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


def _implies(a: Condition, b: Condition, ancestors: Callable[[str], tuple[str, ...]]) -> bool:
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


# --------------------------------------------------------------------------- compiled rules


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    condition: Condition
    test: Test
    description: str


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """A rule ready for ``decide``: its spec, one test for the whole rule, and its parts."""

    spec: RuleSpec
    index: int  # place in (position, id) order
    label: str  # "'name' (#id)", for reasons
    test: Test  # the whole rule
    # What is left to test when the index offers the rule: the conditions the index did
    # not already settle; None when it settled them all.
    candidate_test: Test | None
    all: tuple[CompiledCondition, ...]
    any: tuple[CompiledCondition, ...]
    none: tuple[CompiledCondition, ...]
    enabled: bool
    # Without "any" conditions, what held is known in advance: the record of the match
    # and its reason are built once here instead of in every decision.
    fixed_match: tuple[MatchedRule, str] | None

    @property
    def id(self) -> int:
        return self.spec.id

    def explain(self, ctx: Context) -> tuple[str, ...]:
        """The conditions that held, described (call only for a rule that matched)."""
        held = [c.description for c in self.all]
        held.extend(c.description for c in self.any if c.test(ctx))
        held.extend(f"not {c.description}" for c in self.none)
        return tuple(held)

    def match(self, ctx: Context) -> tuple[MatchedRule, str]:
        """The record of this rule's match and its reason (call only when it matched)."""
        if self.fixed_match is not None:
            return self.fixed_match
        return _match_record(self.spec, self.label, self.explain(ctx))


def _match_record(spec: RuleSpec, label: str, held: tuple[str, ...]) -> tuple[MatchedRule, str]:
    record = MatchedRule(id=spec.id, name=spec.name, conditions=held)
    return record, f"rule {label} matched: {'; '.join(held)}"


# explain() reads the context only for "any" conditions; rules without them need none.
_NO_CONTEXT = Context(IssueFacts(), ())


def _never(ctx: Context) -> bool:
    return False


def _rule_test(all_: tuple[Test, ...], any_: tuple[Test, ...], none: tuple[Test, ...]) -> Test:
    """One closure for the rule; the common shapes get a loop-free version."""
    if not any_ and not none:
        if len(all_) == 1:
            return all_[0]
        if len(all_) == 2:
            a, b = all_
            return lambda ctx: a(ctx) and b(ctx)
        if len(all_) == 3:
            a, b, c = all_
            return lambda ctx: a(ctx) and b(ctx) and c(ctx)

    def test(ctx: Context) -> bool:
        for t in all_:
            if not t(ctx):
                return False
        if any_:
            for t in any_:
                if t(ctx):
                    break
            else:
                return False
        return not any(t(ctx) for t in none)

    return test


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRuleSet:
    """Rules, areas and agencies, compiled for ``evaluate.decide``.

    Immutable once built: its mappings are plain dicts for speed, typed read-only; nothing
    may change them.
    """

    version: int
    rules: tuple[CompiledRule, ...]
    areas: AreaIndex
    agencies: Mapping[str, AgencyInfo]
    # (kind, area code) -> codes of the agencies of that kind answering for that area,
    # active or not, sorted by code.
    serving: Mapping[tuple[str, str], tuple[str, ...]]
    problems: tuple[Problem, ...]
    keywords: frozenset[str]  # every keyword the rules use, normalised
    # The index: for each key, two bit masks over rule indexes (bit i: rules[i]), one per
    # slot. A rule is indexed by up to two "slots" (a condition, a word of a keyword "all",
    # or its whole "any" block) whose keys settle them exactly; it is a candidate when
    # both of its slots have a key among the facts. ``_free`` holds, per slot, the rules
    # that do not use that slot.
    _free: tuple[int, int]
    _by_first: Mapping[str, tuple[int, int]]  # category_path[0] ("category is")
    _by_category: Mapping[str, tuple[int, int]]  # any code of category_path ("under")
    _by_area: Mapping[str, tuple[int, int]]
    _by_keyword: Mapping[str, tuple[int, int]]
    _keyword_keys: frozenset[str]

    def candidates(self, ctx: Context) -> list[int]:
        """Indexes (in evaluation order) of the rules that may match; no other rule can."""
        found = self.candidate_mask(ctx)
        out = []
        while found:
            low = found & -found
            out.append(low.bit_length() - 1)
            found ^= low
        return out

    def candidate_mask(self, ctx: Context) -> int:
        """``candidates`` as a bit mask (bit i: rules[i]), for walking them lazily."""
        m0, m1 = self._free
        if ctx.category is not None:
            hit = self._by_first.get(ctx.category)
            if hit is not None:
                m0 |= hit[0]
                m1 |= hit[1]
            by_category = self._by_category
            for code in ctx.category_path:
                hit = by_category.get(code)
                if hit is not None:
                    m0 |= hit[0]
                    m1 |= hit[1]
        by_area = self._by_area
        for code in ctx.areas:
            hit = by_area.get(code)
            if hit is not None:
                m0 |= hit[0]
                m1 |= hit[1]
        by_keyword = self._by_keyword
        for word in ctx.keywords & self._keyword_keys:
            hit = by_keyword[word]
            m0 |= hit[0]
            m1 |= hit[1]
        return m0 & m1

    @property
    def specs(self) -> tuple[RuleSpec, ...]:
        return tuple(rule.spec for rule in self.rules)


# Guessed shares of issues meeting a condition, to index each rule by its rarest parts.
# Areas use the real count of areas of their level.
_SHARE_CATEGORY_IS = 0.02
_SHARE_CATEGORY_UNDER = 0.05
_SHARE_WORD = 0.04

Key = tuple[str, str]  # (index name, key)
Slot = tuple[float, tuple[Key, ...]]  # (guessed share, keys: any one settles the part)


def _condition_slots(c: Condition, area_share: Callable[[str], float]) -> list[Slot]:
    """Slots that together settle ``c`` exactly; [] when the index cannot settle it."""
    if c.field == "category":
        if c.op == "is":
            return [(_SHARE_CATEGORY_IS, (("first", c.value),))]
        return [(_SHARE_CATEGORY_UNDER, (("category", c.value),))]
    if c.field == "area":
        return [(area_share(c.value), (("area", c.value),))]
    if c.field == "keyword":
        if c.op == "any" or len(c.value) == 1:
            share = min(1.0, _SHARE_WORD * len(c.value))
            return [(share, tuple(("keyword", w) for w in c.value))]
        return [(_SHARE_WORD, (("keyword", w),)) for w in c.value]  # each word must be there
    return []


def _choose_slots(
    all_: Iterable[Condition], any_: Iterable[Condition], area_share: Callable[[str], float]
) -> tuple[list[tuple[Key, ...]], set[int], bool]:
    """The (at most two) rarest slots of a rule, the ``all`` conditions they settle (by
    position), and whether they settle the ``any`` block."""
    options: list[tuple[float, int, tuple[Key, ...], int | None]] = []  # share, order, keys, cond
    needed: Counter[int] = Counter()
    for n, c in enumerate(all_):
        for share, keys in _condition_slots(c, area_share):
            options.append((share, len(options), keys, n))
            needed[n] += 1
    alternatives = [_condition_slots(c, area_share) for c in any_]
    if alternatives and all(len(slots) == 1 for slots in alternatives):
        share = min(1.0, sum(slots[0][0] for slots in alternatives))
        keys = tuple(key for slots in alternatives for key in slots[0][1])
        options.append((share, len(options), keys, None))
    chosen = sorted(options)[:2]
    settled = Counter(n for *_, n in chosen if n is not None)
    covered = {n for n, count in settled.items() if count == needed[n]}
    return [keys for _, _, keys, _ in chosen], covered, any(n is None for *_, n in chosen)


# --------------------------------------------------------------------------- validation


def _area_lookup(
    areas: AreaIndex | Iterable[AreaShape] | Iterable[str],
) -> tuple[frozenset[str], Callable[[str], tuple[str, ...]]]:
    if isinstance(areas, AreaIndex):
        return frozenset(areas.codes), areas.ancestors
    codes: set[str] = set()
    parents: dict[str, str | None] = {}
    for area in areas:
        if isinstance(area, AreaShape):
            codes.add(area.code)
            parents[area.code] = area.parent
        else:
            codes.add(str(area))

    def ancestors(code: str) -> tuple[str, ...]:
        out: list[str] = []
        parent = parents.get(code)
        while parent is not None and parent not in out and parent != code:
            out.append(parent)
            parent = parents.get(parent)
        return tuple(out)

    return frozenset(codes), ancestors


def _target_problems(
    target: Target,
    where: str,
    agencies: Mapping[str, AgencyInfo],
    serving_kinds: frozenset[str],
) -> list[tuple[str, str]]:
    """Problems of one target as ``(field path, message)``."""
    out: list[tuple[str, str]] = []
    if target.type not in TARGET_TYPES:
        expected = ", ".join(TARGET_TYPES)
        out.append(("type", f"unknown target type {target.type!r}; expected {expected}"))
    elif target.type == "agency":
        code = target.agency if isinstance(target.agency, str) else None
        agency = agencies.get(code) if code else None
        if not target.agency:
            out.append(("agency", "no agency named"))
        elif code is None:
            out.append(("agency", f"an agency is named by its code, not {target.agency!r}"))
        elif agency is None:
            out.append(("agency", f"unknown agency {target.agency!r}"))
        elif not agency.active:
            out.append(("agency", f"agency {target.agency!r} is inactive"))
    elif target.type == "territorial":
        kind = TERRITORIAL_KINDS.get(target.level) if isinstance(target.level, str) else None
        if kind is None:
            out.append(
                ("level", f"territorial level must be street or community, not {target.level!r}")
            )
        elif kind not in serving_kinds:
            out.append(("level", f"no active {kind.replace('_', ' ')} has an area"))
    elif not isinstance(target.kind, str) or target.kind not in AGENCY_KINDS:
        out.append(("kind", f"unknown kind of organisation {target.kind!r}"))
    elif target.kind not in serving_kinds:
        out.append(("kind", f"no active organisation of kind {target.kind!r} has an area"))
    return [(f"{where}.{part}", message) for part, message in out]


def _rule_problems(
    rule: RuleSpec,
    condition_problems: list[tuple[str, str]],
    agencies: Mapping[str, AgencyInfo],
    serving_kinds: frozenset[str],
) -> list[tuple[str, str]]:
    problems = list(condition_problems)
    if rule.conditions.is_empty:
        problems.append(("conditions", "no conditions: the rule would match every issue"))
    actions = rule.actions
    if (
        actions.lead is None
        and not actions.co_handlers
        and actions.priority is None
        and actions.deadline_policy is None
    ):
        problems.append(
            ("actions", "the rule does nothing: no lead, co-handler, priority or deadline")
        )
    targets = [("actions.lead", actions.lead)] if actions.lead is not None else []
    targets += [(f"actions.co_handlers[{i}]", t) for i, t in enumerate(actions.co_handlers)]
    for where, target in targets:
        problems += _target_problems(target, where, agencies, serving_kinds)
    seen: list[Target] = []  # a list: a malformed target may hold unhashable values
    for i, target in enumerate(actions.co_handlers):
        where = f"actions.co_handlers[{i}]"
        if actions.lead is not None and target == actions.lead:
            problems.append((where, f"the lead ({target.describe()}) is also a co-handler"))
        elif target in seen:
            problems.append((where, f"{target.describe()} is named twice as co-handler"))
        seen.append(target)
    if actions.priority is not None and actions.priority not in PRIORITIES:
        expected = ", ".join(PRIORITIES)
        problems.append(
            ("actions.priority", f"unknown priority {actions.priority!r}; expected {expected}")
        )
    if actions.deadline_policy is not None and (
        not isinstance(actions.deadline_policy, str) or not actions.deadline_policy.strip()
    ):
        problems.append(("actions.deadline_policy", "a deadline policy must be a non-empty name"))
    return problems


def _normalise_rule(
    rule: RuleSpec, area_codes: frozenset[str]
) -> tuple[dict[str, list[Condition | None]], list[tuple[str, str]]]:
    normalised: dict[str, list[Condition | None]] = {}
    problems: list[tuple[str, str]] = []
    for block in ("all", "any", "none"):
        normalised[block] = []
        for i, condition in enumerate(getattr(rule.conditions, block)):
            if not isinstance(condition, Condition):
                normalised[block].append(None)
                problems.append((f"conditions.{block}[{i}]", "not a condition"))
                continue
            canonical, found = normalize_condition(condition, area_codes)
            normalised[block].append(canonical)
            problems += [(f"conditions.{block}[{i}].{part}", msg) for part, msg in found]
    return normalised, problems


def _sorted_rules(rules: Iterable[RuleSpec]) -> list[RuleSpec]:
    rules = list(rules)
    counts = Counter(rule.id for rule in rules)
    if all(count == 1 for count in counts.values()):
        return sorted(rules, key=lambda r: r.sort_key)
    # Duplicate ids (an invalid set compiled anyway): the rule's content breaks the tie, so
    # the order still does not depend on the order rules were given in.
    return sorted(
        rules,
        key=lambda r: (*r.sort_key, json.dumps(r.to_json(), sort_keys=True, default=str)),
    )


def _unreachable(
    rules: list[RuleSpec],
    normalised: list[dict[str, list[Condition | None]] | None],
    ancestors: Callable[[str], tuple[str, ...]],
) -> dict[int, tuple[int, RuleSpec]]:
    """For each unreachable rule (by list index): the earlier stopping rule that hides it.

    Rule E hides a later rule L when E stops and L's conditions imply E's: each of E's
    ``all`` is implied by one of L's ``all``; E's ``any`` (if given) is implied by one of
    L's ``all``, or each of L's ``any`` implies one of E's; each of E's ``none`` implies
    one of L's ``none``. Earlier rules are found through an anchor key instead of pairwise.
    """

    def provided(c: Condition) -> list[tuple[str, ...]]:
        keys: list[tuple[str, ...]] = [("field", c.field)]
        if c.field == "category":
            keys.append(("category", "under", c.value))
            if c.op == "is":
                keys.append(("category", "is", c.value))
        elif c.field == "area":
            keys += [("area", code) for code in (c.value, *ancestors(c.value))]
        elif c.field == "keyword":
            keys += [("keyword", w) for w in c.value]
        return keys

    def anchor(c: Condition) -> tuple[str, ...]:
        if c.field == "category":
            return ("category", c.op, c.value)
        if c.field == "area":
            return ("area", c.value)
        if c.field == "keyword" and c.op == "all":
            return ("keyword", min(c.value))
        return ("field", c.field)

    def hides(e: dict[str, list[Condition]], later: dict[str, list[Condition]]) -> bool:
        if not all(any(_implies(h, c, ancestors) for h in later["all"]) for c in e["all"]):
            return False
        if e["any"] and not (
            any(_implies(h, c, ancestors) for h in later["all"] for c in e["any"])
            or (
                later["any"]
                and all(any(_implies(h, c, ancestors) for c in e["any"]) for h in later["any"])
            )
        ):
            return False
        return all(any(_implies(c, m, ancestors) for m in later["none"]) for c in e["none"])

    anchored: dict[tuple[str, ...], list[int]] = defaultdict(list)
    unanchored: list[int] = []
    found: dict[int, tuple[int, RuleSpec]] = {}
    for index, (rule, conds) in enumerate(zip(rules, normalised, strict=True)):
        if conds is None:
            continue  # malformed or empty: reported already, hides nothing
        keys = {key for c in conds["all"] for key in provided(c)}  # type: ignore[union-attr]
        earlier = set(unanchored)
        for key in keys:
            earlier.update(anchored.get(key, ()))
        for e_index in sorted(earlier):
            if hides(normalised[e_index], conds):  # type: ignore[arg-type]
                found[index] = (e_index, rules[e_index])
                break
        if rule.actions.stop:
            if conds["all"]:
                anchored[anchor(conds["all"][0])].append(index)  # type: ignore[arg-type]
            else:
                unanchored.append(index)
    return found


def validate(
    rules: Iterable[RuleSpec],
    agencies: Iterable[AgencyInfo],
    areas: AreaIndex | Iterable[AreaShape] | Iterable[str] = (),
) -> list[Problem]:
    """Every problem in the rule set, in rule order; ``[]`` when it can be published.

    ``areas`` (shapes, an index or codes) enables the check of area codes in conditions;
    categories are not known to the engine and are not checked.
    """
    return _check(list(rules), _agency_map(agencies), areas)[0]


def _agency_map(agencies: Iterable[AgencyInfo]) -> dict[str, AgencyInfo]:
    by_code: dict[str, AgencyInfo] = {}
    # Sorted first so that, if a code were repeated, which one wins does not depend on order.
    for agency in sorted(agencies, key=lambda a: (a.code, repr(a))):
        by_code.setdefault(agency.code, agency)
    return by_code


def _check(
    rules: list[RuleSpec],
    agencies: Mapping[str, AgencyInfo],
    areas: AreaIndex | Iterable[AreaShape] | Iterable[str],
) -> tuple[list[Problem], list[RuleSpec], list[dict[str, list[Condition | None]] | None]]:
    """Problems, the rules in evaluation order, and each rule's canonical conditions."""
    area_codes, ancestors = _area_lookup(areas)
    serving_kinds = frozenset(a.kind for a in agencies.values() if a.active and a.area)
    ordered = _sorted_rules(rules)
    counts = Counter(rule.id for rule in ordered)
    per_rule: list[list[tuple[str, str]]] = []
    normalised: list[dict[str, list[Condition | None]] | None] = []
    for rule in ordered:
        conds, condition_problems = _normalise_rule(rule, area_codes)
        problems = []
        if counts[rule.id] > 1:
            problems.append(("id", f"rule id {rule.id} is used by {counts[rule.id]} rules"))
        problems += _rule_problems(rule, condition_problems, agencies, serving_kinds)
        per_rule.append(problems)
        usable = not condition_problems and not rule.conditions.is_empty
        normalised.append(conds if usable else None)
    for index, (_, earlier) in _unreachable(ordered, normalised, ancestors).items():
        per_rule[index].append(
            (
                "conditions",
                f"unreachable: rule {_label(earlier)} comes first, stops, and matches "
                "whenever this rule does",
            )
        )
    problems = [
        Problem(rule_id=rule.id, field=field, message=message)
        for rule, found in zip(ordered, per_rule, strict=True)
        for field, message in found
    ]
    return problems, ordered, normalised


def _label(rule: RuleSpec) -> str:
    return f"{rule.name!r} (#{rule.id})" if rule.name else f"#{rule.id}"


# --------------------------------------------------------------------------- compiling


def compile_ruleset(
    rules: Iterable[RuleSpec],
    agencies: Iterable[AgencyInfo],
    areas: AreaIndex | Iterable[AreaShape] = (),
    *,
    version: int = 0,
    strict: bool = True,
    index: bool = True,
) -> CompiledRuleSet:
    """Validate and compile; raise ``InvalidRuleSet`` if ``strict`` and anything is wrong.

    ``areas`` may be an ``AreaIndex`` already built (areas change less often than rules).
    ``index=False`` makes every rule a candidate for every issue: slower, for tests that
    check the index changes no decision. Teaches jieba every rule keyword (``text.add_words``).
    """
    area_index = areas if isinstance(areas, AreaIndex) else AreaIndex(areas)
    by_code = _agency_map(agencies)
    problems, ordered, normalised = _check(list(rules), by_code, area_index)
    if strict and problems:
        raise InvalidRuleSet(problems)

    level_counts = Counter(area_index.level_of(code) for code in area_index.codes)

    def area_share(code: str) -> float:
        return 1.0 / level_counts[area_index.level_of(code)] if code in area_index else 0.0

    compiled: list[CompiledRule] = []
    free = [0, 0]
    masks: dict[str, dict[str, list[int]]] = {
        name: {} for name in ("first", "category", "area", "keyword")
    }
    all_words: set[str] = set()
    for position, (rule, conds) in enumerate(zip(ordered, normalised, strict=True)):
        enabled = conds is not None
        parts: dict[str, tuple[CompiledCondition, ...]] = {}
        for block in ("all", "any", "none"):
            parts[block] = tuple(
                CompiledCondition(condition=c, test=_compile_test(c), description=c.describe())
                for c in (conds[block] if conds is not None else ())  # type: ignore[union-attr]
                if c is not None
            )
            for c in parts[block]:
                if c.condition.field == "keyword":
                    all_words.update(c.condition.value)
        tests = {block: tuple(c.test for c in parts[block]) for block in parts}
        test = _rule_test(tests["all"], tests["any"], tests["none"]) if enabled else _never
        slots: list[tuple[Key, ...]] = []
        candidate_test: Test | None = test
        if enabled and index:
            slots, covered, any_covered = _choose_slots(
                (c.condition for c in parts["all"]),
                (c.condition for c in parts["any"]),
                area_share,
            )
            rest = tuple(t for n, t in enumerate(tests["all"]) if n not in covered)
            rest_any = () if any_covered else tests["any"]
            candidate_test = (
                _rule_test(rest, rest_any, tests["none"])
                if rest or rest_any or tests["none"]
                else None
            )
        label = _label(rule)
        compiled_rule = CompiledRule(
            spec=rule,
            index=position,
            label=label,
            test=test,
            candidate_test=candidate_test,
            all=parts["all"],
            any=parts["any"],
            none=parts["none"],
            enabled=enabled,
            fixed_match=None,
        )
        if not parts["any"]:
            held = compiled_rule.explain(_NO_CONTEXT)
            compiled_rule = replace(compiled_rule, fixed_match=_match_record(rule, label, held))
        compiled.append(compiled_rule)
        if not enabled:
            continue  # never matches, so never a candidate
        bit = 1 << position
        for slot in range(2):
            if slot < len(slots):
                for name, key in slots[slot]:
                    masks[name].setdefault(key, [0, 0])[slot] |= bit
            else:
                free[slot] |= bit

    text.add_words(all_words)

    serving: dict[tuple[str, str], list[str]] = defaultdict(list)
    for agency in by_code.values():
        if agency.area:
            serving[(agency.kind, agency.area)].append(agency.code)

    # Plain dicts, typed read-only: a mappingproxy costs a little on every lookup.
    def frozen(name: str) -> Mapping[str, tuple[int, int]]:
        return {key: (m[0], m[1]) for key, m in masks[name].items()}

    return CompiledRuleSet(
        version=version,
        rules=tuple(compiled),
        areas=area_index,
        agencies=by_code,
        serving={key: tuple(sorted(v)) for key, v in serving.items()},
        problems=tuple(problems),
        keywords=frozenset(all_words),
        _free=(free[0], free[1]),
        _by_first=frozen("first"),
        _by_category=frozen("category"),
        _by_area=frozen("area"),
        _by_keyword=frozen("keyword"),
        _keyword_keys=frozenset(masks["keyword"]),
    )
