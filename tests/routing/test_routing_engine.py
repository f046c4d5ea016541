"""The pure routing engine (coordination/routing): facts and rules in, a decision with reasons out.

No database and no Django: a hand-made city (one district, two streets, four communities,
rectangles) and tables of rules, facts and expected decisions.

        lon 116.0        116.2        116.4
    lat 40.1 +------------+------------+
             |  west-n    |  east-n    |
    lat 40.0 +---- west --+--- east ---+     district d1
             |  west-s    |  east-s    |
    lat 39.9 +------------+------------+
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone

import pytest

from coordination.routing import text
from coordination.routing.areas import AreaIndex
from coordination.routing.compiler import compile_ruleset
from coordination.routing.evaluate import decide
from coordination.routing.model import (
    Actions,
    AgencyInfo,
    AreaShape,
    Condition,
    Conditions,
    Decision,
    IssueFacts,
    RuleSpec,
    Target,
)
from coordination.routing.validation import InvalidRuleSet, validate

CHINA = timezone(timedelta(hours=8))


def rectangle(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


AREAS = (
    AreaShape("d1", "district", rectangle(116.0, 39.9, 116.4, 40.1)),
    AreaShape("west", "street", rectangle(116.0, 39.9, 116.2, 40.1), parent="d1"),
    AreaShape("east", "street", rectangle(116.2, 39.9, 116.4, 40.1), parent="d1"),
    AreaShape("west-n", "community", rectangle(116.0, 40.0, 116.2, 40.1), parent="west"),
    AreaShape("west-s", "community", rectangle(116.0, 39.9, 116.2, 40.0), parent="west"),
    AreaShape("east-n", "community", rectangle(116.2, 40.0, 116.4, 40.1), parent="east"),
    AreaShape("east-s", "community", rectangle(116.2, 39.9, 116.4, 40.0), parent="east"),
)
AGENCIES = (
    AgencyInfo("dispatch", "dispatch_centre"),
    AgencyInfo("housing", "government_department"),
    AgencyInfo("police", "government_department"),
    AgencyInfo("urban", "government_department"),
    AgencyInfo("old-housing", "government_department", active=False),
    AgencyInfo("power", "enterprise_partner", area="d1"),
    AgencyInfo("old-power", "enterprise_partner", area="d1", active=False),
    AgencyInfo("so-west", "street_office", area="west"),
    AgencyInfo("so-east", "street_office", area="east"),
    AgencyInfo("cm-west-n", "community", area="west-n", parent="so-west"),
    AgencyInfo("cm-west-s", "community", area="west-s", parent="so-west"),
    AgencyInfo("cm-east-n", "community", area="east-n", parent="so-east"),
    AgencyInfo("cm-east-s", "community", area="east-s", parent="so-east", active=False),
)
WEST_N = (116.1, 40.05)
WEST_S = (116.1, 39.95)
EAST_N = (116.3, 40.05)
EAST_S = (116.3, 39.95)
NOWHERE = (None, None)
OUTSIDE = (117.0, 41.0)

SATURDAY_NIGHT = datetime(2024, 6, 1, 23, 30, tzinfo=CHINA)  # 2024-06-01 is a Saturday
MONDAY_NOON = datetime(2024, 6, 3, 12, 0, tzinfo=CHINA)

STREET = Target("territorial", level="street")
COMMUNITY = Target("territorial", level="community")
POWER_COMPANY = Target("serving", kind="enterprise_partner")


def c(field: str, op: str, value) -> Condition:
    return Condition(field, op, tuple(value) if isinstance(value, list | tuple) else value)


def named(code: str) -> Target:
    return Target("agency", agency=code)


def rule(
    rule_id: int,
    *,
    all=(),
    any=(),
    none=(),
    lead: Target | str | None = None,
    co=(),
    priority: str | None = None,
    deadline: str | None = None,
    stop: bool = True,
    position: int = 100,
    name: str | None = None,
) -> RuleSpec:
    return RuleSpec(
        id=rule_id,
        name=name or f"rule {rule_id}",
        position=position,
        conditions=Conditions(all=tuple(all), any=tuple(any), none=tuple(none)),
        actions=Actions(
            lead=named(lead) if isinstance(lead, str) else lead,
            co_handlers=tuple(named(t) if isinstance(t, str) else t for t in co),
            priority=priority,
            deadline_policy=deadline,
            stop=stop,
        ),
    )


def facts(
    *,
    category: tuple[str, ...] = (),
    place: tuple[float | None, float | None] = NOWHERE,
    said: str = "",
    channel: str = "web",
    priority: str = "normal",
    at: datetime | None = None,
) -> dict:
    """Facts as keyword arguments; ``said`` becomes keywords after the rules are compiled
    (compiling teaches jieba the rules' words)."""
    return {
        "category_path": category,
        "lon": place[0],
        "lat": place[1],
        "said": said,
        "channel": channel,
        "priority": priority,
        "submitted_at": at,
    }


def route(rules: list[RuleSpec], spec: dict, *, strict: bool = True) -> Decision:
    ruleset = compile_ruleset(rules, AGENCIES, AREAS, strict=strict)
    spec = dict(spec)
    said = spec.pop("said")
    return decide(IssueFacts(keywords=text.keywords(said), **spec), ruleset)


# ------------------------------------------------------------------ conditions


HOUSING_IF = {
    "category is": [c("category", "is", "noise-site")],
    "category under": [c("category", "under", "noise")],
    "area in": [c("area", "in", "east")],
    "community in": [c("area", "in", "west-s")],
    "keyword any": [c("keyword", "any", ["施工", "装修"])],
    "keyword all": [c("keyword", "all", ["工地", "噪音"])],
    "english word": [c("keyword", "any", ["streetlight"])],
    "channel in": [c("channel", "in", ["phone", "app"])],
    "priority in": [c("priority", "in", ["urgent"])],
    "night hours": [c("hour", "between", [22, 6])],
    "office hours": [c("hour", "between", [9, 17])],
    "all day": [c("hour", "between", [0, 24])],
    "weekend": [c("weekday", "in", [5, 6])],
}


@pytest.mark.parametrize(
    ("condition", "spec", "matches"),
    [
        pytest.param("category is", facts(category=("noise-site", "noise")), True, id="is-same"),
        pytest.param("category is", facts(category=("noise-night", "noise")), False, id="is-other"),
        pytest.param("category is", facts(category=("noise",)), False, id="is-not-parent"),
        pytest.param(
            "category under", facts(category=("noise-site", "noise")), True, id="under-child"
        ),
        pytest.param("category under", facts(category=("noise",)), True, id="under-itself"),
        pytest.param("category under", facts(category=("roads",)), False, id="under-other"),
        pytest.param("category under", facts(), False, id="under-no-category"),
        pytest.param("area in", facts(place=EAST_N), True, id="area-street-north"),
        pytest.param("area in", facts(place=EAST_S), True, id="area-street-south"),
        pytest.param("area in", facts(place=WEST_N), False, id="area-other-street"),
        pytest.param("area in", facts(place=OUTSIDE), False, id="area-outside-city"),
        pytest.param("area in", facts(), False, id="area-no-place"),
        pytest.param("community in", facts(place=WEST_S), True, id="community-in"),
        pytest.param("community in", facts(place=WEST_N), False, id="community-neighbour"),
        pytest.param("keyword any", facts(said="工地夜间施工噪音"), True, id="chinese-word"),
        pytest.param("keyword any", facts(said="楼上装修太吵"), True, id="chinese-other-word"),
        pytest.param("keyword any", facts(said="路灯不亮"), False, id="chinese-no-word"),
        pytest.param("keyword all", facts(said="工地噪音扰民"), True, id="all-words"),
        pytest.param("keyword all", facts(said="工地灰尘很大"), False, id="one-word-missing"),
        pytest.param("english word", facts(said="The STREETLIGHT is out"), True, id="english"),
        pytest.param("english word", facts(said="street light"), False, id="english-other"),
        pytest.param("channel in", facts(channel="phone"), True, id="channel-in"),
        pytest.param("channel in", facts(channel="web"), False, id="channel-out"),
        pytest.param("priority in", facts(priority="urgent"), True, id="priority-in"),
        pytest.param("priority in", facts(priority="high"), False, id="priority-out"),
        pytest.param("night hours", facts(at=SATURDAY_NIGHT), True, id="night-before-midnight"),
        pytest.param(
            "night hours",
            facts(at=datetime(2024, 6, 2, 5, 59, tzinfo=CHINA)),
            True,
            id="night-after-midnight",
        ),
        pytest.param(
            "night hours",
            facts(at=datetime(2024, 6, 2, 6, 0, tzinfo=CHINA)),
            False,
            id="night-ends-at-six",
        ),
        pytest.param("night hours", facts(at=MONDAY_NOON), False, id="night-noon"),
        pytest.param("night hours", facts(), False, id="night-no-time"),
        pytest.param(
            "office hours", facts(at=datetime(2024, 6, 3, 9, 0, tzinfo=CHINA)), True, id="at-nine"
        ),
        pytest.param(
            "office hours",
            facts(at=datetime(2024, 6, 3, 17, 0, tzinfo=CHINA)),
            False,
            id="end-excluded",
        ),
        pytest.param("all day", facts(at=MONDAY_NOON), True, id="all-day"),
        pytest.param("weekend", facts(at=SATURDAY_NIGHT), True, id="saturday"),
        pytest.param("weekend", facts(at=MONDAY_NOON), False, id="monday"),
        pytest.param("weekend", facts(), False, id="weekday-no-time"),
    ],
)
def test_condition_decides_whether_the_rule_matches(condition, spec, matches):
    decision = route([rule(1, all=HOUSING_IF[condition], lead="housing")], spec)
    assert decision.lead == ("housing" if matches else None)
    assert decision.to_triage is not matches
    if matches:
        assert decision.rule_id == 1
        assert decision.matched[0].conditions == tuple(
            cond.describe() for cond in HOUSING_IF[condition]
        )
    else:
        assert "no rule matched: triage at the dispatch centre" in decision.reasons


@pytest.mark.parametrize(
    ("said", "channel", "expected"),
    [
        pytest.param("工地施工", "web", None, id="none-condition-holds"),
        pytest.param("楼下噪音", "web", "housing", id="none-condition-absent"),
        pytest.param("楼下噪音", "phone", None, id="second-none-holds"),
    ],
)
def test_none_conditions_exclude(said, channel, expected):
    rules = [
        rule(
            1,
            all=[c("category", "under", "noise")],
            none=[c("keyword", "any", ["施工"]), c("channel", "in", ["phone"])],
            lead="housing",
        )
    ]
    decision = route(rules, facts(category=("noise",), said=said, channel=channel))
    assert decision.lead == expected


@pytest.mark.parametrize(
    ("spec", "expected", "held"),
    [
        pytest.param(facts(channel="phone"), "police", ("channel in phone",), id="first"),
        pytest.param(facts(said="情况紧急"), "police", ("keyword any 紧急",), id="second"),
        pytest.param(
            facts(channel="phone", said="紧急"),
            "police",
            ("channel in phone", "keyword any 紧急"),
            id="both",
        ),
        pytest.param(facts(said="一般咨询"), None, (), id="neither"),
    ],
)
def test_any_conditions_need_one(spec, expected, held):
    rules = [
        rule(1, any=[c("channel", "in", ["phone"]), c("keyword", "any", ["紧急"])], lead="police")
    ]
    decision = route(rules, spec)
    assert decision.lead == expected
    if expected:
        assert decision.matched[0].conditions == held


def test_rules_without_category_conditions_route_issues_without_category():
    decision = route(
        [rule(1, all=[c("keyword", "any", ["路灯"])], lead="urban")], facts(said="路灯坏了")
    )
    assert decision.lead == "urban"


# ------------------------------------------------------------------ who handles it


@pytest.mark.parametrize(
    ("place", "level", "expected", "area"),
    [
        pytest.param(WEST_N, "street", "so-west", "west", id="street-west-north"),
        pytest.param(WEST_S, "street", "so-west", "west", id="street-west-south"),
        pytest.param(EAST_N, "street", "so-east", "east", id="street-east-north"),
        pytest.param(EAST_S, "street", "so-east", "east", id="street-east-south"),
        pytest.param(WEST_N, "community", "cm-west-n", "west-n", id="community-west-north"),
        pytest.param(EAST_N, "community", "cm-east-n", "east-n", id="community-east-north"),
    ],
)
def test_territorial_lead_is_the_office_whose_area_contains_the_place(place, level, expected, area):
    lead = Target("territorial", level=level)
    decision = route(
        [rule(1, all=[c("category", "under", "roads")], lead=lead)],
        facts(category=("roads",), place=place),
    )
    assert decision.lead == expected
    assert decision.areas[0] == "d1"
    assert area in decision.areas
    assert dict(decision.why)[expected].startswith("lead by rule 'rule 1' (#1): ")
    assert f"whose area {area} contains the place" in dict(decision.why)[expected]


def test_areas_come_district_first():
    decision = route([rule(1, all=[c("area", "in", "d1")], lead="urban")], facts(place=EAST_S))
    assert decision.areas == ("d1", "east", "east-s")


@pytest.mark.parametrize(
    ("place", "reason"),
    [
        pytest.param(NOWHERE, "no place was given", id="no-place"),
        pytest.param(OUTSIDE, "the place is in no street", id="outside-the-city"),
    ],
)
def test_territorial_lead_without_a_place_goes_to_triage(place, reason):
    decision = route(
        [rule(1, all=[c("category", "under", "roads")], lead=STREET)],
        facts(category=("roads",), place=place),
    )
    assert decision.to_triage
    assert any(reason in r for r in decision.reasons)
    assert decision.reasons[-1] == "no lead resolved: triage at the dispatch centre"


def test_serving_co_handler_is_the_enterprise_partner_of_the_district():
    rules = [rule(1, all=[c("keyword", "any", ["停电"])], lead="urban", co=[POWER_COMPANY])]
    decision = route(rules, facts(said="小区停电三天了", place=WEST_S))
    assert decision.lead == "urban"
    assert decision.co_handlers == ("power",)  # old-power serves d1 too, but is inactive
    assert "enterprise partner serving d1" in dict(decision.why)["power"]
    assert any("old-power answers for d1 but is inactive" in r for r in decision.reasons)


def test_sector_and_territory_housing_leads_the_street_office_co_handles():
    rules = [
        rule(
            1,
            name="construction noise",
            all=[c("keyword", "any", ["噪音", "扰民"]), c("keyword", "any", ["施工", "工地"])],
            lead="housing",
            co=[STREET],
        )
    ]
    decision = route(rules, facts(said="工地夜间施工噪音扰民", place=EAST_N))
    assert (decision.lead, decision.co_handlers) == ("housing", ("so-east",))
    assert dict(decision.why) == {
        "housing": "lead by rule 'construction noise' (#1): named",
        "so-east": "co-handler by rule 'construction noise' (#1): street office whose area "
        "east contains the place",
    }


def test_continue_rule_adds_co_handlers_and_priority_then_a_later_rule_leads():
    rules = [
        rule(
            1,
            position=10,
            all=[c("keyword", "any", ["漏水"])],
            co=["police", STREET],
            priority="high",
            stop=False,
        ),
        rule(2, position=20, all=[c("category", "under", "water")], lead="urban", priority="low"),
        rule(3, position=30, all=[c("keyword", "any", ["漏水"])], lead="housing"),
    ]
    decision = route(rules, facts(category=("water",), said="楼上漏水", place=WEST_N))
    assert decision.lead == "urban"
    assert decision.co_handlers == ("police", "so-west")
    assert decision.priority == "high"
    assert [m.id for m in decision.matched] == [1, 2]  # rule 2 stops: rule 3 is not tried
    assert any(
        "would set priority low; high from rule 'rule 1' (#1) stands" in r for r in decision.reasons
    )


def test_stop_rule_without_lead_leaves_triage_with_its_co_handlers():
    rules = [
        rule(1, position=10, all=[c("keyword", "any", ["漏水"])], co=["police"], priority="high"),
        rule(2, position=20, all=[c("category", "under", "water")], lead="urban"),
    ]
    decision = route(rules, facts(category=("water",), said="楼上漏水"))
    assert decision.to_triage
    assert (decision.co_handlers, decision.priority) == (("police",), "high")
    assert decision.reasons[-1] == "no lead resolved: triage at the dispatch centre"


def test_two_leads_conflict_and_go_to_triage_naming_both():
    rules = [
        rule(
            1,
            name="noise to housing",
            position=10,
            all=[c("keyword", "any", ["噪音"])],
            lead="housing",
            co=[STREET],
            stop=False,
        ),
        rule(
            2,
            name="night to police",
            position=20,
            all=[c("hour", "between", [22, 6])],
            lead="police",
        ),
    ]
    decision = route(rules, facts(said="半夜噪音", at=SATURDAY_NIGHT, place=EAST_S))
    assert decision.to_triage
    assert decision.co_handlers == ()
    assert decision.why == ()
    conflict = next(r for r in decision.reasons if r.startswith("conflict"))
    for part in ("'noise to housing' (#1)", "housing", "'night to police' (#2)", "police"):
        assert part in conflict
    assert decision.reasons[-1] == "rules disagree on the lead: triage at the dispatch centre"


def test_two_rules_naming_the_same_lead_agree_and_the_lead_is_no_co_handler():
    rules = [
        rule(0, position=5, all=[c("keyword", "any", ["施工"])], co=["housing"], stop=False),
        rule(1, position=10, all=[c("keyword", "any", ["噪音"])], lead="housing", stop=False),
        rule(2, position=20, all=[c("keyword", "any", ["施工"])], lead="housing", co=["urban"]),
    ]
    decision = route(rules, facts(said="施工噪音"))
    assert (decision.lead, decision.co_handlers) == ("housing", ("urban",))
    assert any("also names housing as lead" in r for r in decision.reasons)


def test_no_rule_matched_goes_to_triage():
    decision = route(
        [rule(1, all=[c("category", "under", "noise")], lead="housing")], facts(category=("roads",))
    )
    assert decision.to_triage
    assert decision.matched == ()
    assert decision.reasons == ("no place given", "no rule matched: triage at the dispatch centre")


@pytest.mark.parametrize(
    ("lead", "place", "reason"),
    [
        pytest.param("old-housing", NOWHERE, "old-housing is inactive, not chosen", id="named"),
        pytest.param(
            COMMUNITY, EAST_S, "cm-east-s answers for east-s but is inactive", id="territorial"
        ),
        pytest.param("nobody", NOWHERE, "'nobody' is not a known agency", id="unknown"),
    ],
)
def test_inactive_or_unknown_agencies_are_never_chosen(lead, place, reason):
    rules = [rule(1, all=[c("category", "under", "roads")], lead=lead, co=["old-housing", "urban"])]
    with pytest.raises(InvalidRuleSet):
        compile_ruleset(rules, AGENCIES, AREAS)
    decision = route(rules, facts(category=("roads",), place=place), strict=False)
    assert decision.to_triage
    assert decision.co_handlers == ("urban",)
    assert any(reason in r for r in decision.reasons)


def test_deadline_policy_first_rule_wins():
    rules = [
        rule(1, position=10, all=[c("weekday", "in", [5, 6])], deadline="weekend", stop=False),
        rule(
            2, position=20, all=[c("category", "under", "roads")], lead="urban", deadline="normal"
        ),
    ]
    decision = route(rules, facts(category=("roads",), at=SATURDAY_NIGHT))
    assert (decision.lead, decision.deadline_policy) == ("urban", "weekend")


# ------------------------------------------------------------------ determinism and records


def test_same_decision_whatever_the_order_rules_come_in():
    rules = [
        rule(
            1,
            position=10,
            all=[c("keyword", "any", ["噪音"])],
            co=[STREET],
            priority="high",
            stop=False,
        ),
        rule(2, position=20, all=[c("category", "under", "noise")], lead="housing", co=[COMMUNITY]),
        rule(3, position=20, all=[c("keyword", "any", ["施工"])], lead="police", stop=False),
        rule(4, position=5, all=[c("area", "in", "west")], co=[POWER_COMPANY], stop=False),
    ]
    cases = [
        facts(category=("noise",), said="施工噪音", place=WEST_N, at=SATURDAY_NIGHT),
        facts(category=("noise",), said="噪音", place=EAST_N),
        facts(said="施工", place=WEST_S),
        facts(category=("noise",)),
    ]
    expected = [route(rules, spec) for spec in cases]
    rng = random.Random(7)
    for _ in range(10):
        shuffled = rules[:]
        rng.shuffle(shuffled)
        assert [route(shuffled, spec) for spec in cases] == expected
    # (position, id) order: 4, 1, then 2 before 3 (same position); rule 2 stops.
    assert [m.id for m in expected[0].matched] == [4, 1, 2]
    assert expected[0].lead == "housing"
    assert expected[0].co_handlers == ("cm-west-n", "power", "so-west")
    assert expected[0].priority == "high"


def test_decision_details_are_json_with_rules_areas_and_why():
    rules = [
        rule(7, name="施工噪音", all=[c("keyword", "any", ["施工"])], lead="housing", co=[STREET])
    ]
    decision = route(rules, facts(said="夜间施工", place=WEST_S, at=SATURDAY_NIGHT))
    details = json.loads(json.dumps(decision.as_details(), ensure_ascii=False))
    assert details["lead"] == "housing"
    assert details["co_handlers"] == ["so-west"]
    assert details["rule"] == {"id": 7, "name": "施工噪音"}
    assert details["rules"] == [{"id": 7, "name": "施工噪音", "conditions": ["keyword any 施工"]}]
    assert details["areas"] == ["d1", "west", "west-s"]
    assert set(details["why"]) == {"housing", "so-west"}
    assert details["reasons"][0] == "the place is in d1, west, west-s"


def test_index_changes_no_decision():
    rules = [
        rule(
            1,
            all=[c("area", "in", "east"), c("keyword", "all", ["工地", "噪音"])],
            lead="housing",
            position=10,
        ),
        rule(
            2,
            any=[c("category", "is", "noise"), c("keyword", "any", ["噪音"])],
            lead="police",
            position=50,
        ),
        rule(
            3,
            all=[c("channel", "in", ["phone"])],
            none=[c("area", "in", "west")],
            lead="urban",
            position=60,
        ),
    ]
    indexed = compile_ruleset(rules, AGENCIES, AREAS)
    scanned = compile_ruleset(rules, AGENCIES, AREAS, index=False)
    for place in (WEST_N, EAST_N, NOWHERE):
        for said in ("工地噪音", "噪音", "工地", ""):
            for channel in ("web", "phone"):
                for category in ((), ("noise",), ("noise-site", "noise")):
                    f = IssueFacts(category, place[0], place[1], text.keywords(said), channel)
                    assert decide(f, indexed) == decide(f, scanned)


# ------------------------------------------------------------------ areas


def test_area_lookup_handles_holes_multipolygons_and_missing_places():
    outer = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]]
    hole = [[1.0, 1.0], [1.0, 2.0], [2.0, 2.0], [2.0, 1.0], [1.0, 1.0]]
    island = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0], [1.0, 1.0]]
    far = [[10.0, 10.0], [11.0, 10.0], [11.0, 11.0], [10.0, 11.0], [10.0, 10.0]]
    index = AreaIndex(
        [
            AreaShape("ring", "community", {"type": "Polygon", "coordinates": [outer, hole]}),
            AreaShape(
                "islands", "community", {"type": "MultiPolygon", "coordinates": [[island], [far]]}
            ),
            AreaShape("all", "district", rectangle(-1.0, -1.0, 12.0, 12.0)),
        ]
    )
    assert index.containing(0.5, 0.5) == ("all", "ring")
    assert index.containing(1.5, 1.5) == ("all", "islands")
    assert index.containing(10.5, 10.5) == ("all", "islands")
    assert index.containing(7.0, 7.0) == ("all",)
    assert index.containing(50.0, 50.0) == ()
    assert index.containing(None, 1.0) == ()
    assert index.containing(math.nan, math.nan) == ()
    assert index.level_of("ring") == "community"
    assert index.level_of("unknown") is None


def test_repair_merges_overlapping_parts_of_an_invalid_boundary():
    first = rectangle(0.0, 0.0, 2.0, 2.0)["coordinates"]
    second = rectangle(1.0, 1.0, 3.0, 3.0)["coordinates"]
    shapes = [AreaShape("x", "street", {"type": "MultiPolygon", "coordinates": [first, second]})]
    assert AreaIndex(shapes).containing(1.5, 1.5) == ()  # even-odd: the overlap is a hole
    assert AreaIndex(shapes, repair=True).containing(1.5, 1.5) == ("x",)


def test_unreadable_boundaries_and_repeated_codes_are_refused():
    with pytest.raises(ValueError, match="area bad"):
        AreaIndex([AreaShape("bad", "street", {"type": "Point", "coordinates": [0, 0]})])
    with pytest.raises(ValueError, match="duplicate area codes: d1"):
        AreaIndex([AREAS[0], AREAS[0]])


def test_a_point_on_a_shared_border_belongs_to_one_street():
    index = AreaIndex(AREAS)
    on_border = index.containing(116.2, 40.05)
    assert on_border.count("west") + on_border.count("east") == 1
    assert len([code for code in on_border if index.level_of(code) == "community"]) == 1


def test_area_lookup_agrees_with_shapely_strtree():
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import shape

    from bench.worlds import build_world

    world = build_world(rules=60, areas=303, seed=3)
    index = AreaIndex(world.areas)
    geometries = [shape(area.geometry) for area in world.areas]
    tree = shapely.STRtree(geometries)
    rank = {"district": 0, "street": 1, "community": 2}
    rng = random.Random(5)
    lon0, lat0, lon1, lat1 = world.box
    for _ in range(3000):
        lon, lat = rng.uniform(lon0 - 0.01, lon1 + 0.01), rng.uniform(lat0 - 0.01, lat1 + 0.01)
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        expected = sorted((world.areas[i] for i in hits), key=lambda a: (rank[a.level], a.code))
        assert index.containing(lon, lat) == tuple(a.code for a in expected)


# ------------------------------------------------------------------ keywords


@pytest.mark.parametrize(
    ("said", "present", "absent"),
    [
        pytest.param("工地夜间施工噪音", {"工地", "施工", "噪音"}, {"的"}, id="chinese"),
        pytest.param("我的小区停电了", {"小区", "停电"}, {"我", "的", "了"}, id="stop-words"),
        pytest.param(
            "The WiFi in a park is broken",
            {"wifi", "park", "broken"},
            {"the", "a", "in"},
            id="english",
        ),
        pytest.param("ＷｉＦｉ信号差", {"wifi", "信号"}, set(), id="full-width"),
        pytest.param("3月30日 A7县", {"a7"}, {"3", "30", "月"}, id="numbers"),
        pytest.param("", set(), set(), id="empty"),
    ],
)
def test_keywords_of_text(said, present, absent):
    words = text.keywords(said)
    assert present <= words
    assert not (absent & words)


def test_taught_words_are_found_whatever_jieba_makes_of_the_text():
    text.add_words(["夜间施工", "施工", "电", "路灯"])
    words = text.keywords("工地夜间施工，电 坏了，路灯不亮")
    assert {"夜间施工", "施工", "电", "路灯"} <= words  # 电 alone is kept: a rule taught it
    assert "电" not in text.keywords("电话打不通")  # single characters only when cut alone


# ------------------------------------------------------------------ validation


VALID = rule(1, all=[c("category", "under", "noise")], lead="housing", co=[STREET])


@pytest.mark.parametrize(
    ("rules", "rule_id", "field"),
    [
        pytest.param(
            [rule(2, all=[c("colour", "is", "red")], lead="housing")],
            2,
            "conditions.all[0].field",
            id="unknown-field",
        ),
        pytest.param(
            [rule(2, all=[c("category", "in", "noise")], lead="housing")],
            2,
            "conditions.all[0].op",
            id="unknown-operator",
        ),
        pytest.param(
            [rule(2, any=[c("keyword", "any", [])], lead="housing")],
            2,
            "conditions.any[0].value",
            id="empty-value",
        ),
        pytest.param(
            [rule(2, all=[c("keyword", "any", ["的"])], lead="housing")],
            2,
            "conditions.all[0].value",
            id="stop-word",
        ),
        pytest.param(
            [rule(2, all=[c("area", "in", "atlantis")], lead="housing")],
            2,
            "conditions.all[0].value",
            id="unknown-area",
        ),
        pytest.param(
            [rule(2, none=[c("priority", "in", ["asap"])], lead="housing")],
            2,
            "conditions.none[0].value",
            id="unknown-priority-value",
        ),
        pytest.param(
            [rule(2, all=[c("hour", "between", [22, 25])], lead="housing")],
            2,
            "conditions.all[0].value",
            id="hour-out-of-range",
        ),
        pytest.param(
            [rule(2, all=[c("hour", "between", [5, 5])], lead="housing")],
            2,
            "conditions.all[0].value",
            id="hour-ambiguous",
        ),
        pytest.param(
            [rule(2, all=[c("hour", "between", [24, 0])], lead="housing")],
            2,
            "conditions.all[0].value",
            id="hour-empty",
        ),
        pytest.param(
            [rule(2, all=[c("weekday", "in", [7])], lead="housing")],
            2,
            "conditions.all[0].value",
            id="weekday-out-of-range",
        ),
        pytest.param([rule(2, lead="housing")], 2, "conditions", id="empty-condition"),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], lead="nobody")],
            2,
            "actions.lead.agency",
            id="unknown-agency",
        ),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], lead="old-housing")],
            2,
            "actions.lead.agency",
            id="inactive-agency",
        ),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], co=["urban", "nobody"])],
            2,
            "actions.co_handlers[1].agency",
            id="unknown-co-handler",
        ),
        pytest.param([rule(2, all=[c("category", "under", "x")])], 2, "actions", id="no-action"),
        pytest.param(
            [
                rule(
                    2,
                    all=[c("category", "under", "x")],
                    lead=Target("territorial", level="district"),
                )
            ],
            2,
            "actions.lead.level",
            id="territorial-level",
        ),
        pytest.param(
            [
                rule(
                    2,
                    all=[c("category", "under", "x")],
                    lead="urban",
                    co=[Target("serving", kind="aliens")],
                )
            ],
            2,
            "actions.co_handlers[0].kind",
            id="serving-kind",
        ),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], lead=Target("courier"))],
            2,
            "actions.lead.type",
            id="target-type",
        ),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], lead=STREET, co=[STREET])],
            2,
            "actions.co_handlers[0]",
            id="lead-also-co-handler",
        ),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], lead="urban", co=["police", "police"])],
            2,
            "actions.co_handlers[1]",
            id="co-handler-twice",
        ),
        pytest.param(
            [rule(2, all=[c("category", "under", "x")], priority="asap")],
            2,
            "actions.priority",
            id="unknown-priority",
        ),
        pytest.param(
            [VALID, rule(1, all=[c("category", "under", "x")], lead="urban")],
            1,
            "id",
            id="duplicate-id",
        ),
        pytest.param(
            [VALID, rule(2, all=[c("category", "under", "noise")], lead="urban")],
            2,
            "conditions",
            id="unreachable-duplicate",
        ),
        pytest.param(
            [
                VALID,
                rule(
                    2,
                    all=[c("category", "under", "noise"), c("channel", "in", ["web"])],
                    lead="urban",
                ),
            ],
            2,
            "conditions",
            id="unreachable-narrower",
        ),
        pytest.param(
            [VALID, rule(2, all=[c("category", "is", "noise")], lead="urban")],
            2,
            "conditions",
            id="unreachable-is-under",
        ),
        pytest.param(
            [
                rule(3, all=[c("area", "in", "east")], lead="urban", position=1),
                rule(2, all=[c("area", "in", "east-n")], lead="police"),
            ],
            2,
            "conditions",
            id="unreachable-smaller-area",
        ),
        pytest.param(
            [
                rule(3, all=[c("keyword", "any", ["噪音", "扰民"])], lead="urban", position=1),
                rule(2, all=[c("keyword", "all", ["噪音", "工地"])], lead="police"),
            ],
            2,
            "conditions",
            id="unreachable-keywords",
        ),
    ],
)
def test_validation_names_the_rule_and_field(rules, rule_id, field):
    problems = validate(rules, AGENCIES, AREAS)
    assert (rule_id, field) in {(p.rule_id, p.field) for p in problems}, problems
    with pytest.raises(InvalidRuleSet) as raised:
        compile_ruleset(rules, AGENCIES, AREAS)
    assert raised.value.problems == tuple(problems)


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param([VALID], id="one-rule"),
        pytest.param(
            [
                VALID,
                rule(
                    2, all=[c("category", "under", "noise")], lead="urban", position=1, stop=False
                ),
            ],
            id="earlier-rule-continues",
        ),
        pytest.param(
            [VALID, rule(2, all=[c("category", "under", "roads")], lead="urban")],
            id="different-categories",
        ),
        pytest.param(
            [
                rule(3, all=[c("keyword", "all", ["噪音", "工地"])], lead="urban", position=1),
                rule(2, all=[c("keyword", "any", ["噪音", "扰民"])], lead="police"),
            ],
            id="narrower-rule-first",
        ),
    ],
)
def test_valid_rule_sets_have_no_problems(rules):
    assert validate(rules, AGENCIES, AREAS) == []


def test_rule_json_round_trip():
    rules = [
        VALID,
        rule(
            9,
            name="夜间施工",
            all=[c("hour", "between", [22, 6]), c("keyword", "all", ["夜间施工", "噪音"])],
            any=[c("channel", "in", ["phone", "app"]), c("weekday", "in", [5, 6])],
            none=[c("area", "in", "west")],
            lead=Target("serving", kind="enterprise_partner"),
            co=[COMMUNITY, "police"],
            priority="urgent",
            deadline="night",
            stop=False,
            position=3,
        ),
    ]
    for spec in rules:
        assert RuleSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


# ------------------------------------------------------------------ the benchmark's city


def test_generated_city_is_valid_and_every_issue_is_routed_or_triaged():
    from bench import worlds

    world = worlds.build_world(rules=200, areas=303, seed=11)
    assert len(world.rules) == 200
    assert len(world.areas) == 303
    assert validate(world.rules, world.agencies, world.areas) == []
    ruleset = compile_ruleset(world.rules, world.agencies, world.areas)
    active = {a.code for a in world.agencies if a.active}
    rng = random.Random(2)
    routed = 0
    for item in worlds.generated_texts(300, seed=2):
        lon, lat = worlds.random_place(rng, world)
        issue = IssueFacts(
            category_path=worlds.random_category(rng, world, item.top),
            lon=lon,
            lat=lat,
            keywords=text.keywords(item.text),
            channel=worlds.weighted(rng, worlds.CHANNELS),
            submitted_at=worlds.random_time(rng),
        )
        decision = decide(issue, ruleset)
        assert decision.lead in active or (decision.to_triage and decision.reasons)
        routed += not decision.to_triage
    assert routed > 150  # the rules route most of what residents write


def test_benchmark_prints_its_figures_as_json_last(capsys):
    from bench import routing

    routing.main(["--rules", "120", "--areas", "303", "--decisions", "400", "--texts", "40"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"decisions_per_second", "rules", "areas", "p99_us", "compile_seconds"} <= set(result)
    assert (result["rules"], result["areas"], result["decisions"]) == (120, 303, 400)
