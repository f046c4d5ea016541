"""Compile a rule set into something ``decide`` can ask thousands of times a second.

Checking comes first (``routing.validation``; conditions are ``routing.conditions``).

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

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from . import text
from .areas import AreaIndex
from .conditions import Context, Test, compile_test
from .model import (
    AgencyInfo,
    AreaShape,
    Condition,
    IssueFacts,
    MatchedRule,
    Problem,
    RuleSpec,
)
from .validation import InvalidRuleSet, agency_map, check_rules, rule_label

__all__ = ["CompiledRule", "CompiledRuleSet", "compile_ruleset"]


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
    by_code = agency_map(agencies)
    problems, ordered, normalised = check_rules(list(rules), by_code, area_index)
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
                CompiledCondition(condition=c, test=compile_test(c), description=c.describe())
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
        label = rule_label(rule)
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
