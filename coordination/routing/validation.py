"""Check a rule set: everything an administrator must fix before publishing, each ``Problem``
naming the rule and the part of it (``conditions.all[0].value``, ``actions.lead.agency``):
unknown fields, operators, agencies and areas; empty values and empty conditions; inactive
agencies; targets that cannot resolve; a lead that is also a co-handler; priorities, hours
and weekdays out of range; rules that do nothing; duplicate ids; and unreachable rules (an
earlier rule stops whenever this one would match)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping

from .areas import AreaIndex
from .conditions import implies, normalize_condition
from .model import (
    PRIORITIES,
    AgencyInfo,
    AreaShape,
    Condition,
    Problem,
    RuleSpec,
    Target,
)

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
        if not all(any(implies(h, c, ancestors) for h in later["all"]) for c in e["all"]):
            return False
        if e["any"] and not (
            any(implies(h, c, ancestors) for h in later["all"] for c in e["any"])
            or (
                later["any"]
                and all(any(implies(h, c, ancestors) for c in e["any"]) for h in later["any"])
            )
        ):
            return False
        return all(any(implies(c, m, ancestors) for m in later["none"]) for c in e["none"])

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
    return check_rules(list(rules), agency_map(agencies), areas)[0]


def agency_map(agencies: Iterable[AgencyInfo]) -> dict[str, AgencyInfo]:
    by_code: dict[str, AgencyInfo] = {}
    # Sorted first so that, if a code were repeated, which one wins does not depend on order.
    for agency in sorted(agencies, key=lambda a: (a.code, repr(a))):
        by_code.setdefault(agency.code, agency)
    return by_code


def check_rules(
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
                f"unreachable: rule {rule_label(earlier)} comes first, stops, and matches "
                "whenever this rule does",
            )
        )
    problems = [
        Problem(rule_id=rule.id, field=field, message=message)
        for rule, found in zip(ordered, per_rule, strict=True)
        for field, message in found
    ]
    return problems, ordered, normalised


def rule_label(rule: RuleSpec) -> str:
    return f"{rule.name!r} (#{rule.id})" if rule.name else f"#{rule.id}"
