"""The demo city's routing rules, published as the active version."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser

from coordination.rules.models import RuleSet
from coordination.rules.services import rule_save, ruleset_draft_create, ruleset_publish


class RuleSeed(NamedTuple):
    """A rule of the demo's first rule set, in the routing engine's JSON."""

    name: str
    position: int
    conditions: dict[str, list[dict[str, Any]]]
    actions: dict[str, Any]


def _category_rule(
    name: str, category: str, lead: str, co_handlers: tuple[str, ...] = (), position: int = 100
) -> RuleSeed:
    """The common rule: a category and its children go to a named lead and co-handlers."""
    return RuleSeed(
        name,
        position,
        {"all": [{"field": "category", "op": "under", "value": category}]},
        {
            "lead": {"type": "agency", "agency": lead},
            "co_handlers": [{"type": "agency", "agency": code} for code in co_handlers],
            "stop": True,
        },
    )


STREET = {"type": "territorial", "level": "street"}
COMMUNITY = {"type": "territorial", "level": "community"}

# Specific rules first; a rule on a top-level category, further down, catches the rest of its
# children. 其他 (other) and 邻里纠纷 (a neighbours' dispute: whose street is it?) have no
# rule: the dispatch centre triages them. The first rules show what the engine can do beyond
# "category → organisation": keywords, the territory of the place (属地), and rules that add
# to a decision and let later rules continue.
# fmt: off
RULES: tuple[RuleSeed, ...] = (
    RuleSeed("危险情况：紧急", 1,
             {"any": [{"field": "keyword", "op": "any",
                       "value": ["燃气", "煤气", "漏气", "火灾", "起火", "塌陷", "gas", "fire"]}]},
             {"priority": "urgent", "stop": False}),
    RuleSeed("工地噪声：住建主办，属地街道协办", 5,
             {"all": [{"field": "category", "op": "under", "value": "noise"},
                      {"field": "keyword", "op": "any",
                       "value": ["工地", "施工", "打桩", "渣土", "construction"]}]},
             {"lead": {"type": "agency", "agency": "housing"},
              "co_handlers": [STREET, {"type": "agency", "agency": "police"}], "stop": True}),
    _category_rule("路灯损坏：城管主办", "street-light", "urban", ("power",), 10),
    _category_rule("垃圾清运：城管主办", "garbage-collection", "urban", ("property",), 20),
    _category_rule("占道经营：城管主办", "street-vending", "urban", (), 30),
    _category_rule("餐饮油烟：生态环境主办", "cooking-fumes", "env", ("urban",), 40),
    RuleSeed("夜间施工噪声：住建主办，属地街道协办", 50,
             {"all": [{"field": "category", "op": "under", "value": "construction-noise-night"}]},
             {"lead": {"type": "agency", "agency": "housing"},
              "co_handlers": [STREET, {"type": "agency", "agency": "police"}], "stop": True}),
    _category_rule("社会生活噪声：公安主办", "neighbourhood-noise", "police", (), 60),
    _category_rule("商业经营噪声：生态环境主办", "business-noise", "env", ("urban",), 70),
    _category_rule("违章停车：公安主办", "illegal-parking", "police", ("transport",), 80),
    _category_rule("拖欠工资：人社主办", "unpaid-wages", "hrss", ("trade-union",), 90),
    RuleSeed("物业纠纷：物业公司主办，属地社区协办", 100,
             {"all": [{"field": "category", "op": "under", "value": "property-dispute"}]},
             {"lead": {"type": "agency", "agency": "property"},
              "co_handlers": [COMMUNITY, {"type": "agency", "agency": "housing"}],
              "stop": True}),
    _category_rule("消防通道堵塞：公安主办", "fire-lane-blocked", "police", ("property",), 110),
    _category_rule("电梯故障：市场监管主办", "lift-failure", "market", ("property",), 120),
    _category_rule("停电：供电公司主办", "power-cut", "power", (), 130),
    _category_rule("停水：水务主办", "water-cut", "water", (), 140),
    _category_rule("供暖不热：住建主办", "heating", "housing", ("property",), 150),
    _category_rule("食品安全：市场监管主办", "food-safety", "market", ("health",), 160),
    _category_rule("校外培训：教育主办", "tutoring", "education", ("market",), 170),
    _category_rule("青少年服务：团区委主办", "youth-services", "youth-league", ("education",), 180),
    _category_rule("妇女儿童权益：妇联主办", "women-children", "womens-federation", (), 190),
    _category_rule("志愿服务：党建办主办", "volunteering", "party", ("youth-league",), 200),
    RuleSeed("道路破损：交通主办，属地街道协办", 210,
             {"all": [{"field": "category", "op": "under", "value": "road-damage"}]},
             {"lead": {"type": "agency", "agency": "transport"}, "co_handlers": [STREET],
              "stop": True}),
    _category_rule("交通出行：交通主办", "traffic", "transport", (), 900),
    _category_rule("劳动保障：人社主办", "labour", "hrss", (), 910),
    _category_rule("住房建设：住建主办", "housing-building", "housing", (), 920),
    _category_rule("市场监管：市场监管主办", "market-order", "market", (), 930),
    _category_rule("医疗卫生：卫健主办", "health-care", "health", (), 940),
    _category_rule("教育：教育主办", "schooling", "education", (), 950),
)
# fmt: on

# Shown first in the table of logins: one of each kind of user worth trying.


def seed_rules(actor: AbstractBaseUser) -> tuple[RuleSet, int]:
    """The first rule set, published; left alone once any rule set exists.

    Administrators change routing by publishing new versions: seeding again must never undo
    what they published.
    """
    existing = RuleSet.objects.order_by("version").first()
    if existing is not None:
        return existing, 0
    draft = ruleset_draft_create(actor=actor, title="清河市演示规则 · Qinghe demo rules")
    for seed in RULES:
        rule_save(
            ruleset=draft,
            name=seed.name,
            position=seed.position,
            conditions=seed.conditions,
            actions=seed.actions,
        )
    return ruleset_publish(ruleset_id=draft.pk, actor=actor, note="seed_demo"), len(RULES)
