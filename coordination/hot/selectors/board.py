"""The board, one hot issue with its members, early warnings."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404

from agencies.models import Agency, Area
from coordination.dispatch.models import Assignment
from coordination.dispatch.permissions import (
    issues_visible_to,
)
from issues.models import Category, Issue

from ..models import (
    HotIssue,
    HotMember,
    HotWarning,
    Topic,
)
from ..public import PublicIssue, public_issues
from .common import HANDLING, SORTS

# ------------------------------------------------------------------------------ the board


def area_and_below(area: Area) -> list[int]:
    """Ids of ``area`` and every area inside it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Area.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found, stack = [], [area.pk]
    while stack:
        node = stack.pop()
        if node in found:
            continue
        found.append(node)
        stack.extend(children.get(node, ()))
    return found


def hot_board(
    *,
    sort: str = "heat",
    area: Area | None = None,
    category: Category | None = None,
    include_closed: bool = False,
    min_size: int | None = None,
) -> QuerySet[HotIssue]:
    """Hot issues for the board: open ones (or all), of at least ``min_size`` complaints
    (``HOT_BOARD_MIN_SIZE``), in an area (and the areas inside it) or a top-level category,
    hottest first (``sort``: heat, growth, size, latest)."""
    size = settings.HOT_BOARD_MIN_SIZE if min_size is None else min_size
    hot = HotIssue.objects.filter(merged_into__isnull=True, size__gte=size)
    if not include_closed:
        hot = hot.filter(is_open=True)
    members = HotMember.objects.all()
    if area is not None:
        members = members.filter(area_id__in=area_and_below(area))
    if category is not None:
        members = members.filter(category=category)
    if area is not None or category is not None:
        hot = hot.filter(pk__in=members.values("hot_issue_id"))
    return hot.order_by(*SORTS.get(sort, SORTS["heat"])).defer("state")


@dataclass(frozen=True)
class Handler:
    """An organisation handling complaints of a hot issue, and how many."""

    id: int
    code: str
    name: str
    complaints: int


@dataclass
class BoardRow:
    """A hot issue with what the board shows beside it."""

    hot: HotIssue
    areas: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    agencies: list[Handler] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    warned: bool = False


def board_rows(hot_issues: list[HotIssue]) -> list[BoardRow]:
    """Decorate a page of hot issues in four queries: areas' and categories' names, the
    organisations handling their complaints, their topics, their open warnings."""
    ids = [h.pk for h in hot_issues]
    area_names = {
        a.code: a.name
        for a in Area.objects.filter(code__in={c for h in hot_issues for c in h.areas})
    }
    category_names = {
        c.code: c.name
        for c in Category.objects.filter(code__in={c for h in hot_issues for c in h.categories})
    }
    handling: dict[int, Counter] = defaultdict(Counter)
    rows = (
        Assignment.objects.filter(issue__hot_member__hot_issue_id__in=ids, status__in=HANDLING)
        .values_list("issue__hot_member__hot_issue_id", "agency_id")
        .annotate(n=Count("issue_id", distinct=True))
    )
    agency_ids = set()
    for hot_id, agency_id, n in rows:
        handling[hot_id][agency_id] += n
        agency_ids.add(agency_id)
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=agency_ids)}
    topics: dict[int, list[Topic]] = defaultdict(list)
    for topic in Topic.objects.filter(hot_issues__in=ids).prefetch_related(
        Prefetch("hot_issues", queryset=HotIssue.objects.filter(pk__in=ids).only("pk"))
    ):
        for linked in topic.hot_issues.all():
            topics[linked.pk].append(topic)
    warned = set(
        HotWarning.objects.filter(hot_issue_id__in=ids, ended_at__isnull=True).values_list(
            "hot_issue_id", flat=True
        )
    )
    return [
        BoardRow(
            hot=h,
            areas=[area_names.get(c, c) for c in h.areas],
            categories=[category_names.get(c, c) for c in h.categories],
            agencies=[
                Handler(id=a, code=agencies[a].code, name=agencies[a].name, complaints=n)
                for a, n in handling[h.pk].most_common(5)
                if a in agencies
            ],
            topics=topics.get(h.pk, []),
            warned=h.pk in warned,
        )
        for h in hot_issues
    ]


def hot_issue_get(hot_id: int) -> HotIssue:
    """A hot issue by id (404 when missing); one merged away answers its survivor."""
    hot = HotIssue.objects.filter(pk=hot_id).first()
    if hot is None:
        raise Http404("No such hot issue.")
    seen = {hot.pk}
    while hot.merged_into_id and hot.merged_into_id not in seen:
        seen.add(hot.merged_into_id)
        hot = HotIssue.objects.get(pk=hot.merged_into_id)
    return hot


@dataclass(frozen=True)
class MemberRow:
    """A complaint of a hot issue or topic as this viewer may see it: the public part, the
    case page's link only for those who may open it."""

    issue_id: int
    public: PublicIssue | None
    title: str  # the public title, or the case's own for those who may see the case
    status: str
    filed_at: datetime
    visible: bool
    supports: int = 0


def member_rows(
    issues: list[Issue], *, user: AbstractBaseUser, supports: dict[int, int] | None = None
) -> list[MemberRow]:
    """``issues`` as ``user`` may see them (for staff pages: the board, topics)."""
    visible = (
        set(
            issues_visible_to(user)
            .filter(pk__in=[i.pk for i in issues])
            .values_list("pk", flat=True)
        )
        if user.is_authenticated
        else set()
    )
    shown = {p.id: p for p in public_issues(issues)}
    supports = supports or {}
    rows = []
    for issue in issues:
        public = shown.get(issue.pk)
        if issue.pk in visible:
            title = issue.title
        elif public is not None:
            title = public.title
        else:
            title = ""
        rows.append(
            MemberRow(
                issue_id=issue.pk,
                public=public,
                title=title,
                status=issue.get_status_display(),
                filed_at=issue.created_at,
                visible=issue.pk in visible,
                supports=supports.get(issue.pk, 0),
            )
        )
    return rows


@dataclass
class HotIssueDetail:
    hot: HotIssue
    row: BoardRow
    members: list[MemberRow]
    member_count: int
    trend: list[tuple[date, int]]
    points: list[tuple[float, float]]
    warnings: list[HotWarning]
    area_shapes: list[dict]


MEMBERS_SHOWN = 100


def hot_issue_detail(*, hot: HotIssue, user: AbstractBaseUser) -> HotIssueDetail:
    """One hot issue: its newest complaints (``MEMBERS_SHOWN``), complaints per day, their
    places (rounded to about 100 m) and areas for the map, warnings and topics."""
    members = HotMember.objects.filter(hot_issue=hot)
    newest = list(
        members.select_related("issue__category").order_by("-at", "-issue_id")[:MEMBERS_SHOWN]
    )
    trend = [
        (row["day"], row["n"])
        for row in members.annotate(day=TruncDate("at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    ]
    points = [
        (round(lat, 3), round(lon, 3))
        for lat, lon in members.filter(lat__isnull=False, lon__isnull=False).values_list(
            "lat", "lon"
        )[:2000]
    ]
    area_ids = set(members.exclude(area=None).values_list("area_id", flat=True))
    shapes = [
        {"code": a.code, "name": a.name, "geometry": a.geometry}
        for a in Area.objects.filter(pk__in=area_ids)
    ]
    return HotIssueDetail(
        hot=hot,
        row=board_rows([hot])[0],
        members=member_rows(
            [m.issue for m in newest], user=user, supports={m.issue_id: m.supports for m in newest}
        ),
        member_count=members.count(),
        trend=trend,
        points=points,
        warnings=list(HotWarning.objects.filter(hot_issue=hot)[:10]),
        area_shapes=shapes,
    )


def warnings_recent(*, limit: int = 20) -> QuerySet[HotWarning]:
    """Open warnings first, then the latest ended ones."""
    return HotWarning.objects.select_related("area", "category", "hot_issue").order_by(
        "-ended_at", "-started_at"
    )[:limit]


def warnings_open() -> QuerySet[HotWarning]:
    return HotWarning.objects.filter(ended_at__isnull=True).select_related(
        "area", "category", "hot_issue"
    )
