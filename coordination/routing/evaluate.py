"""``decide``: an issue's facts and a compiled rule set in, a ``Decision`` with its reasons out.

The walk: find the areas containing the place; take the candidate rules (those the index
cannot rule out) in ``(position, id)`` order; for each rule whose conditions hold, record it
and the conditions that held, apply its actions, and stop if it says so.

- Lead: the first resolved lead wins. A later matching rule naming a *different* lead is a
  conflict: the walk ends, lead and co-handlers are dropped (priority and deadline policy
  stay) and the issue goes to triage, with a reason naming both rules and both agencies.
  A lead that cannot be resolved (a territorial lead with no place, an inactive agency) is
  noted; the rule's co-handlers, priority and deadline still apply.
- Co-handlers: every resolved one, without repeats and without the lead, sorted by code.
- Priority and deadline policy: the first rule that sets one wins; a later different value
  is noted, not applied.
- Targets: a named agency; territorial (属地): the street office or community whose area of
  that level contains the place (several areas of a level, on a shared border: by code);
  serving: the organisations of a kind whose area contains the place, most specific area
  first, then by code (a lead takes the first, co-handlers take all).
- Inactive or unknown agencies are never chosen; the reasons say so.
- No rule matched, rules disagreed, or no lead resolved: ``lead`` is None (triage).

``keyword`` conditions compare with ``facts.keywords`` as ``text.keywords`` makes them
(normalised, lowercased); the engine does not normalise them again on every decision.

``category`` conditions read the resident's own category (``category_path``) only; the
predicted category in the facts is not consulted yet. The shell may route on a confident
prediction by putting it into ``category_path``, and say so in the handoff.

Nothing here reads the clock, draws random numbers or depends on dict or set iteration
order, so the same facts and rule set always give the same decision.
"""

from __future__ import annotations

from .compiler import CompiledRule, CompiledRuleSet
from .conditions import Context
from .model import PRIORITIES, Decision, IssueFacts, MatchedRule, Target
from .validation import TERRITORIAL_KINDS

__all__ = ["decide"]

_LEVEL_RANK = {"district": 0, "street": 1, "community": 2}
_KIND_NAMES = {
    "street_office": "street office",
    "community": "community",
    "enterprise_partner": "enterprise partner",
    "government_department": "government department",
    "party_organisation": "party organisation",
    "mass_organisation": "mass organisation",
    "dispatch_centre": "dispatch centre",
}
TRIAGE = "triage at the dispatch centre"


def decide(facts: IssueFacts, ruleset: CompiledRuleSet) -> Decision:
    """Route ``facts`` with ``ruleset``; see the module docstring for the semantics."""
    areas = ruleset.areas.containing(facts.lon, facts.lat)
    ctx = Context(facts, areas)
    place_given = facts.lon is not None and facts.lat is not None
    reasons: list[str] = []
    if not place_given:
        reasons.append("no place given")
    elif areas:
        reasons.append(f"the place is in {', '.join(areas)}")
    else:
        reasons.append("the place is in no known area")

    matched: list[MatchedRule] = []
    lead: str | None = None
    lead_by = ""  # label of the rule that set each of these
    lead_rule: int | None = None
    lead_why = ""
    co: dict[str, str] = {}
    priority: str | None = None
    priority_by = ""
    deadline: str | None = None
    deadline_by = ""
    conflict = False

    rules = ruleset.rules
    pending = ruleset.candidate_mask(ctx)
    while pending:  # lowest bit first: (position, id) order; ends early when a rule stops
        low = pending & -pending
        pending ^= low
        rule = rules[low.bit_length() - 1]
        test = rule.candidate_test
        if test is not None and not test(ctx):
            continue
        record, reason = rule.match(ctx)
        matched.append(record)
        reasons.append(reason)
        actions = rule.spec.actions

        if actions.lead is not None:
            found = _resolve(actions.lead, areas, place_given, ruleset, rule, reasons, lead=True)
            if found:
                code, how = found[0]
                if lead is None:
                    lead, lead_by, lead_why = code, rule.label, f"lead by rule {rule.label}: {how}"
                    lead_rule = rule.id
                elif code != lead:
                    reasons.append(
                        f"conflict: rule {lead_by} names {lead} as lead, rule "
                        f"{rule.label} names {code}"
                    )
                    conflict = True
                    break
                else:
                    reasons.append(f"rule {rule.label} also names {code} as lead")

        for target in actions.co_handlers:
            found = _resolve(target, areas, place_given, ruleset, rule, reasons, lead=False)
            for code, how in found:
                if code not in co:
                    co[code] = f"co-handler by rule {rule.label}: {how}"

        if actions.priority is not None:
            if actions.priority not in PRIORITIES:
                reasons.append(
                    f"rule {rule.label} sets unknown priority {actions.priority!r}: ignored"
                )
            elif priority is None:
                priority, priority_by = actions.priority, rule.label
            elif actions.priority != priority:
                reasons.append(
                    f"rule {rule.label} would set priority {actions.priority}; "
                    f"{priority} from rule {priority_by} stands"
                )
        if actions.deadline_policy is not None:
            if not isinstance(actions.deadline_policy, str) or not actions.deadline_policy:
                reasons.append(f"rule {rule.label} sets no usable deadline policy: ignored")
            elif deadline is None:
                deadline, deadline_by = actions.deadline_policy, rule.label
            elif actions.deadline_policy != deadline:
                reasons.append(
                    f"rule {rule.label} would set deadline policy {actions.deadline_policy}; "
                    f"{deadline} from rule {deadline_by} stands"
                )

        if actions.stop:
            break

    if conflict:
        lead = lead_rule = None
        if co:
            reasons.append(f"co-handlers {', '.join(sorted(co))} dropped with the lead")
        co = {}
        reasons.append(f"rules disagree on the lead: {TRIAGE}")
    elif not matched:
        reasons.append(f"no rule matched: {TRIAGE}")
    elif lead is None:
        reasons.append(f"no lead resolved: {TRIAGE}")
    elif lead in co:
        del co[lead]  # it leads; the co-handling of the same agency is implied

    co_handlers = tuple(sorted(co))
    why = [(lead, lead_why)] if lead is not None else []
    why.extend((code, co[code]) for code in co_handlers)
    return Decision(
        lead=lead,
        co_handlers=co_handlers,
        priority=priority,
        deadline_policy=deadline,
        matched=tuple(matched),
        lead_rule=lead_rule if lead is not None else None,
        areas=areas,
        why=tuple(why),
        reasons=tuple(reasons),
    )


def _resolve(
    target: Target,
    areas: tuple[str, ...],
    place_given: bool,
    ruleset: CompiledRuleSet,
    rule: CompiledRule,
    notes: list[str],
    *,
    lead: bool,
) -> list[tuple[str, str]]:
    """The agencies ``target`` stands for here, as ``(code, why)``; notes say what failed."""
    role = "lead" if lead else "co-handler"
    agencies = ruleset.agencies
    if target.type == "agency":
        code = target.agency
        agency = agencies.get(code) if isinstance(code, str) else None
        if agency is None:
            notes.append(f"rule {rule.label}: {role} {code!r} is not a known agency")
            return []
        if not agency.active:
            notes.append(f"rule {rule.label}: {role} {code} is inactive, not chosen")
            return []
        return [(agency.code, "named")]

    if target.type == "territorial":
        kind = TERRITORIAL_KINDS.get(target.level) if isinstance(target.level, str) else None
        if kind is None:
            notes.append(f"rule {rule.label}: unknown territorial level {target.level!r}")
            return []
        name = _KIND_NAMES[kind]
        levels = ruleset.areas.levels
        local = [area for area in areas if levels[area] == target.level]
        if not local:
            where = (
                "no place was given" if not place_given else f"the place is in no {target.level}"
            )
            notes.append(f"rule {rule.label}: {role} is the {name} of the place, but {where}")
            return []
        for area in local:
            chosen = _active(ruleset, (kind, area), rule, notes)
            if chosen:
                if len(chosen) > 1:
                    notes.append(
                        f"rule {rule.label}: {len(chosen)} {name}s answer for {area}; "
                        f"{chosen[0]} chosen by code"
                    )
                return [(chosen[0], f"{name} whose area {area} contains the place")]
        notes.append(f"rule {rule.label}: no active {name} answers for {', '.join(local)}")
        return []

    if target.type == "serving":
        kind = target.kind if isinstance(target.kind, str) else ""
        name = _KIND_NAMES.get(kind, kind)
        levels = ruleset.areas.levels
        # Most specific area first (community, street, district), then by code.
        ordered = sorted(areas, key=lambda a: (-_LEVEL_RANK.get(levels[a], 3), a))
        found: list[tuple[str, str]] = []
        for area in ordered:
            for code in _active(ruleset, (kind, area), rule, notes):
                found.append((code, f"{name} serving {area}, which contains the place"))
        if not found:
            where = "no place was given" if not place_given else "none serves the place"
            notes.append(f"rule {rule.label}: {role} is a {name} serving the place, but {where}")
            return []
        if lead and len(found) > 1:
            notes.append(
                f"rule {rule.label}: {len(found)} {name}s serve the place; {found[0][0]} "
                "chosen (most specific area, then code)"
            )
        return found[:1] if lead else found

    notes.append(f"rule {rule.label}: unknown target type {target.type!r}")
    return []


def _active(
    ruleset: CompiledRuleSet, key: tuple[str, str], rule: CompiledRule, notes: list[str]
) -> list[str]:
    """The active agencies of ``key`` (kind, area); inactive ones are noted, not chosen."""
    codes = ruleset.serving.get(key, ())
    agencies = ruleset.agencies
    active = []
    for code in codes:
        if agencies[code].active:
            active.append(code)
        else:
            notes.append(f"rule {rule.label}: {code} answers for {key[1]} but is inactive")
    return active
