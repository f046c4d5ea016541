"""Load the demo city, 清河市 (Qinghe City), with everything needed to try the platform.

The city is fictional and written for this project. One district of three streets, each of two
communities; the organisations of a 12345 hotline (dispatch centre, government departments,
street offices and communities, party and mass organisations, enterprise partners); a
two-level category tree with Open311 service codes; deadline policies; routing rules; and a
login for every organisation.

Running the command again changes nothing: every row is looked up by its natural key (code,
username, rule name, or category and priority) and written only when it differs from the
data below. Passwords are set when a user is created, or for every demo user with
``--reset-passwords``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.utils.translation import gettext as _

from agencies.geometry import rectangle
from agencies.models import Agency, Area, Membership
from agencies.services import agency_group, membership_set
from coordination.models import CalendarDay, RuleSet, SLAPolicy
from coordination.rulesets import rule_save, ruleset_draft_create, ruleset_publish
from issues.models import Category, CategoryQuestion, Issue

M = TypeVar("M", bound=models.Model)

# ------------------------------------------------------------------------------- the data
# The tables are laid out by hand, a row or two per entry, out of the formatter's way.


class AreaSeed(NamedTuple):
    code: str
    level: str
    parent: str | None
    name_zh: str
    name_en: str
    bbox: tuple[float, float, float, float]  # west, south, east, north


# The district is a box of 0.20° by 0.15°. Hexi takes its western strip; Beiyuan and Hedong
# share the rest, north and south of 39.93° N. Each street is cut in two communities, so the
# areas of one level tile their parent without gaps or overlaps.
# fmt: off
AREAS: tuple[AreaSeed, ...] = (
    AreaSeed("qinghe", "district", None, "清河区", "Qinghe District",
             (116.30, 39.85, 116.50, 40.00)),
    AreaSeed("hexi", "street", "qinghe", "河西街道", "Hexi Subdistrict",
             (116.30, 39.85, 116.38, 40.00)),
    AreaSeed("beiyuan", "street", "qinghe", "北苑街道", "Beiyuan Subdistrict",
             (116.38, 39.93, 116.50, 40.00)),
    AreaSeed("hedong", "street", "qinghe", "河东街道", "Hedong Subdistrict",
             (116.38, 39.85, 116.50, 39.93)),
    AreaSeed("liuyin", "community", "hexi", "柳荫社区", "Liuyin Community",
             (116.30, 39.85, 116.38, 39.925)),
    AreaSeed("hetang", "community", "hexi", "荷塘社区", "Hetang Community",
             (116.30, 39.925, 116.38, 40.00)),
    AreaSeed("songlin", "community", "beiyuan", "松林社区", "Songlin Community",
             (116.38, 39.93, 116.44, 40.00)),
    AreaSeed("fengqiao", "community", "beiyuan", "枫桥社区", "Fengqiao Community",
             (116.44, 39.93, 116.50, 40.00)),
    AreaSeed("binhe", "community", "hedong", "滨河社区", "Binhe Community",
             (116.38, 39.85, 116.44, 39.93)),
    AreaSeed("xinqiao", "community", "hedong", "新桥社区", "Xinqiao Community",
             (116.44, 39.85, 116.50, 39.93)),
)
# fmt: on


class AgencySeed(NamedTuple):
    code: str
    kind: str
    name_zh: str
    name_en: str
    area: str | None = "qinghe"
    parent: str | None = None


K = Agency.Kind

# Parents come before their children: a row may name an agency above it as its parent.
# fmt: off
AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed("dispatch", K.DISPATCH_CENTRE, "12345市民服务热线派单中心",
               "12345 Citizen Service Hotline Dispatch Centre"),
    # Government departments of the district.
    AgencySeed("housing", K.GOVERNMENT_DEPARTMENT, "清河区住房和城乡建设局",
               "Qinghe Housing and Urban-Rural Development Bureau"),
    AgencySeed("urban", K.GOVERNMENT_DEPARTMENT, "清河区城市管理局",
               "Qinghe City Management Bureau"),
    AgencySeed("env", K.GOVERNMENT_DEPARTMENT, "清河区生态环境局",
               "Qinghe Ecology and Environment Bureau"),
    AgencySeed("transport", K.GOVERNMENT_DEPARTMENT, "清河区交通运输局",
               "Qinghe Transport Bureau"),
    AgencySeed("hrss", K.GOVERNMENT_DEPARTMENT, "清河区人力资源和社会保障局",
               "Qinghe Human Resources and Social Security Bureau"),
    AgencySeed("market", K.GOVERNMENT_DEPARTMENT, "清河区市场监督管理局",
               "Qinghe Market Regulation Administration"),
    AgencySeed("health", K.GOVERNMENT_DEPARTMENT, "清河区卫生健康委员会",
               "Qinghe Health Commission"),
    AgencySeed("education", K.GOVERNMENT_DEPARTMENT, "清河区教育局",
               "Qinghe Education Bureau"),
    AgencySeed("water", K.GOVERNMENT_DEPARTMENT, "清河区水务局",
               "Qinghe Water Authority"),
    AgencySeed("police", K.GOVERNMENT_DEPARTMENT, "清河区公安分局",
               "Qinghe Public Security Bureau"),
    # Street offices answer for their street (属地), communities for theirs.
    AgencySeed("street-west", K.STREET_OFFICE, "河西街道办事处",
               "Hexi Subdistrict Office", area="hexi"),
    AgencySeed("street-north", K.STREET_OFFICE, "北苑街道办事处",
               "Beiyuan Subdistrict Office", area="beiyuan"),
    AgencySeed("street-east", K.STREET_OFFICE, "河东街道办事处",
               "Hedong Subdistrict Office", area="hedong"),
    AgencySeed("community-liuyin", K.COMMUNITY, "柳荫社区居民委员会",
               "Liuyin Community Residents' Committee", area="liuyin", parent="street-west"),
    AgencySeed("community-hetang", K.COMMUNITY, "荷塘社区居民委员会",
               "Hetang Community Residents' Committee", area="hetang", parent="street-west"),
    AgencySeed("community-songlin", K.COMMUNITY, "松林社区居民委员会",
               "Songlin Community Residents' Committee", area="songlin", parent="street-north"),
    AgencySeed("community-fengqiao", K.COMMUNITY, "枫桥社区居民委员会",
               "Fengqiao Community Residents' Committee", area="fengqiao", parent="street-north"),
    AgencySeed("community-binhe", K.COMMUNITY, "滨河社区居民委员会",
               "Binhe Community Residents' Committee", area="binhe", parent="street-east"),
    AgencySeed("community-xinqiao", K.COMMUNITY, "新桥社区居民委员会",
               "Xinqiao Community Residents' Committee", area="xinqiao", parent="street-east"),
    # Bodies outside government that the dispatcher brings in (external coordination).
    AgencySeed("party", K.PARTY_ORGANISATION, "中共清河区委党建工作办公室",
               "Party Building Office, CPC Qinghe District Committee"),
    AgencySeed("youth-league", K.MASS_ORGANISATION, "共青团清河区委",
               "Communist Youth League Qinghe District Committee"),
    AgencySeed("womens-federation", K.MASS_ORGANISATION, "清河区妇女联合会",
               "Qinghe District Women's Federation"),
    AgencySeed("trade-union", K.MASS_ORGANISATION, "清河区总工会",
               "Qinghe District Federation of Trade Unions"),
    AgencySeed("power", K.ENTERPRISE_PARTNER, "国网清河供电公司",
               "State Grid Qinghe Power Supply Company"),
    # The property company manages the housing estates of Hedong.
    AgencySeed("property", K.ENTERPRISE_PARTNER, "清河物业管理有限公司",
               "Qinghe Property Management Co., Ltd.", area="hedong"),
)
# fmt: on


class CategorySeed(NamedTuple):
    code: str
    parent: str | None
    service_code: str
    name_zh: str
    name_en: str
    description: str


# Open311 service codes: ``NNN`` for a top-level category, ``NNN-NN`` for its children.
# fmt: off
CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed("city-appearance", None, "001", "市容环境", "City appearance",
                 "街面设施、环境卫生与市容秩序。"),
    CategorySeed("street-light", "city-appearance", "001-01", "路灯损坏", "Broken street light",
                 "路灯不亮、常亮或灯杆损坏。"),
    CategorySeed("garbage-collection", "city-appearance", "001-02", "垃圾清运",
                 "Rubbish collection", "垃圾未及时清运、垃圾桶满溢。"),
    CategorySeed("street-vending", "city-appearance", "001-03", "占道经营",
                 "Street vending on the pavement", "商贩占用道路、人行道经营。"),
    CategorySeed("cooking-fumes", "city-appearance", "001-04", "餐饮油烟", "Cooking fumes",
                 "餐馆油烟直排、扰民。"),

    CategorySeed("noise", None, "002", "噪声扰民", "Noise nuisance",
                 "各类噪声影响居民休息。"),
    CategorySeed("construction-noise-night", "noise", "002-01", "夜间施工噪声",
                 "Construction noise at night", "晚十点至早六点施工作业噪声。"),
    CategorySeed("neighbourhood-noise", "noise", "002-02", "社会生活噪声",
                 "Neighbourhood noise", "广场舞、聚会、宠物等生活噪声。"),
    CategorySeed("business-noise", "noise", "002-03", "商业经营噪声", "Noise from businesses",
                 "商铺音响、空调外机等经营噪声。"),

    CategorySeed("traffic", None, "003", "交通出行", "Transport",
                 "道路、公交与停车。"),
    CategorySeed("illegal-parking", "traffic", "003-01", "违章停车", "Illegal parking",
                 "车辆违停、堵塞道路或出入口。"),
    CategorySeed("road-damage", "traffic", "003-02", "道路破损", "Damaged road",
                 "路面坑洼、井盖缺失。"),
    CategorySeed("bus-service", "traffic", "003-03", "公交服务", "Bus service",
                 "公交线路、站点与班次。"),

    CategorySeed("labour", None, "004", "劳动保障", "Labour and social security",
                 "工资、劳动合同与社会保险。"),
    CategorySeed("unpaid-wages", "labour", "004-01", "拖欠工资", "Unpaid wages",
                 "用人单位拖欠、克扣工资。"),
    CategorySeed("social-insurance", "labour", "004-02", "社会保险", "Social insurance",
                 "社保缴纳、转移与待遇。"),

    CategorySeed("housing-building", None, "005", "住房建设", "Housing and building",
                 "住宅小区、房屋与物业。"),
    CategorySeed("property-dispute", "housing-building", "005-01", "物业纠纷",
                 "Dispute with the property manager", "物业服务、收费与维修纠纷。"),
    CategorySeed("fire-lane-blocked", "housing-building", "005-02", "消防通道堵塞",
                 "Blocked fire lane", "小区消防通道被车辆或杂物占用。"),
    CategorySeed("lift-failure", "housing-building", "005-03", "电梯故障", "Lift out of order",
                 "住宅电梯停运、困人或存在隐患。"),
    CategorySeed("building-safety", "housing-building", "005-04", "房屋安全隐患",
                 "Unsafe building", "墙体开裂、外立面脱落等。"),

    CategorySeed("utilities", None, "006", "公用设施", "Utilities",
                 "供电、供水与供暖。"),
    CategorySeed("power-cut", "utilities", "006-01", "停电", "Power cut",
                 "居民或街面停电、电压不稳。"),
    CategorySeed("water-cut", "utilities", "006-02", "停水", "Water supply cut",
                 "停水、水压低或水质异常。"),
    CategorySeed("heating", "utilities", "006-03", "供暖不热", "Heating not warm enough",
                 "供暖季室温不达标。"),

    CategorySeed("market-order", None, "007", "市场监管", "Market regulation",
                 "食品、价格与商品质量。"),
    CategorySeed("food-safety", "market-order", "007-01", "食品安全", "Food safety",
                 "过期变质食品、无证餐饮。"),
    CategorySeed("overcharging", "market-order", "007-02", "价格欺诈", "Overcharging",
                 "不明码标价、价格欺诈。"),
    CategorySeed("product-quality", "market-order", "007-03", "商品质量", "Product quality",
                 "假冒伪劣商品。"),

    CategorySeed("health-care", None, "008", "医疗卫生", "Health",
                 "医疗服务与公共卫生。"),
    CategorySeed("medical-service", "health-care", "008-01", "医疗服务", "Medical services",
                 "医院服务态度、挂号与收费。"),
    CategorySeed("pest-control", "health-care", "008-02", "病媒生物防制", "Pest control",
                 "老鼠、蚊虫、蟑螂孳生。"),

    CategorySeed("schooling", None, "009", "教育", "Education",
                 "入学与校外培训。"),
    CategorySeed("school-enrolment", "schooling", "009-01", "入学入托",
                 "School and nursery places", "学位、划片与入园。"),
    CategorySeed("tutoring", "schooling", "009-02", "校外培训", "Private tutoring",
                 "校外培训机构违规办学、退费。"),

    CategorySeed("community-services", None, "010", "社区服务", "Community services",
                 "社区、青年、妇女儿童与志愿服务。"),
    CategorySeed("youth-services", "community-services", "010-01", "青少年服务",
                 "Services for young people", "青少年活动、就业与心理支持。"),
    CategorySeed("women-children", "community-services", "010-02", "妇女儿童权益",
                 "Rights of women and children", "家庭暴力、妇女儿童权益保护。"),
    CategorySeed("volunteering", "community-services", "010-03", "志愿服务", "Volunteering",
                 "党员和青年志愿服务需求。"),
    CategorySeed("neighbour-dispute", "community-services", "010-04", "邻里纠纷",
                 "Dispute between neighbours", "漏水、占用公共空间等邻里矛盾。"),

    CategorySeed("other", None, "099", "其他", "Other",
                 "其他类别未涵盖的诉求。"),
)
# fmt: on


class SLASeed(NamedTuple):
    category: str | None
    priority: str
    response_hours: int
    resolution_hours: int
    round_the_clock: bool = False


P = Issue.Priority

SLA_POLICIES: tuple[SLASeed, ...] = (
    SLASeed(None, "", 2, 72),  # the city's default terms
    SLASeed(None, P.URGENT, 1, 24, round_the_clock=True),  # danger does not wait for Monday
    SLASeed(None, P.HIGH, 2, 48),
    SLASeed("power-cut", "", 1, 24),
    SLASeed("water-cut", "", 1, 24),
    SLASeed("fire-lane-blocked", "", 1, 12),
    SLASeed("unpaid-wages", "", 4, 240),  # a wage case takes mediation, sometimes arbitration
)


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
FEATURED_LOGINS: tuple[str, ...] = (
    "admin",
    "dispatcher",
    "staff_housing",
    "manager_housing",
    "staff_street-east",
    "staff_community-binhe",
    "staff_power",
    "staff_youth-league",
    "resident",
)


class Login(NamedTuple):
    username: str
    role: str
    organisation: str


# ------------------------------------------------------------------------------ the writing


def _upsert(model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[M, bool]:
    """The row ``lookup`` finds, created or brought in line with ``values``; True if new.

    Unlike ``update_or_create`` this validates the row (``full_clean``) and does not write
    a row that already matches, so a second run leaves every seeded row as it was.
    """
    row = model._default_manager.filter(**lookup).first()
    created = row is None
    if row is None:
        row = model(**lookup)
    if created or any(getattr(row, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(row, field, value)
        row.full_clean()
        row.save()
    return row, created


def seed_areas() -> tuple[dict[str, Area], int]:
    areas: dict[str, Area] = {}
    created = 0
    for seed in AREAS:
        area, new = _upsert(
            Area,
            lookup={"code": seed.code},
            values={
                "level": seed.level,
                "parent": areas[seed.parent] if seed.parent else None,
                "name_zh": seed.name_zh,
                "name_en": seed.name_en,
                "geometry": rectangle(*seed.bbox),
            },
        )
        areas[seed.code] = area
        created += new
    return areas, created


def seed_agencies(areas: dict[str, Area]) -> tuple[dict[str, Agency], int]:
    """Every organisation, each with its permission group."""
    agencies: dict[str, Agency] = {}
    created = 0
    for seed in AGENCIES:
        agency, new = _upsert(
            Agency,
            lookup={"code": seed.code},
            values={
                "kind": seed.kind,
                "name_zh": seed.name_zh,
                "name_en": seed.name_en,
                "area": areas[seed.area] if seed.area else None,
                "parent": agencies[seed.parent] if seed.parent else None,
                "active": True,
            },
        )
        agency_group(agency=agency)
        agencies[seed.code] = agency
        created += new
    return agencies, created


def seed_categories() -> tuple[dict[str, Category], int]:
    categories: dict[str, Category] = {}
    created = 0
    for seed in CATEGORIES:
        category, new = _upsert(
            Category,
            lookup={"code": seed.code},
            values={
                "parent": categories[seed.parent] if seed.parent else None,
                "service_code": seed.service_code,
                "name_zh": seed.name_zh,
                "name_en": seed.name_en,
                "description": seed.description,
                "active": True,
            },
        )
        categories[seed.code] = category
        created += new
    return categories, created


def seed_sla_policies(categories: dict[str, Category]) -> tuple[list[SLAPolicy], int]:
    policies: list[SLAPolicy] = []
    created = 0
    for seed in SLA_POLICIES:
        policy, new = _upsert(
            SLAPolicy,
            lookup={
                "category": categories[seed.category] if seed.category else None,
                "priority": seed.priority,
            },
            values={
                "response_hours": seed.response_hours,
                "resolution_hours": seed.resolution_hours,
                "round_the_clock": seed.round_the_clock,
            },
        )
        policies.append(policy)
        created += new
    return policies, created


# Questions asked of residents in some categories (Open311 service attributes).
QUESTIONS: tuple[dict[str, Any], ...] = (
    {
        "category": "noise",
        "code": "source",
        "order": 1,
        "required": True,
        "question_zh": "噪声来自哪里？",
        "question_en": "Where does the noise come from?",
        "datatype": "singlevaluelist",
        "values": [
            {"key": "site", "name": "工地 Building site"},
            {"key": "shop", "name": "商铺 Shop or restaurant"},
            {"key": "home", "name": "住户 A home"},
            {"key": "street", "name": "街道 The street"},
        ],
    },
    {
        "category": "power-cut",
        "code": "extent",
        "order": 1,
        "required": False,
        "question_zh": "停电范围？",
        "question_en": "How far does the power cut reach?",
        "datatype": "singlevaluelist",
        "values": [
            {"key": "home", "name": "我家 My home"},
            {"key": "building", "name": "整栋楼 The building"},
            {"key": "area", "name": "整片区域 The whole area"},
        ],
    },
)


def seed_questions(categories: dict[str, Category]) -> tuple[list[CategoryQuestion], int]:
    rows: list[CategoryQuestion] = []
    created = 0
    for seed in QUESTIONS:
        values = {k: v for k, v in seed.items() if k not in ("category", "code")}
        row, new = _upsert(
            CategoryQuestion,
            lookup={"category": categories[seed["category"]], "code": seed["code"]},
            values=values,
        )
        rows.append(row)
        created += new
    return rows, created


# Days the working calendar treats specially; an administrator keeps the year's list in the
# admin (公休 and 调休 as the State Council announces them).
CALENDAR_DAYS: tuple[tuple[str, str, str], ...] = (
    ("2027-01-01", CalendarDay.Kind.HOLIDAY, "元旦 New Year's Day"),
)


def seed_calendar() -> tuple[list[CalendarDay], int]:
    days: list[CalendarDay] = []
    created = 0
    for day, kind, name in CALENDAR_DAYS:
        row, new = _upsert(CalendarDay, lookup={"date": day}, values={"kind": kind, "name": name})
        days.append(row)
        created += new
    return days, created


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


class _Passwords:
    """One hash of the demo password, made on first need and shared by every demo user.

    Hashing is slow on purpose (PBKDF2); doing it once instead of fifty times keeps the
    command fast. The shared salt costs nothing here: the password is printed on screen.
    """

    def __init__(self, password: str) -> None:
        self._password = password
        self._hash: str | None = None

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = make_password(self._password)
        return self._hash


def _user(
    username: str, *, passwords: _Passwords, reset: bool, admin: bool = False
) -> tuple[AbstractBaseUser, bool]:
    """The demo user ``username``; the password is set only when new or when ``reset``."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(username=username).first()
    created = user is None
    if user is None:
        user = user_model(username=username)
    values = {
        "email": f"{username}@example.org",
        "is_active": True,
        "is_staff": admin,
        "is_superuser": admin,
    }
    if created or reset or any(getattr(user, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(user, field, value)
        if created or reset:
            user.password = passwords.hash
        user.full_clean()
        user.save()
    return user, created


def seed_users(
    agencies: dict[str, Agency], *, password: str, reset: bool
) -> tuple[list[Login], int]:
    """``admin``, ``dispatcher``, ``resident``, and ``staff_<code>`` and ``manager_<code>``
    per agency."""
    passwords = _Passwords(password)
    logins: list[Login] = []
    created = 0

    created += _user("admin", passwords=passwords, reset=reset, admin=True)[1]
    logins.append(Login("admin", _("administrator"), _("Django admin, /admin/")))

    dispatch = agencies["dispatch"]
    user, new = _user("dispatcher", passwords=passwords, reset=reset)
    membership_set(user=user, agency=dispatch, role=Membership.Role.MANAGER)
    logins.append(Login("dispatcher", Membership.Role.MANAGER.label, dispatch.name))
    created += new

    # A resident's account: no organisation; it lists the issues filed while signed in.
    created += _user("resident", passwords=passwords, reset=reset)[1]
    logins.append(Login("resident", _("resident"), _("my issues, /my/issues/")))

    for agency in agencies.values():
        if agency.is_dispatch_centre:
            continue
        for role in (Membership.Role.STAFF, Membership.Role.MANAGER):
            username = f"{role.value}_{agency.code}"
            user, new = _user(username, passwords=passwords, reset=reset)
            membership_set(user=user, agency=agency, role=role)
            logins.append(Login(username, role.label, agency.name))
            created += new
    return logins, created


# ------------------------------------------------------------------------------ the command


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: Iterable[tuple[str, ...]]) -> list[str]:
    rows = list(rows)
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


class Command(BaseCommand):
    # Like Django's own commands, the help text is not translated.
    help = (
        "Load the demo city 清河市 (Qinghe City): areas, organisations, categories, deadline "
        "policies, routing rules and demo logins. Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="Do not print the table of demo logins."
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set every demo user's password to DEMO_PASSWORD, not only new users'.",
        )

    def handle(
        self, *args: Any, quiet: bool = False, reset_passwords: bool = False, **options: Any
    ) -> None:
        password: str = settings.DEMO_PASSWORD
        with transaction.atomic():
            areas, created = seed_areas()
            self._done(_("Areas"), len(areas), created)
            agencies, created = seed_agencies(areas)
            self._done(_("Organisations"), len(agencies), created)
            categories, created = seed_categories()
            self._done(_("Categories"), len(categories), created)
            policies, created = seed_sla_policies(categories)
            self._done(_("Deadline policies"), len(policies), created)
            questions, created = seed_questions(categories)
            self._done(_("Category questions"), len(questions), created)
            days, created = seed_calendar()
            self._done(_("Calendar days"), len(days), created)
            logins, created = seed_users(agencies, password=password, reset=reset_passwords)
            self._done(_("Users"), len(logins), created)
            ruleset, created = seed_rules(get_user_model().objects.get(username="admin"))
            self._done(_("Routing rules"), ruleset.rules.count(), created)
        self.stdout.write(self.style.SUCCESS(_("The demo city 清河市 (Qinghe City) is ready.")))
        if not quiet:
            self._print_logins(logins, password)

    def _done(self, section: str, count: int, created: int) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                _("%(section)s: %(count)d (%(created)d new)")
                % {"section": section, "count": count, "created": created}
            )
        )

    def _print_logins(self, logins: list[Login], password: str) -> None:
        by_username = {login.username: login for login in logins}
        featured = [by_username[name] for name in FEATURED_LOGINS if name in by_username]
        header = (_("username"), _("role"), _("organisation"))
        self.stdout.write("")
        self.stdout.write(_("Demo logins (password: %(password)s)") % {"password": password})
        for line in _table([header, *(tuple(login) for login in featured)]):
            self.stdout.write("  " + line)
        self.stdout.write(
            _(
                "…and %(count)d more: staff_<code> and manager_<code> for every organisation "
                "(codes in the admin's organisation list)."
            )
            % {"count": len(logins) - len(featured)}
        )
