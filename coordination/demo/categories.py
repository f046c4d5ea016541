"""The demo city's categories, their questions, deadline policies and calendar."""

from __future__ import annotations

from typing import Any, NamedTuple

from coordination.deadlines.models import CalendarDay, SLAPolicy
from issues.models import Category, CategoryQuestion, Issue

from .common import upsert


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


# Never published (issues.publication): a wage claim or a neighbour dispute exposes the
# resident to the very person complained about, and women's and children's cases are theirs
# alone. A private category's children are private too.
PRIVATE_CATEGORIES = frozenset({"labour", "women-children", "neighbour-dispute"})


def seed_categories() -> tuple[dict[str, Category], int]:
    categories: dict[str, Category] = {}
    created = 0
    for seed in CATEGORIES:
        category, new = upsert(
            Category,
            lookup={"code": seed.code},
            values={
                "parent": categories[seed.parent] if seed.parent else None,
                "service_code": seed.service_code,
                "name_zh": seed.name_zh,
                "name_en": seed.name_en,
                "description": seed.description,
                "active": True,
                "private": seed.code in PRIVATE_CATEGORIES,
            },
        )
        categories[seed.code] = category
        created += new
    return categories, created


def seed_sla_policies(categories: dict[str, Category]) -> tuple[list[SLAPolicy], int]:
    policies: list[SLAPolicy] = []
    created = 0
    for seed in SLA_POLICIES:
        policy, new = upsert(
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
        row, new = upsert(
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
        row, new = upsert(CalendarDay, lookup={"date": day}, values={"kind": kind, "name": name})
        days.append(row)
        created += new
    return days, created
