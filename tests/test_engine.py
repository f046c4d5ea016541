"""The pure routing engine: plain facts and rules in, a decision with its reasons out.

No database, no Django: every test here builds frozen dataclasses and calls ``decide``.
"""

from __future__ import annotations

import ast
import itertools
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordination.routing import Decision, IssueFacts, Rule, decide

ROUTING_DIR = Path(__file__).resolve().parent.parent / "coordination" / "routing"
FORBIDDEN_TOP_LEVEL = {"django", "celery", "kombu", "rest_framework"}


def rule(rule_id: int, category: str, lead: str, **kwargs) -> Rule:
    return Rule(id=rule_id, name=f"rule {rule_id}", category=category, lead=lead, **kwargs)


# ------------------------------------------------------------------ which rule covers


@pytest.mark.parametrize(
    ("path", "rules", "expected_lead"),
    [
        pytest.param(("noise",), [rule(1, "noise", "env")], "env", id="exact-category"),
        pytest.param(("night-noise", "noise"), [rule(1, "noise", "env")], "env", id="sub-category"),
        pytest.param(
            ("night-noise", "noise", "city"),
            [rule(1, "city", "urban")],
            "urban",
            id="grand-child-category",
        ),
        pytest.param(
            ("night-noise", "noise"),
            [rule(1, "noise", "env", include_subcategories=False)],
            None,
            id="sub-category-not-covered-when-excluded",
        ),
        pytest.param(
            ("noise",),
            [rule(1, "noise", "env", include_subcategories=False)],
            "env",
            id="exact-category-covered-when-subcategories-excluded",
        ),
        pytest.param(
            ("noise",), [rule(1, "night-noise", "police")], None, id="child-rule-not-parent"
        ),
        pytest.param(("noise",), [rule(1, "water", "water-co")], None, id="other-category"),
        pytest.param(("noise",), [], None, id="no-rules"),
        pytest.param((), [rule(1, "noise", "env")], None, id="no-category"),
        pytest.param(
            ("night-noise", "noise"),
            [
                rule(1, "noise", "env", include_subcategories=False, position=1),
                rule(2, "noise", "street", position=2),
            ],
            "street",
            id="skips-a-rule-that-excludes-sub-categories",
        ),
    ],
)
def test_rule_covers_the_category_path(path, rules, expected_lead):
    decision = decide(IssueFacts(category_path=path), rules)

    assert decision.lead == expected_lead
    assert decision.to_triage is (expected_lead is None)
    assert decision.reasons


MATCHING_RULES = [
    rule(1, "other", "nobody", position=1),  # earliest, but does not cover the category
    rule(2, "noise", "late", position=30),  # lowest matching id, but a later position
    rule(3, "noise", "winner", position=10),  # position 10, lowest id of the tie: wins
    rule(5, "noise", "tie-loser", position=10),  # position 10, higher id
]


@pytest.mark.parametrize(
    "rules",
    [list(p) for p in itertools.permutations(MATCHING_RULES)],
    ids=lambda rules: "-".join(str(r.id) for r in rules),
)
def test_first_rule_by_position_then_id_wins_regardless_of_input_order(rules):
    decision = decide(IssueFacts(category_path=("noise",)), rules)

    assert decision.lead == "winner"
    assert decision.rule_id == 3
    assert decision.rule_name == "rule 3"


@pytest.mark.parametrize(
    ("lead", "co_handlers", "expected"),
    [
        (
            "street",
            ("police", "street", "env", "police", "env"),
            ("police", "env"),
        ),
        ("street", ("street",), ()),
        ("street", (), ()),
        ("street", ("a", "b", "c"), ("a", "b", "c")),
    ],
)
def test_co_handlers_are_deduplicated_and_exclude_the_lead(lead, co_handlers, expected):
    decision = decide(
        IssueFacts(category_path=("noise",)),
        [rule(1, "noise", lead, co_handlers=co_handlers)],
    )

    assert decision.lead == lead
    assert decision.co_handlers == expected


@pytest.mark.parametrize(
    ("path", "reason_mentions"),
    [
        ((), "no category"),
        (("unknown-category",), "unknown-category"),
        (("unknown-child", "unknown-parent"), "unknown-child"),
    ],
)
def test_issue_no_rule_covers_goes_to_triage_with_a_reason(path, reason_mentions):
    decision = decide(IssueFacts(category_path=path), [rule(1, "noise", "env")])

    assert decision.to_triage
    assert decision.lead is None
    assert decision.co_handlers == ()
    assert decision.rule_id is None
    assert len(decision.reasons) >= 1
    assert any(reason_mentions in reason for reason in decision.reasons)


def test_routed_decision_gives_the_matching_rule_as_its_reason():
    decision = decide(IssueFacts(category_path=("night-noise", "noise")), [rule(4, "noise", "env")])

    assert any("rule 4" in reason and "noise" in reason for reason in decision.reasons)
    assert any("env" in reason for reason in decision.reasons)


# ----------------------------------------------------------------------- as_details


def test_routed_decision_details_are_json_and_name_the_rule():
    decision = decide(
        IssueFacts(category_path=("noise",)),
        [Rule(id=12, name="噪声 → 环保局", category="noise", lead="env", co_handlers=("police",))],
    )

    details = decision.as_details()

    assert json.loads(json.dumps(details)) == details
    assert details["rule"] == {"id": 12, "name": "噪声 → 环保局"}
    assert details["lead"] == "env"
    assert details["co_handlers"] == ["police"]
    assert details["reasons"] == list(decision.reasons)


def test_triage_decision_details_are_json_and_name_no_rule():
    details = decide(IssueFacts(category_path=("noise",)), []).as_details()

    assert json.loads(json.dumps(details)) == details
    assert details["rule"] is None
    assert details["lead"] is None
    assert details["reasons"]


# ---------------------------------------------------------------- properties (hypothesis)

CODES = ["a", "b", "c", "d", "e"]
AGENCIES = ["env", "police", "street", "water", "power"]

facts_strategy = st.builds(
    IssueFacts,
    category_path=st.lists(st.sampled_from(CODES), max_size=3, unique=True).map(tuple),
    priority=st.sampled_from(["low", "normal", "high", "urgent"]),
    channel=st.sampled_from(["web", "phone", "api"]),
)


@st.composite
def rules_strategy(draw):
    ids = draw(st.lists(st.integers(min_value=1, max_value=10_000), max_size=8, unique=True))
    return [
        Rule(
            id=rule_id,
            name=f"rule {rule_id}",
            category=draw(st.sampled_from(CODES)),
            lead=draw(st.sampled_from(AGENCIES)),
            co_handlers=tuple(draw(st.lists(st.sampled_from(AGENCIES), max_size=4))),
            include_subcategories=draw(st.booleans()),
            position=draw(st.integers(min_value=0, max_value=3)),  # small range: many ties
        )
        for rule_id in ids
    ]


@given(facts=facts_strategy, rules=rules_strategy(), seed=st.integers())
def test_decision_is_the_same_for_any_order_of_the_rules(facts, rules, seed):
    shuffled = list(rules)
    random.Random(seed).shuffle(shuffled)

    assert decide(facts, shuffled) == decide(facts, rules)
    assert decide(facts, rules) == decide(facts, rules)


@given(facts=facts_strategy, rules=rules_strategy())
def test_decision_has_a_lead_or_goes_to_triage_with_a_reason(facts, rules):
    decision = decide(facts, rules)

    assert isinstance(decision, Decision)
    assert len(decision.reasons) >= 1
    if decision.lead is None:
        assert decision.to_triage
        assert decision.rule_id is None
    else:
        assert not decision.to_triage
        chosen = next(r for r in rules if r.id == decision.rule_id)
        assert chosen.lead == decision.lead
        assert decision.lead not in decision.co_handlers
        assert len(set(decision.co_handlers)) == len(decision.co_handlers)
    json.dumps(decision.as_details())


# ------------------------------------------------------------------------- purity


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    """(module name, relative level) for every import statement in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_routing_package_imports_nothing_from_django_celery_or_drf():
    files = sorted(ROUTING_DIR.rglob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "engine.py"}

    offending = []
    for path in files:
        for module, level in _imported_modules(path):
            top = module.split(".")[0]
            if level == 0 and top in FORBIDDEN_TOP_LEVEL:
                offending.append(f"{path.name}: {module}")
            # ``from .. import x`` would reach the Django app around the engine.
            if level > 1:
                offending.append(f"{path.name}: {'.' * level}{module}")
            if (
                level == 0
                and top == "coordination"
                and not module.startswith("coordination.routing")
            ):
                offending.append(f"{path.name}: {module}")

    assert offending == []
