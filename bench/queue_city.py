"""The city of the queue benchmark: organisations, issues, assignments and permissions.

``seed_city`` writes what the services would have written for a city that has run its
hotline for two years: organisations of every kind (communities under their street office),
each with its permission group ``agency:<code>``; issues filed over the period, with the
statuses, dates and titles real issues have; for each routed issue a lead and usually a
co-handler, sometimes a lead the dispatcher took back first (转办); and for every
organisation holding an issue (pending, accepted or done) guardian's ``issues.view_issue``
row for its group — exactly the rows ``_assign`` and ``_end_assignment`` leave behind.

Work is skewed as it is in real life: a few departments (城管 first) lead most cases, street
offices and communities co-handle. Old issues are closed; recent ones are open, and a long
tail of old cases is still open and overdue. Everything follows from the seed, except the
access tokens, which are random as in production.

Rows are loaded with ``COPY`` (``bench.pgcopy``) in batches, with a progress bar per table.
"""

from __future__ import annotations

import random
import sys
from array import array
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction

from agencies.models import Agency
from bench import worlds
from bench.pgcopy import copy_rows, next_id, reset_sequence
from coordination.demo.categories import seed_categories
from coordination.dispatch.models import Assignment
from issues.models import TRACKING_ALPHABET, Category, Issue, IssueGroupObjectPermission

DAY = 86_400.0
HOUR = 3_600.0
YEARS_OF_ISSUES = 2

K = Agency.Kind
# Municipal departments, the busiest first (rank decides their share of the work).
DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("urban", "清河市城市管理局", "City Management Bureau"),
    ("housing", "清河市住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    ("env", "清河市生态环境局", "Ecology and Environment Bureau"),
    ("hrss", "清河市人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("market", "清河市市场监督管理局", "Market Regulation Administration"),
    ("transport", "清河市交通运输局", "Transport Bureau"),
    ("water", "清河市水务局", "Water Authority"),
    ("police", "清河市公安局", "Public Security Bureau"),
    ("health", "清河市卫生健康委员会", "Health Commission"),
    ("education", "清河市教育局", "Education Bureau"),
    ("traffic-police", "清河市公安局交通警察支队", "Traffic Police Detachment"),
    ("emergency", "清河市应急管理局", "Emergency Management Bureau"),
    ("civil-affairs", "清河市民政局", "Civil Affairs Bureau"),
    ("landscaping", "清河市园林绿化局", "Landscaping Bureau"),
    ("natural-resources", "清河市规划和自然资源局", "Planning and Natural Resources Bureau"),
    ("medical-insurance", "清河市医疗保障局", "Medical Insurance Bureau"),
    ("culture-tourism", "清河市文化和旅游局", "Culture and Tourism Bureau"),
    ("agriculture", "清河市农业农村局", "Agriculture and Rural Affairs Bureau"),
    ("letters", "清河市信访局", "Letters and Visits Bureau"),
    ("justice", "清河市司法局", "Justice Bureau"),
    ("tax", "清河市税务局", "Tax Bureau"),
    ("veterans", "清河市退役军人事务局", "Veterans Affairs Bureau"),
    ("development", "清河市发展和改革委员会", "Development and Reform Commission"),
    ("sports", "清河市体育局", "Sports Bureau"),
)
DEPARTMENT_PARENTS = {"traffic-police": "police"}
PARTNERS = (
    ("power", "国网清河供电公司", "State Grid Qinghe Power Supply"),
    ("waterworks", "清河自来水集团", "Qinghe Waterworks Group"),
    ("gas", "清河燃气集团", "Qinghe Gas Group"),
    ("heating", "清河热力公司", "Qinghe Heating Company"),
    ("bus", "清河公交集团", "Qinghe Bus Group"),
    ("mobile", "中国移动清河分公司", "China Mobile Qinghe"),
    ("telecom", "中国电信清河分公司", "China Telecom Qinghe"),
    ("property", "清河物业管理有限公司", "Qinghe Property Management"),
    ("post", "中国邮政清河分公司", "China Post Qinghe"),
    ("unicom", "中国联通清河分公司", "China Unicom Qinghe"),
)
PARTY = (
    ("party", "中共清河市委党建工作办公室", "Party Building Office"),
    ("social-work", "中共清河市委社会工作部", "Social Work Department"),
)
MASS = (
    ("trade-union", "清河市总工会", "Federation of Trade Unions"),
    ("youth-league", "共青团清河市委", "Communist Youth League"),
    ("womens-federation", "清河市妇女联合会", "Women's Federation"),
    ("disabled", "清河市残疾人联合会", "Disabled Persons' Federation"),
    ("commerce-federation", "清河市工商业联合会", "Federation of Industry and Commerce"),
)
PLACES = (  # noqa: SIM905 (a row of names reads better than a column)
    "东城 西城 南湖 北苑 河西 河东 青山 白云 新华 长安 和平 建设 解放 人民 中山 朝阳 光明 胜利"
    " 文化 东风 红旗 金桥 滨江 望湖 松林 柳荫 荷塘 枫桥 杏花 桃园 龙泉 凤凰 石桥 清水 黄河 长江"
).split()
COMMUNITY_NAMES = (  # noqa: SIM905
    "幸福 和谐 阳光 锦绣 翠苑 华庭 丽景 康乐 安居 春晖 怡园 绿洲 金地 玉泉 书香 紫荆 银杏 海棠"
).split()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"

# Kind: (its share of leads, its share of co-handling, how steeply work falls with rank).
KIND_WORK = {
    K.GOVERNMENT_DEPARTMENT: (0.60, 0.15, 1.0),
    K.STREET_OFFICE: (0.28, 0.42, 0.5),
    K.COMMUNITY: (0.04, 0.30, 0.5),
    K.ENTERPRISE_PARTNER: (0.08, 0.08, 1.0),
    K.PARTY_ORGANISATION: (0.0, 0.02, 0.5),
    K.MASS_ORGANISATION: (0.0, 0.03, 0.5),
}
# The demo's top-level categories for the labels of the real texts (worlds' codes).
TOPS_FOR_LABEL = {
    "construction": ("housing-building",),
    "labour": ("labour",),
    "education": ("schooling", "community-services"),
    "commerce": ("market-order",),
    "environment": ("city-appearance", "noise"),
    "health": ("health-care",),
    "transport": ("traffic",),
}
CHANNELS = (("phone", 52), ("web", 30), ("wechat", 12), ("api", 4), ("open311", 2))
PRIORITIES = (("normal", 80), ("high", 12), ("low", 5), ("urgent", 3))
HOURS = {"urgent": (1, 24), "high": (2, 48), "normal": (2, 72), "low": (2, 72)}
RESOLUTIONS = (
    "已联系诉求人并现场核实，问题已处理完毕。",
    "经协调相关单位，已于近日整改到位。",
    "已责令相关单位限期整改，将持续跟踪。",
    "已向诉求人解释相关政策，诉求人表示理解。",
    "已安排人员现场处置，诉求人对处理结果表示认可。",
)

# Issue statuses by age: (age limit in days, ((status, weight), ...)).
STATUS_BY_AGE = (
    (1 / 12, (("submitted", 4), ("triage", 12), ("dispatched", 84))),
    (1, (("triage", 3), ("dispatched", 40), ("in_progress", 55), ("resolved", 2))),
    (7, (("triage", 1), ("dispatched", 5), ("in_progress", 59), ("resolved", 35))),
    (30, (("in_progress", 12), ("resolved", 12), ("closed", 72), ("merged", 2), ("rejected", 2))),
    (None, (("in_progress", 0.4), ("closed", 95.6), ("merged", 2), ("rejected", 2))),
)
STATUSES = ("submitted", "triage", "dispatched", "in_progress", "resolved", "closed", "merged")
STATUSES += ("rejected",)
S = {name: code for code, name in enumerate(STATUSES)}
ASSIGNED = {S["dispatched"], S["in_progress"], S["resolved"], S["closed"], S["merged"]}
HOLDING = {S["dispatched"], S["in_progress"], S["resolved"], S["closed"]}  # with permission rows
NONE = 0xFFFF  # no agency in the per-issue agency arrays


@dataclass
class CityAgency:
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    parent: str | None = None
    group_id: int = 0
    lead_weight: float = 0.0
    co_weight: float = 0.0


@dataclass
class SeedResult:
    issues: int
    agencies: int
    assignments: int
    permission_rows: int
    categories: int
    text_source: str
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in table)
    roll = rng.random() * total
    for name, weight in table:
        roll -= weight
        if roll < 0:
            return name
    return table[-1][0]


def build_agencies(count: int, rng: random.Random) -> list[CityAgency]:
    """``count`` organisations (at least 3): the dispatch centre, departments, street offices
    with their communities, enterprise partners, party and mass organisations."""
    if count < 3:
        raise ValueError("--agencies: at least 3 (the dispatch centre, a department, a street)")
    n = count - 1
    departments = max(1, min(len(DEPARTMENTS), round(n * 0.09)))
    partners = min(len(PARTNERS), round(n * 0.04))
    party = min(len(PARTY), round(n * 0.01))
    mass = min(len(MASS), round(n * 0.02))
    streets = max(1, round(n * 0.12))
    communities = max(0, n - departments - partners - party - mass - streets)
    if communities == 0:  # tiny cities: take the rest as streets
        streets = n - departments - partners - party - mass
    agencies = [
        CityAgency(
            0, "dispatch", "12345市民服务热线派单中心", "12345 Dispatch Centre", K.DISPATCH_CENTRE
        )
    ]
    for code, zh, en in DEPARTMENTS[:departments]:
        parent = DEPARTMENT_PARENTS.get(code)
        agencies.append(CityAgency(0, code, zh, en, K.GOVERNMENT_DEPARTMENT, parent))
    places = [*PLACES]
    rng.shuffle(places)
    street_codes = []
    for s in range(streets):
        place = places[s % len(places)] + ("" if s < len(places) else str(s // len(places) + 1))
        code = f"street-{s + 1:02d}"
        street_codes.append((code, place))
        agencies.append(
            CityAgency(
                0, code, f"{place}街道办事处", f"{place} Subdistrict Office", K.STREET_OFFICE
            )
        )
    for c in range(communities):
        street, place = street_codes[c % len(street_codes)]
        number = c // len(street_codes) + 1
        name = COMMUNITY_NAMES[(c * 7 + number) % len(COMMUNITY_NAMES)]
        agencies.append(
            CityAgency(
                0,
                f"community-{street[7:]}-{number:02d}",
                f"{place}{name}社区居民委员会",
                f"{name} Community, {place}",
                K.COMMUNITY,
                parent=street,
            )
        )
    for table, how_many, kind in (
        (PARTNERS, partners, K.ENTERPRISE_PARTNER),
        (PARTY, party, K.PARTY_ORGANISATION),
        (MASS, mass, K.MASS_ORGANISATION),
    ):
        agencies.extend(CityAgency(0, c, zh, en, kind) for c, zh, en in table[:how_many])
    _share_work(agencies, rng)
    return agencies


def _share_work(agencies: list[CityAgency], rng: random.Random) -> None:
    """Zipf-like weights within each kind; departments keep their listed rank (城管 first),
    other kinds are ranked at random."""
    by_kind: dict[str, list[CityAgency]] = {}
    for agency in agencies:
        by_kind.setdefault(agency.kind, []).append(agency)
    lead_total = sum(KIND_WORK[k][0] for k in by_kind if k in KIND_WORK)
    co_total = sum(KIND_WORK[k][1] for k in by_kind if k in KIND_WORK)
    for kind, members in by_kind.items():
        if kind not in KIND_WORK:
            continue
        lead_share, co_share, steep = KIND_WORK[kind]
        ranked = [*members]
        if kind != K.GOVERNMENT_DEPARTMENT:
            rng.shuffle(ranked)
        raw = [1 / (rank + 1) ** steep for rank in range(len(ranked))]
        for agency, weight in zip(ranked, raw, strict=True):
            agency.lead_weight = lead_share / lead_total * weight / sum(raw)
            agency.co_weight = co_share / co_total * weight / sum(raw) if co_total else 0.0


def _picker(weights: list[float], rng: random.Random):
    cumulative = list(accumulate(weights))
    top = cumulative[-1]

    def pick() -> int:
        return min(bisect(cumulative, rng.random() * top), len(cumulative) - 1)

    return pick


def tracking_number(issue_id: int, filed: datetime) -> str:
    """``YYYYMMDD-XXXXXX`` as the model makes it; the suffix is the id scrambled (unique)."""
    size = len(TRACKING_ALPHABET)
    n = (issue_id * 387_420_489 + 12_345) % size**6  # 3**18 is coprime with 31**6
    suffix = []
    for _ in range(6):
        n, digit = divmod(n, size)
        suffix.append(TRACKING_ALPHABET[digit])
    return f"{filed:%Y%m%d}-{''.join(suffix)}"


def _texts(seed: int, data_dir: Path) -> tuple[list[tuple[str, str, str | None]], str]:
    """(title, description, label) of real messages, or generated ones when the data is away."""
    texts, source = worlds.load_texts(100_000, seed, data_dir)
    out = []
    for item in texts:
        title, _, body = item.text.partition("\n")
        out.append((title[:200], (body or title)[:5000], item.top))
    return out, source


def seed_city(
    *,
    issues: int,
    agencies: int,
    seed: int = 12345,
    now: datetime | None = None,
    data_dir: Path = worlds.DATA_DIR,
    batch: int = 50_000,
    stream: TextIO | None = None,
) -> SeedResult:
    """Write the city into the current database (empty of issues and organisations).

    Works inside an outer transaction too (each batch is then a savepoint), as in tests.
    """
    stream = stream or sys.stderr
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    local = ZoneInfo(settings.TIME_ZONE)

    categories = _categories()
    city = build_agencies(agencies, rng)
    _load_agencies(city, now=now, stream=stream)
    texts, source = _texts(seed, data_dir)

    # Per issue, what the assignments and permissions need later (compact: 1M issues ~ 40 MB).
    first_issue = next_id(Issue)
    status = bytearray(issues)
    routed = array("d", bytes(8 * issues))
    resolved = array("d", bytes(8 * issues))
    priority_hours = bytearray(issues)
    lead = array("H", [NONE]) * issues
    co1 = array("H", [NONE]) * issues
    co2 = array("H", [NONE]) * issues
    returned = array("H", [NONE]) * issues
    pick_lead = _picker([a.lead_weight for a in city], rng)
    pick_co = _picker([a.co_weight for a in city], rng)
    streets = [a.name_zh[:-5] for a in city if a.kind == K.STREET_OFFICE] or ["清河"]

    span = YEARS_OF_ISSUES * 365 * DAY
    start = now.timestamp() - span - 60

    def issue_rows():
        for i in range(issues):
            issue_id = first_issue + i
            created = start + span * (i + rng.random()) / issues
            age_days = (now.timestamp() - created) / DAY
            table = next(t for limit, t in STATUS_BY_AGE if limit is None or age_days < limit)
            state = S[_weighted(rng, table)]
            if state == S["merged"] and i == 0:
                state = S["rejected"]  # nothing earlier to merge into
            title, description, label = texts[rng.randrange(len(texts))]
            category = _category(rng, categories, label)
            prio = _weighted(rng, PRIORITIES)
            anonymous = rng.random() < 0.08
            placed = rng.random() < 0.93
            t_routed = t_resolved = t_closed = None
            if state not in (S["submitted"],):
                t_routed = created + min(rng.uniform(20, 1800), (now.timestamp() - created) / 2)
            if state in (S["resolved"], S["closed"]):
                done_after = rng.uniform(0.3, 12) * DAY
                if state == S["resolved"]:  # resolved within the week, else it would be closed
                    window = min(7 * DAY, now.timestamp() - t_routed)
                    t_resolved = now.timestamp() - rng.uniform(0, window) * 0.98
                else:
                    t_resolved = t_routed + min(done_after, (now.timestamp() - t_routed) * 0.6)
                    t_closed = t_resolved + min(
                        rng.uniform(0.5, 7) * DAY, (now.timestamp() - t_resolved) * 0.9
                    )
            status[i] = state
            priority_hours[i] = HOURS[prio][1]
            if t_routed:
                routed[i] = t_routed
            if t_resolved:
                resolved[i] = t_resolved
            if state in ASSIGNED:
                _pick_agencies(i, rng, pick_lead, pick_co, lead, co1, co2, returned)
            elif state == S["triage"] and rng.random() < 0.05:
                returned[i] = pick_lead()  # bounced back to the dispatcher (退单)
            filed = datetime.fromtimestamp(created, UTC)
            yield (
                issue_id,
                tracking_number(issue_id, filed.astimezone(local)),
                title,
                description,
                category,
                None if not placed else round(rng.uniform(39.85, 40.00), 6),
                None if not placed else round(rng.uniform(116.30, 116.50), 6),
                f"{rng.choice(streets)}{rng.randint(1, 400)}号" if placed else "",
                "" if anonymous else f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}",
                "" if anonymous else f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                anonymous,
                _weighted(rng, CHANNELS),
                STATUSES[state],
                prio,
                rng.choice(RESOLUTIONS) if t_resolved else "",
                first_issue + rng.randrange(max(0, i - 500), i) if state == S["merged"] else None,
                1 if t_routed and state != S["rejected"] else None,
                filed,
                _dt(t_closed or t_resolved or t_routed or created),
                _dt(t_routed),
                _dt(t_resolved),
                _dt(t_closed),
            )

    issue_columns = [
        "id",
        "tracking_number",
        "title",
        "description",
        "category",
        "lat",
        "lon",
        "address",
        "contact_name",
        "contact_phone",
        "anonymous",
        "channel",
        "status",
        "priority",
        "resolution",
        "merged_into",
        "routing_version",
        "created_at",
        "updated_at",
        "routed_at",
        "resolved_at",
        "closed_at",
    ]
    copy_rows(
        Issue,
        issue_columns,
        issue_rows(),
        total=issues,
        now=now,
        batch=batch,
        label="issues",
        stream=stream,
    )
    reset_sequence(Issue)

    # ---------------------------------------------------------------- assignments
    rng_times = random.Random(seed + 1)
    first_assignment = next_id(Assignment)
    total_assignments = sum(
        (returned[i] != NONE) + (lead[i] != NONE) + (co1[i] != NONE) + (co2[i] != NONE)
        for i in range(issues)
    )

    def assignment_rows():
        next_pk = first_assignment
        for i in range(issues):
            if returned[i] == NONE and lead[i] == NONE:
                continue
            state = status[i]
            issue_id = first_issue + i
            res_hours = priority_hours[i] * HOUR
            resp_hours = (1 if priority_hours[i] == 24 else 2) * HOUR
            assigned = routed[i]
            if returned[i] != NONE:
                back = assigned + rng_times.uniform(0.5, 8) * HOUR
                if resolved[i]:
                    back = min(back, assigned + (resolved[i] - assigned) / 3)
                back = min(back, now.timestamp() - 1)
                yield (
                    next_pk,
                    issue_id,
                    city[returned[i]].id,
                    "lead",
                    "returned",
                    _dt(assigned),
                    _dt(assigned + resp_hours),
                    _dt(assigned + res_hours),
                    None,
                    _dt(back),
                )
                next_pk += 1
                assigned = back
            if lead[i] == NONE:
                continue
            for role, who in (("lead", lead[i]), ("co_handler", co1[i]), ("co_handler", co2[i])):
                if who == NONE:
                    continue
                accepted = done = None
                if state == S["dispatched"]:
                    a_status = "pending"
                elif state == S["merged"]:
                    a_status = "cancelled"
                    done = min(assigned + rng_times.uniform(0.2, 6) * HOUR, now.timestamp() - 1)
                elif state == S["in_progress"]:
                    a_status = "accepted"
                    if role == "co_handler":
                        a_status = _weighted(
                            rng_times, (("accepted", 70), ("pending", 10), ("done", 20))
                        )
                else:
                    a_status = "done"
                if a_status in ("accepted", "done"):
                    limit = (resolved[i] or now.timestamp()) - assigned
                    accepted = assigned + min(rng_times.uniform(300, 4 * HOUR), limit * 0.3)
                if a_status == "done":
                    end = resolved[i] or now.timestamp()
                    done = (
                        end if role == "lead" else accepted + (end - accepted) * rng_times.random()
                    )
                due = (accepted or assigned) + res_hours
                yield (
                    next_pk,
                    issue_id,
                    city[who].id,
                    role,
                    a_status,
                    _dt(assigned),
                    _dt(assigned + resp_hours),
                    _dt(due),
                    _dt(accepted),
                    _dt(done),
                )
                next_pk += 1

    assignment_columns = [
        "id",
        "issue",
        "agency",
        "role",
        "status",
        "created_at",
        "response_due_at",
        "due_at",
        "accepted_at",
        "done_at",
    ]
    copy_rows(
        Assignment,
        assignment_columns,
        assignment_rows(),
        total=total_assignments,
        now=now,
        batch=batch,
        label="coordination_assignment",
        stream=stream,
    )
    reset_sequence(Assignment)

    # ---------------------------------------------------------------- permissions
    view_issue = Permission.objects.get(content_type__app_label="issues", codename="view_issue")
    first_permission = next_id(IssueGroupObjectPermission)
    holding = [i for i in range(issues) if status[i] in HOLDING]
    total_permissions = sum(
        (lead[i] != NONE) + (co1[i] != NONE) + (co2[i] != NONE) for i in holding
    )

    def permission_rows():
        next_pk = first_permission
        for i in holding:
            for who in (lead[i], co1[i], co2[i]):
                if who != NONE:
                    yield (next_pk, city[who].group_id, view_issue.pk, first_issue + i)
                    next_pk += 1

    copy_rows(
        IssueGroupObjectPermission,
        ["id", "group", "permission", "content_object"],
        permission_rows(),
        total=total_permissions,
        now=now,
        batch=batch * 2,
        label="issues_issuegroupobjectpermission",
        stream=stream,
    )
    reset_sequence(IssueGroupObjectPermission)

    analyze()
    return SeedResult(
        issues=issues,
        agencies=len(city),
        assignments=total_assignments,
        permission_rows=total_permissions,
        categories=len(categories),
        text_source=source,
    )


def _pick_agencies(i, rng, pick_lead, pick_co, lead, co1, co2, returned) -> None:
    """A lead; usually one co-handler, sometimes two or none; now and then a lead the
    dispatcher took back first. All different organisations."""
    chosen = [pick_lead()]
    lead[i] = chosen[0]
    roll = rng.random()
    wanted = 0 if roll < 0.12 else (1 if roll < 0.85 else 2)
    for slot in (co1, co2)[:wanted]:
        for _ in range(5):
            candidate = pick_co()
            if candidate not in chosen:
                slot[i] = candidate
                chosen.append(candidate)
                break
    if rng.random() < 0.03:
        for _ in range(5):
            candidate = pick_lead()
            if candidate not in chosen:
                returned[i] = candidate
                break


def _dt(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


def _categories() -> dict[str | None, list[int]]:
    """The demo city's categories (written by ``seed_demo``'s own code): the ids to draw
    from for each top-level code, and all of them under None."""
    with transaction.atomic():
        seed_categories()
    rows = list(Category.objects.values_list("pk", "code", "parent__code"))
    by_top: dict[str | None, list[int]] = {None: [pk for pk, _code, _parent in rows]}
    for pk, code, parent in rows:
        by_top.setdefault(parent or code, []).append(pk)
    return by_top


def _category(rng: random.Random, categories: dict[str | None, list[int]], label: str | None):
    """Mostly a sub-category under the text's label; sometimes a top-level one, or none."""
    roll = rng.random()
    if roll < 0.05:
        return None
    tops = TOPS_FOR_LABEL.get(label or "")
    pool = categories[rng.choice(tops)] if tops else categories[None]
    return rng.choice(pool)


def _load_agencies(city: list[CityAgency], *, now: datetime, stream: TextIO) -> None:
    first_group = next_id(Group)
    for n, agency in enumerate(city):
        agency.group_id = first_group + n
    copy_rows(
        Group,
        ["id", "name"],
        ((a.group_id, f"agency:{a.code}") for a in city),
        total=len(city),
        now=now,
        label="auth_group",
        stream=stream,
    )
    reset_sequence(Group)
    first_agency = next_id(Agency)
    ids = {}
    for n, agency in enumerate(city):
        agency.id = first_agency + n
        ids[agency.code] = agency.id
    rows = (
        (
            a.id,
            a.code,
            a.name_zh,
            a.name_en,
            a.kind,
            ids.get(a.parent) if a.parent else None,
            a.group_id,
        )
        for a in city
    )
    copy_rows(
        Agency,
        ["id", "code", "name_zh", "name_en", "kind", "parent", "group"],
        rows,
        total=len(city),
        now=now,
        label="agencies_agency",
        stream=stream,
    )
    reset_sequence(Agency)


def analyze() -> None:
    """Fresh planner statistics (and, outside a transaction, the visibility map that
    autovacuum would have written by now, so index-only scans work as in production)."""
    tables = [m._meta.db_table for m in (Issue, Assignment, IssueGroupObjectPermission, Agency)]
    tables.append(Group._meta.db_table)
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {quoted}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {quoted}")
