"""Properties of the routing engine over random worlds, rules and issues (hypothesis).

Rules are drawn from small alphabets of codes, malformed ones included, and compiled with
``strict=False`` so that every rule set routes. Whatever comes in:

- the same facts give the same decision, twice, and whatever order the rules come in;
- the index changes nothing: a rule set compiled without it decides the same;
- every issue gets an active, known lead, or goes to triage with its reasons;
- co-handlers are sorted, unique, active, known, and never the lead;
- ``why`` explains exactly the chosen agencies; the details are JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordination.routing.areas import AreaIndex
from coordination.routing.compiler import compile_ruleset
from coordination.routing.evaluate import decide
from coordination.routing.model import (
    FIELD_OPERATORS,
    PRIORITIES,
    Actions,
    AgencyInfo,
    AreaShape,
    Condition,
    Conditions,
    IssueFacts,
    RuleSpec,
    Target,
)
from coordination.routing.validation import AGENCY_KINDS, InvalidRuleSet, validate

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def rectangle(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


# Two districts side by side, each with two streets, each street with two communities.
SHAPES: list[AreaShape] = []
for d, lon in enumerate((0.0, 2.0)):
    district = f"d{d}"
    SHAPES.append(AreaShape(district, "district", rectangle(lon, 0.0, lon + 2.0, 2.0)))
    for s, lat in enumerate((0.0, 1.0)):
        street = f"{district}s{s}"
        SHAPES.append(
            AreaShape(street, "street", rectangle(lon, lat, lon + 2.0, lat + 1.0), district)
        )
        for k, x in enumerate((lon, lon + 1.0)):
            SHAPES.append(
                AreaShape(
                    f"{street}c{k}", "community", rectangle(x, lat, x + 1.0, lat + 1.0), street
                )
            )
AREA_INDEX = AreaIndex(SHAPES)
AREA_CODES = [shape.code for shape in SHAPES]

STREETS = [code for code in AREA_CODES if AREA_INDEX.level_of(code) == "street"]
COMMUNITIES = [code for code in AREA_CODES if AREA_INDEX.level_of(code) == "community"]
CATEGORIES = ["noise", "noise-site", "noise-night", "roads", "water"]
WORDS = ["噪音", "施工", "工地", "停电", "路灯", "wifi", "的"]  # 的: never a keyword
CHANNELS = ["web", "phone", "app"]
KINDS = sorted(AGENCY_KINDS)
CHINA = timezone(timedelta(hours=8))
# hypothesis draws naive datetimes between naive bounds; the time zone is added after.
FIRST_DAY = datetime(2024, 1, 1)  # noqa: DTZ001
LAST_DAY = datetime(2024, 12, 31)  # noqa: DTZ001

# Strategies lean towards what makes rules match and agencies resolve; the malformed and
# the inactive come often enough to be exercised but not so often that nothing routes.
mostly_active = st.sampled_from([True, True, True, True, False])


@st.composite
def agencies_strategy(draw: st.DrawFn) -> list[AgencyInfo]:
    """A city's organisations: departments, some street offices, communities and partners,
    and a few odd ones of any kind and area."""
    agencies = [
        AgencyInfo("housing", "government_department", active=draw(mostly_active)),
        AgencyInfo("police", "government_department", active=draw(mostly_active)),
    ]
    for street in STREETS:
        if draw(mostly_active):
            agencies.append(
                AgencyInfo(f"so-{street}", "street_office", street, None, draw(mostly_active))
            )
    for community in COMMUNITIES:
        if draw(st.booleans()):
            agencies.append(
                AgencyInfo(f"cm-{community}", "community", community, None, draw(mostly_active))
            )
    for district in ("d0", "d1"):
        for partner in ("power", "water"):
            if draw(st.booleans()):
                agencies.append(
                    AgencyInfo(
                        f"{partner}-{district}",
                        "enterprise_partner",
                        district,
                        None,
                        draw(mostly_active),
                    )
                )
    extras = draw(
        st.lists(
            st.builds(
                AgencyInfo,
                code=st.sampled_from(["x1", "x2", "x3"]),
                kind=st.sampled_from(KINDS),
                area=st.one_of(st.none(), st.sampled_from(AREA_CODES)),
                active=st.booleans(),
            ),
            max_size=3,
            unique_by=lambda agency: agency.code,
        )
    )
    return agencies + extras


def values_for(field: str) -> st.SearchStrategy:
    if field == "category":
        return st.sampled_from(CATEGORIES)
    if field == "area":
        return st.sampled_from([*AREA_CODES, "atlantis"])
    if field == "keyword":
        return st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(tuple)
    if field == "channel":
        return st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=2).map(tuple)
    if field == "priority":
        return st.lists(st.sampled_from([*PRIORITIES, "asap"]), min_size=1, max_size=2).map(tuple)
    if field == "hour":
        hours = st.sampled_from([*range(25), 25])
        return st.tuples(hours, hours)
    return st.lists(st.sampled_from(range(8)), min_size=1, max_size=3).map(tuple)  # weekday


FIELDS = ["category", "category", "area", "area", "keyword", "keyword", "keyword", "channel"]
FIELDS += ["priority", "hour", "weekday", "colour"]


@st.composite
def conditions_strategy(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(FIELDS))
    if field == "colour":
        return Condition("colour", "is", "red")
    op = draw(st.sampled_from(sorted(FIELD_OPERATORS[field])))
    return Condition(field, op, draw(values_for(field)))


TARGETS = [
    Target("agency", agency="housing"),
    Target("agency", agency="housing"),
    Target("agency", agency="police"),
    Target("agency", agency="police"),
    Target("agency", agency="x1"),
    Target("agency", agency="ghost"),
    Target("territorial", level="street"),
    Target("territorial", level="street"),
    Target("territorial", level="community"),
    Target("territorial", level="district"),
    Target("serving", kind="enterprise_partner"),
    Target("serving", kind="enterprise_partner"),
    Target("serving", kind="aliens"),
]
targets_strategy = st.sampled_from(TARGETS)

rules_strategy = st.lists(
    st.builds(
        RuleSpec,
        id=st.integers(1, 12),
        name=st.sampled_from(["a", "b", "噪音规则"]),
        position=st.integers(0, 4),
        conditions=st.builds(
            Conditions,
            all=st.lists(conditions_strategy(), max_size=2).map(tuple),
            any=st.lists(conditions_strategy(), max_size=2).map(tuple),
            none=st.lists(conditions_strategy(), max_size=1).map(tuple),
        ),
        actions=st.builds(
            Actions,
            lead=st.sampled_from([None, *TARGETS]),
            co_handlers=st.lists(targets_strategy, max_size=3).map(tuple),
            priority=st.one_of(st.none(), st.sampled_from([*PRIORITIES, "asap"])),
            deadline_policy=st.one_of(st.none(), st.sampled_from(["urgent-4h", "weekend"])),
            stop=st.booleans(),
        ),
    ),
    max_size=8,
)

places = st.one_of(
    st.just((None, None)),
    st.sampled_from([(0.5, 0.5), (1.5, 1.5), (2.5, 0.5), (3.5, 1.5), (2.0, 1.0), (9.0, 9.0)]),
    st.tuples(st.floats(-0.5, 4.5), st.floats(-0.5, 2.5)),
)
facts_strategy = st.builds(
    lambda category, place, words, channel, priority, when: IssueFacts(
        category_path=category,
        lon=place[0],
        lat=place[1],
        keywords=frozenset(words),
        channel=channel,
        priority=priority,
        submitted_at=when,
    ),
    category=st.sampled_from([(), ("noise",), ("noise-site", "noise"), ("roads",), ("water",)]),
    place=places,
    words=st.sets(st.sampled_from(WORDS), max_size=4),
    channel=st.sampled_from(CHANNELS),
    priority=st.sampled_from(PRIORITIES),
    when=st.one_of(
        st.none(),
        st.datetimes(min_value=FIRST_DAY, max_value=LAST_DAY).map(
            lambda d: d.replace(tzinfo=CHINA)
        ),
    ),
)


def check_decision(decision, agencies: list[AgencyInfo]) -> None:
    active = {a.code for a in agencies if a.active}
    if decision.lead is None:
        assert decision.to_triage
        assert decision.reasons
        assert "triage at the dispatch centre" in decision.reasons[-1]
    else:
        assert decision.lead in active
    assert list(decision.co_handlers) == sorted(set(decision.co_handlers))
    assert decision.lead not in decision.co_handlers
    assert set(decision.co_handlers) <= active
    chosen = ([decision.lead] if decision.lead else []) + list(decision.co_handlers)
    assert [code for code, _ in decision.why] == chosen
    assert decision.priority in (None, *PRIORITIES)
    json.dumps(decision.as_details(), ensure_ascii=False)


@SETTINGS
@given(agencies=agencies_strategy(), rules=rules_strategy, facts=facts_strategy, data=st.data())
def test_decisions_are_deterministic_and_well_formed(agencies, rules, facts, data):
    ruleset = compile_ruleset(rules, agencies, AREA_INDEX, strict=False)
    decision = decide(facts, ruleset)
    assert decide(facts, ruleset) == decision
    check_decision(decision, agencies)

    shuffled = data.draw(st.permutations(rules))
    reordered_agencies = data.draw(st.permutations(agencies))
    again = compile_ruleset(shuffled, reordered_agencies, AREA_INDEX, strict=False)
    assert decide(facts, again) == decision

    unindexed = compile_ruleset(rules, agencies, AREA_INDEX, strict=False, index=False)
    assert decide(facts, unindexed) == decision


@SETTINGS
@given(agencies=agencies_strategy(), rules=rules_strategy)
def test_strict_compile_fails_exactly_when_validation_finds_problems(agencies, rules):
    problems = validate(rules, agencies, AREA_INDEX)
    assert all(p.rule_id in {r.id for r in rules} for p in problems)
    assert all(p.field and p.message for p in problems)
    try:
        compile_ruleset(rules, agencies, AREA_INDEX)
    except InvalidRuleSet as error:
        assert error.problems == tuple(problems)
    else:
        assert problems == []


@SETTINGS
@given(agencies=agencies_strategy(), rules=rules_strategy, facts=facts_strategy)
def test_a_valid_rule_set_routes_every_issue_or_says_why_not(agencies, rules, facts):
    if validate(rules, agencies, AREA_INDEX):
        rules = [r for r in rules if not validate([r], agencies, AREA_INDEX)]
        rules = list({r.id: r for r in rules}.values())  # one rule an id
        if validate(rules, agencies, AREA_INDEX):
            return  # what is left still hides one rule behind another
    ruleset = compile_ruleset(rules, agencies, AREA_INDEX)
    decision = decide(facts, ruleset)
    check_decision(decision, agencies)
    if decision.lead is None:
        assert any(
            reason.startswith(("no rule matched", "no lead resolved", "rules disagree"))
            for reason in decision.reasons
        )


@SETTINGS
@given(lon=st.floats(-1, 5, allow_nan=False), lat=st.floats(-1, 3, allow_nan=False))
def test_area_lookup_nests_district_street_community(lon, lat):
    found = AREA_INDEX.containing(lon, lat)
    levels = [AREA_INDEX.level_of(code) for code in found]
    assert levels == sorted(levels, key=["district", "street", "community"].index)
    assert len(levels) == len(set(levels))  # a tiling: at most one area of each level
    for code in found:
        parent = AREA_INDEX.parent_of(code)
        assert parent is None or parent in found
