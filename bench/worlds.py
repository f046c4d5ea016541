"""A synthetic city for the routing benchmark and tests: areas, organisations, categories, rules.

Everything follows from the seed. The city is a box of districts; each district has 10
streets (5 × 2) and each street 9 communities (3 × 3), so ``areas=3000`` gives 30
districts, 300 streets and 2,700 communities. Boundaries are drawn on one jittered lattice
(every edge has three wiggles, shared exactly by both neighbours), so the areas of a level
tile the city without gaps or overlaps, and every tenth pair of neighbouring communities
swaps an island: one community has a hole, its neighbour is a MultiPolygon with an enclave.

Issue text comes from the real messages in ``../shared/data`` when they are there (read at
run time, never copied into the project) and from templates otherwise.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from coordination.routing import validation
from coordination.routing.model import (
    Actions,
    AgencyInfo,
    AreaShape,
    Condition,
    Conditions,
    RuleSpec,
    Target,
)

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CHINA = timezone(timedelta(hours=8))

STREETS_X, STREETS_Y = 5, 2  # streets in a district
COMMUNITIES_X, COMMUNITIES_Y = 3, 3  # communities in a street
DISTRICT_W, DISTRICT_H = 0.2, 0.16  # degrees

DEPARTMENTS = (
    "housing",  # 住建
    "police",
    "urban",  # 城管
    "environment",
    "transport",
    "hrss",  # 人社: labour and social security
    "market",  # 市场监管
    "health",
    "education",
    "water-affairs",
    "emergency",
    "civil-affairs",
    "landscaping",
    "culture-tourism",
    "agriculture",
    "natural-resources",
    "traffic-police",
    "letters",  # 信访
)
# Top-level categories, their department, and named children (the rest are numbered).
TOP_CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "construction": ("housing", ("site-noise", "illegal-building", "housing-quality", "property")),
    "environment": ("environment", ("noise", "air", "water-pollution", "fumes", "garbage")),
    "transport": ("transport", ("bus", "road-damage", "taxi", "parking")),
    "labour": ("hrss", ("wage-arrears", "pension", "insurance", "employment")),
    "education": ("education", ("school", "kindergarten", "fees", "teachers")),
    "health": ("health", ("hospital", "medical-insurance", "vaccination", "family-planning")),
    "commerce": ("market", ("pricing", "fraud", "food-safety", "tourism")),
    "utilities": ("urban", ("power-outage", "water-outage", "gas", "heating")),
    "urban-management": ("urban", ("streetlight", "road-occupation", "vendors", "signs")),
    "public-security": ("police", ("theft", "disturbance", "fraud-calls")),
    "civil-affairs": ("civil-affairs", ("elderly", "subsidy", "marriage")),
    "water": ("water-affairs", ("flooding", "drainage", "river")),
    "agriculture": ("agriculture", ("land", "livestock")),
    "greening": ("landscaping", ("trees", "parks")),
    "other": ("letters", ()),
}
CHILDREN_PER_TOP = 13  # 15 × (1 + 13) = 210 category codes

# Keyword groups as a city's rule writers use them: words, the department that leads, and
# an optional kind of organisation serving the place that leads or co-handles instead.
KEYWORD_GROUPS: tuple[tuple[str, tuple[str, ...], str, str | None], ...] = (
    ("noise", ("噪音", "噪声", "扰民"), "environment", None),
    ("site", ("施工", "工地", "夜间施工", "渣土"), "housing", None),
    ("streetlight", ("路灯", "不亮", "照明"), "urban", None),
    ("wages", ("拖欠", "工资", "欠薪"), "hrss", "mass_organisation"),
    ("power", ("停电", "供电", "电压"), "urban", "enterprise_partner"),
    ("garbage", ("垃圾", "清运", "环卫"), "urban", None),
    ("road", ("占道", "摆摊", "经营"), "urban", None),
    ("property", ("物业", "业主", "小区"), "housing", None),
    ("leak", ("漏水", "水管", "停水"), "water-affairs", "enterprise_partner"),
    ("traffic", ("交通", "拥堵", "红绿灯", "公交"), "transport", None),
    ("school", ("学校", "学生", "教师", "幼儿园"), "education", None),
    ("medical", ("医院", "医保", "医生"), "health", None),
    ("pollution", ("污染", "排放", "油烟", "异味"), "environment", None),
    ("housing", ("房屋", "开发商", "质量", "房产"), "housing", None),
    ("pension", ("社保", "养老", "退休"), "hrss", None),
    ("market", ("商家", "消费者", "价格", "欺诈"), "market", None),
    ("safety", ("安全", "隐患", "消防"), "emergency", None),
    ("parking", ("停车", "车位"), "traffic-police", None),
    ("greening", ("绿化", "树木"), "landscaping", None),
    ("tourism", ("旅游", "景区"), "culture-tourism", None),
)
LABEL_TO_TOP = {
    "城乡建设": "construction",
    "劳动和社会保障": "labour",
    "教育文体": "education",
    "商贸旅游": "commerce",
    "环境保护": "environment",
    "卫生计生": "health",
    "交通运输": "transport",
}
CHANNELS = (("web", 50), ("phone", 30), ("app", 15), ("wechat", 5))
ISSUE_PRIORITIES = (("normal", 80), ("high", 12), ("low", 5), ("urgent", 3))


@dataclass(frozen=True)
class World:
    """A generated city: what ``compile_ruleset`` takes, and what issues are drawn from."""

    areas: tuple[AreaShape, ...]
    agencies: tuple[AgencyInfo, ...]
    categories: dict[str, str | None]  # code -> parent code
    rules: tuple[RuleSpec, ...]
    box: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1
    districts: tuple[str, ...]
    streets: tuple[str, ...]
    communities: tuple[str, ...]

    def category_path(self, code: str) -> tuple[str, ...]:
        path = [code]
        parent = self.categories.get(code)
        while parent is not None:
            path.append(parent)
            parent = self.categories.get(parent)
        return tuple(path)


# --------------------------------------------------------------------------- geometry


class _Lattice:
    """A grid of community cells whose vertices and edges wiggle, shared by neighbours."""

    WIGGLES = 3  # extra points on every cell edge

    def __init__(
        self, cols: int, rows: int, box: tuple[float, float, float, float], rng: random.Random
    ) -> None:
        self.cols, self.rows = cols, rows
        self.lon0, self.lat0 = box[0], box[1]
        self.dx = (box[2] - box[0]) / cols
        self.dy = (box[3] - box[1]) / rows
        # Drawn in a fixed order, so the lattice depends on the seed alone.
        self.vertices = [
            [self._vertex(i, j, rng) for j in range(rows + 1)] for i in range(cols + 1)
        ]
        self.h_offsets = [
            [[rng.uniform(-0.06, 0.06) for _ in range(self.WIGGLES)] for _ in range(rows + 1)]
            for _ in range(cols)
        ]
        self.v_offsets = [
            [[rng.uniform(-0.06, 0.06) for _ in range(self.WIGGLES)] for _ in range(rows)]
            for _ in range(cols + 1)
        ]

    def _vertex(self, i: int, j: int, rng: random.Random) -> tuple[float, float]:
        jx, jy = rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1)
        if i in (0, self.cols):
            jx = 0.0  # the city's outline stays straight
        if j in (0, self.rows):
            jy = 0.0
        return (self.lon0 + (i + jx) * self.dx, self.lat0 + (j + jy) * self.dy)

    def _h_edge(self, i: int, j: int) -> list[tuple[float, float]]:
        """Interior points of the edge from vertex (i, j) to (i + 1, j)."""
        (x1, y1), (x2, y2) = self.vertices[i][j], self.vertices[i + 1][j]
        out = []
        for k, off in enumerate(self.h_offsets[i][j], start=1):
            t = k / (self.WIGGLES + 1)
            wiggle = 0.0 if j in (0, self.rows) else off * self.dy
            out.append((x1 + (x2 - x1) * t, y1 + (y2 - y1) * t + wiggle))
        return out

    def _v_edge(self, i: int, j: int) -> list[tuple[float, float]]:
        """Interior points of the edge from vertex (i, j) to (i, j + 1)."""
        (x1, y1), (x2, y2) = self.vertices[i][j], self.vertices[i][j + 1]
        out = []
        for k, off in enumerate(self.v_offsets[i][j], start=1):
            t = k / (self.WIGGLES + 1)
            wiggle = 0.0 if i in (0, self.cols) else off * self.dx
            out.append((x1 + (x2 - x1) * t + wiggle, y1 + (y2 - y1) * t))
        return out

    def ring(self, c0: int, r0: int, c1: int, r1: int) -> list[list[float]]:
        """The counter-clockwise outline of the block of cells [c0, c1) × [r0, r1)."""
        points: list[tuple[float, float]] = []
        for i in range(c0, c1):
            points.append(self.vertices[i][r0])
            points += self._h_edge(i, r0)
        for j in range(r0, r1):
            points.append(self.vertices[c1][j])
            points += self._v_edge(c1, j)
        for i in range(c1 - 1, c0 - 1, -1):
            points.append(self.vertices[i + 1][r1])
            points += reversed(self._h_edge(i, r1))
        for j in range(r1 - 1, r0 - 1, -1):
            points.append(self.vertices[c0][j + 1])
            points += reversed(self._v_edge(c0, j))
        points.append(points[0])
        return [[x, y] for x, y in points]

    def island(self, c: int, r: int) -> list[list[float]]:
        """A small square in the middle of cell (c, r), clear of its wiggling edges."""
        cx = self.lon0 + (c + 0.5) * self.dx
        cy = self.lat0 + (r + 0.5) * self.dy
        hx, hy = 0.15 * self.dx, 0.15 * self.dy
        square = [(cx - hx, cy - hy), (cx + hx, cy - hy), (cx + hx, cy + hy), (cx - hx, cy + hy)]
        return [[x, y] for x, y in [*square, square[0]]]


def _polygon(ring: list[list[float]], holes: list[list[list[float]]] = ()) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring, *holes]}


def _build_areas(
    districts: int, rng: random.Random
) -> tuple[list[AreaShape], tuple[float, float, float, float], list[str], list[str], list[str]]:
    rows_d = max(1, round(math.sqrt(districts / 1.2)))
    cols_d = math.ceil(districts / rows_d)
    lon0, lat0 = 116.0, 39.6
    box = (lon0, lat0, lon0 + cols_d * DISTRICT_W, lat0 + rows_d * DISTRICT_H)
    per_x, per_y = STREETS_X * COMMUNITIES_X, STREETS_Y * COMMUNITIES_Y
    lattice = _Lattice(cols_d * per_x, rows_d * per_y, box, rng)
    shapes: list[AreaShape] = []
    district_codes: list[str] = []
    street_codes: list[str] = []
    community_codes: list[str] = []
    pair = 0
    for d in range(districts):
        dc, dr = d % cols_d, d // cols_d
        district = f"d{d + 1:02d}"
        district_codes.append(district)
        c0, r0 = dc * per_x, dr * per_y
        shapes.append(
            AreaShape(district, "district", _polygon(lattice.ring(c0, r0, c0 + per_x, r0 + per_y)))
        )
        for s in range(STREETS_X * STREETS_Y):
            street = f"{district}-s{s + 1:02d}"
            street_codes.append(street)
            sc0 = c0 + (s % STREETS_X) * COMMUNITIES_X
            sr0 = r0 + (s // STREETS_X) * COMMUNITIES_Y
            shapes.append(
                AreaShape(
                    street,
                    "street",
                    _polygon(lattice.ring(sc0, sr0, sc0 + COMMUNITIES_X, sr0 + COMMUNITIES_Y)),
                    parent=district,
                )
            )
            geometries: dict[tuple[int, int], dict[str, Any]] = {}
            for cy in range(COMMUNITIES_Y):
                for cx in range(COMMUNITIES_X):
                    c, r = sc0 + cx, sr0 + cy
                    geometries[(cx, cy)] = _polygon(lattice.ring(c, r, c + 1, r + 1))
            for cy in range(COMMUNITIES_Y):
                pair += 1
                if pair % 10 == 0:
                    # An enclave: the left community has a hole, the middle one owns the island.
                    c, r = sc0, sr0 + cy
                    island = lattice.island(c, r)
                    left, middle = geometries[(0, cy)], geometries[(1, cy)]
                    geometries[(0, cy)] = _polygon(left["coordinates"][0], [island[::-1]])
                    geometries[(1, cy)] = {
                        "type": "MultiPolygon",
                        "coordinates": [middle["coordinates"], [island]],
                    }
            for k, ((_cx, _cy), geometry) in enumerate(
                sorted(geometries.items(), key=lambda item: (item[0][1], item[0][0]))
            ):
                community = f"{street}-c{k + 1}"
                community_codes.append(community)
                shapes.append(AreaShape(community, "community", geometry, parent=street))
    return shapes, box, district_codes, street_codes, community_codes


# --------------------------------------------------------------------------- organisations


def _build_agencies(
    districts: list[str], streets: list[str], communities: list[str]
) -> list[AgencyInfo]:
    agencies = [AgencyInfo("dispatch", "dispatch_centre")]
    agencies += [AgencyInfo(code, "government_department") for code in DEPARTMENTS]
    agencies.append(AgencyInfo("old-urban", "government_department", active=False))
    for district in districts:
        agencies.append(AgencyInfo(f"housing-{district}", "government_department", district))
        agencies.append(AgencyInfo(f"power-{district}", "enterprise_partner", district))
        agencies.append(AgencyInfo(f"water-{district}", "enterprise_partner", district))
        agencies.append(AgencyInfo(f"union-{district}", "mass_organisation", district))
    for street in streets:
        agencies.append(AgencyInfo(f"so-{street}", "street_office", street))
    for k, community in enumerate(communities):
        street = community.rsplit("-", 1)[0]
        # One community in fifty has no working office: its issues show the inactive path.
        agencies.append(
            AgencyInfo(f"cm-{community}", "community", community, f"so-{street}", k % 50 != 49)
        )
    return agencies


def _build_categories() -> dict[str, str | None]:
    categories: dict[str, str | None] = {}
    for top, (_, named) in TOP_CATEGORIES.items():
        categories[top] = None
        children = list(named)
        children += [f"c{k:02d}" for k in range(len(children) + 1, CHILDREN_PER_TOP + 1)]
        for child in children[:CHILDREN_PER_TOP] if named else []:
            categories[f"{top}-{child}"] = top
    return categories


# --------------------------------------------------------------------------- rules


def _cond(field: str, op: str, value: Any) -> Condition:
    return Condition(field, op, tuple(value) if isinstance(value, list | tuple) else value)


AGENCY = "agency"


def _named(code: str) -> Target:
    return Target(AGENCY, agency=code)


STREET = Target("territorial", level="street")
COMMUNITY = Target("territorial", level="community")


def _serving(kind: str) -> Target:
    return Target("serving", kind=kind)


def _build_rules(
    count: int,
    rng: random.Random,
    districts: list[str],
    streets: list[str],
    communities: list[str],
    categories: dict[str, str | None],
) -> Iterator[tuple[int, str, Conditions, Actions] | None]:
    """Candidate rules as (position, name, conditions, actions), families in position bands;
    then None, then filler without end."""
    children = [code for code, parent in categories.items() if parent is not None]
    top_of = {code: parent for code, parent in categories.items() if parent is not None}
    groups = KEYWORD_GROUPS

    def lead_for(group: tuple[str, tuple[str, ...], str, str | None], district: str | None):
        _, _, department, serving = group
        if serving == "enterprise_partner":
            return _serving(serving), (STREET,)
        if serving:
            return _named(department), (_serving(serving), STREET)
        if department == "housing" and district and rng.random() < 0.5:
            return _named(f"housing-{district}"), (STREET,)
        return _named(department), (STREET,) if rng.random() < 0.7 else ()

    # Family 1, positions 10..29: continue rules that set priority or deadlines.
    urgent_words = ("停电", "漏水", "火灾", "燃气", "坍塌", "触电")
    yield (
        10,
        "urgent words",
        Conditions(any=(_cond("keyword", "any", urgent_words),)),
        Actions(priority="high", stop=False),
    )
    yield (
        11,
        "urgent by phone",
        Conditions(all=(_cond("channel", "in", ["phone"]), _cond("priority", "in", ["urgent"]))),
        Actions(deadline_policy="urgent-4h", stop=False),
    )
    yield (
        12,
        "night works",
        Conditions(
            all=(_cond("hour", "between", [22, 6]), _cond("keyword", "any", ["施工", "噪音"]))
        ),
        Actions(priority="high", co_handlers=(_named("police"),), stop=False),
    )
    yield (
        13,
        "weekend",
        Conditions(all=(_cond("weekday", "in", [5, 6]),)),
        Actions(deadline_policy="weekend", stop=False),
    )
    for k in range(max(0, count // 50 - 4)):
        group = groups[k % len(groups)]
        yield (
            14 + k % 15,
            f"priority {group[0]} {k}",
            Conditions(
                all=(
                    _cond("keyword", "all", rng.sample(group[1], 2)),
                    _cond("area", "in", rng.choice(districts)),
                )
            ),
            Actions(priority=rng.choice(("high", "urgent")), stop=False),
        )

    share = {"area": 0.35, "category_kw": 0.15, "keyword": 0.1, "community": 0.1}
    # Family 2, positions 100..299: a district's or street's own routing of a keyword group.
    for k in range(int(count * share["area"])):
        group = rng.choice(groups)
        if rng.random() < 0.6:
            district = rng.choice(districts)
            area = district
        else:
            area = rng.choice(streets)
            district = area.split("-")[0]
        lead, co = lead_for(group, district)
        conditions = Conditions(
            all=(_cond("area", "in", area), _cond("keyword", "any", group[1])),
            none=(_cond("category", "under", "education"),) if rng.random() < 0.2 else (),
        )
        yield (
            100 + k % 200,
            f"{group[0]} in {area}",
            conditions,
            Actions(lead=lead, co_handlers=co, stop=rng.random() < 0.9),
        )
    # Family 3, positions 300..399: a category narrowed by words.
    for k in range(int(count * share["category_kw"])):
        category = rng.choice(children)
        group = rng.choice(groups)
        words = rng.sample(group[1], min(2, len(group[1])))
        lead, co = lead_for(group, None)
        yield (
            300 + k % 100,
            f"{category} with {group[0]}",
            Conditions(all=(_cond("category", "under", category), _cond("keyword", "any", words))),
            Actions(lead=lead, co_handlers=co),
        )
    # Family 8, positions 400..449: a community's own cases.
    for k in range(int(count * share["community"])):
        community = rng.choice(communities)
        group = rng.choice(groups)
        yield (
            400 + k % 50,
            f"{group[0]} in {community}",
            Conditions(
                all=(_cond("area", "in", community),),
                any=(
                    _cond("keyword", "any", group[1]),
                    _cond("category", "under", "civil-affairs"),
                ),
            ),
            Actions(lead=COMMUNITY, co_handlers=(STREET,)),
        )
    # Family 4, positions 500..599: every sub-category has its department.
    for k, category in enumerate(children):
        department = TOP_CATEGORIES[top_of[category]][0]
        co = rng.choice(((STREET,), (COMMUNITY,), (), (STREET, _serving("enterprise_partner"))))
        yield (
            500 + k % 100,
            f"category {category}",
            Conditions(all=(_cond("category", "under", category),)),
            Actions(lead=_named(department), co_handlers=co),
        )
    # Family 5, positions 600..799: words alone, the sector-and-territory classics first.
    yield (
        600,
        "construction noise",
        Conditions(
            all=(
                _cond("keyword", "any", ["噪音", "扰民"]),
                _cond("keyword", "any", ["施工", "工地"]),
            )
        ),
        Actions(lead=_named("housing"), co_handlers=(STREET,)),
    )
    for k in range(int(count * share["keyword"])):
        group = rng.choice(groups)
        lead, co = lead_for(group, None)
        if rng.random() < 0.5:
            conditions = Conditions(all=(_cond("keyword", "all", rng.sample(group[1], 2)),))
        else:
            other = rng.choice(groups)
            conditions = Conditions(
                all=(_cond("keyword", "any", group[1]),),
                any=(_cond("keyword", "any", other[1]), _cond("channel", "in", ["phone"])),
            )
        yield 601 + k % 199, f"words {group[0]} {k}", conditions, Actions(lead=lead, co_handlers=co)
    # Family 7, position 900: each top-level category falls back to its department.
    for top, (department, _) in TOP_CATEGORIES.items():
        yield (
            900,
            f"fallback {top}",
            Conditions(all=(_cond("category", "under", top),)),
            Actions(lead=_named(department)),
        )
    # Family 9, positions 950..999: keyword groups alone, as the last resort; then filler.
    for k, group in enumerate(groups):
        lead, co = lead_for(group, None)
        yield (
            950 + k,
            f"last resort {group[0]}",
            Conditions(all=(_cond("keyword", "any", group[1]),)),
            Actions(lead=lead, co_handlers=co),
        )
    yield None  # the families are done; what follows is filler, as much as the caller wants
    while True:  # a street's own routing of a sub-category
        group = rng.choice(groups)
        street = rng.choice(streets)
        category = rng.choice(children)
        lead, co = lead_for(group, street.split("-")[0])
        yield (
            200 + rng.randrange(100),
            f"{category} in {street}",
            Conditions(all=(_cond("area", "in", street), _cond("category", "under", category))),
            Actions(lead=lead, co_handlers=co),
        )


def build_world(*, rules: int = 1000, areas: int = 3000, seed: int = 12345) -> World:
    """A city of about ``areas`` areas and exactly ``rules`` valid rules."""
    rng = random.Random(seed)
    districts_n = max(
        1, round(areas / (1 + STREETS_X * STREETS_Y * (1 + COMMUNITIES_X * COMMUNITIES_Y)))
    )
    shapes, box, districts, streets, communities = _build_areas(districts_n, rng)
    agencies = _build_agencies(districts, streets, communities)
    categories = _build_categories()

    specs: list[RuleSpec] = []
    filler: set[int] = set()
    seen: set[Conditions] = set()
    candidates = _build_rules(rules, rng, districts, streets, communities, categories)
    # Generate every family and filler up to 15 % more than asked, drop what validation
    # rejects (repeats, rules hidden by earlier ones), then drop filler and, if still too
    # many, rules at random. Dropping rules never hides others, so what is left is valid.
    in_filler = False
    while not in_filler or len(specs) < rules * 1.15 + 10:
        candidate = next(candidates)
        if candidate is None:
            in_filler = True
            continue
        position, name, conditions, actions = candidate
        if conditions in seen:
            continue
        seen.add(conditions)
        specs.append(RuleSpec(len(specs) + 1, name, conditions, actions, position))
        if in_filler:
            filler.add(len(specs))
    problems = validation.validate(specs, agencies, shapes)
    bad = {p.rule_id for p in problems}
    kept = [s for s in specs if s.id not in bad]
    excess = max(0, len(kept) - rules)
    dropped = set(sorted((s.id for s in kept if s.id in filler), reverse=True)[:excess])
    if excess > len(dropped):
        others = [s.id for s in kept if s.id not in filler]
        dropped.update(rng.sample(others, excess - len(dropped)))
    kept = [s for s in kept if s.id not in dropped]
    return World(
        areas=tuple(shapes),
        agencies=tuple(agencies),
        categories=categories,
        rules=tuple(kept),
        box=box,
        districts=tuple(districts),
        streets=tuple(streets),
        communities=tuple(communities),
    )


# --------------------------------------------------------------------------- issues


@dataclass(frozen=True)
class IssueText:
    text: str
    top: str | None  # top-level category the text is labelled with, when known


def load_texts(limit: int, seed: int, data_dir: Path = DATA_DIR) -> tuple[list[IssueText], str]:
    """Up to ``limit`` issue texts: real subjects with real bodies of the same label.

    Returns the texts and where they came from ("gov_train" or "generated").
    """
    subjects_path = data_dir / "gov_train_subjects.csv"
    bodies_path = data_dir / "gov_train_bodies.csv"
    if not (subjects_path.exists() and bodies_path.exists()):
        return generated_texts(limit, seed), "generated"
    rng = random.Random(seed)
    subjects = _read_labelled(subjects_path)
    bodies = _read_labelled(bodies_path)
    bodies_by_label: dict[str, list[str]] = {}
    for body, label in bodies:
        bodies_by_label.setdefault(label, []).append(body)
    rng.shuffle(subjects)
    out = []
    for subject, label in subjects[:limit]:
        # A title and a description, as a resident files them; the files hold them apart.
        pool = bodies_by_label.get(label)
        body = rng.choice(pool) if pool and rng.random() < 0.7 else ""
        out.append(IssueText(f"{subject}\n{body}" if body else subject, LABEL_TO_TOP.get(label)))
    return out, "gov_train"


def _read_labelled(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        return [(row[0], row[1]) for row in reader if len(row) >= 2 and row[0]]


def generated_texts(limit: int, seed: int) -> list[IssueText]:
    """Template sentences with the groups' words, for when the real data is absent."""
    rng = random.Random(seed)
    openings = ("您好，", "我是附近居民，", "反映一个问题：", "", "紧急！")
    places = ("小区门口", "学校旁边", "菜市场", "主干道", "工业园区", "老旧小区")
    endings = ("，严重影响生活，请尽快处理。", "，已经持续很久了。", "，希望相关部门解决。", "。")
    fillers = ("晚上", "每天", "周末", "最近", "一直", "多次")
    out = []
    tops = list(LABEL_TO_TOP.values())
    for _ in range(limit):
        group = rng.choice(KEYWORD_GROUPS)
        words = rng.sample(group[1], rng.randint(1, min(2, len(group[1]))))
        sentence = (
            f"{rng.choice(openings)}{rng.choice(places)}{rng.choice(fillers)}"
            f"{'、'.join(words)}{rng.choice(endings)}"
        )
        if rng.random() < 0.3:
            sentence += f" Reported via app, {rng.choice(('urgent', 'noise', 'repair'))} needed."
        out.append(IssueText(sentence, rng.choice(tops)))
    return out


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in table], weights=[w for _, w in table])[0]


def random_place(
    rng: random.Random, world: World, missing: float = 0.05
) -> tuple[float | None, float | None]:
    if rng.random() < missing:
        return None, None
    lon0, lat0, lon1, lat1 = world.box
    return rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)


def random_time(rng: random.Random) -> datetime:
    start = datetime(2024, 1, 1, tzinfo=CHINA)
    return start + timedelta(minutes=rng.randrange(366 * 24 * 60))


def random_category(rng: random.Random, world: World, top: str | None) -> tuple[str, ...]:
    """The resident's category: often a sub-category of the text's label, sometimes none."""
    roll = rng.random()
    if roll < 0.1 or top is None:
        return ()
    children = [code for code, parent in world.categories.items() if parent == top]
    if roll < 0.15 or not children:
        return (top,)
    return world.category_path(rng.choice(children))
