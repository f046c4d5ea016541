"""Reads of the hot room: the board, one hot issue, "is it one of these?", topics.

Who may see what is the gate's (``coordination.dispatch.permissions``); these take its answer.
Issues are shown to the public, and to organisations that do not handle them, only as
``coordination.hot.public.public_issue`` shows them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, Area
from coordination.dispatch.models import Assignment
from coordination.dispatch.permissions import (
    access_for,
    issues_visible_to,
    topic_reach,
    topic_role,
)
from issues.models import Category, Issue

from . import text
from .models import (
    HotIssue,
    HotMember,
    HotWarning,
    Milestone,
    Support,
    Topic,
    TopicEvent,
    TopicMember,
)
from .places import cells_around
from .public import PublicIssue, public_issue, public_issues

SORTS = {
    "heat": ("-heat", "-size", "pk"),
    "growth": ("-growth", "-heat", "pk"),
    "size": ("-size", "-heat", "pk"),
    "latest": ("-last_at", "pk"),
}
HANDLING = (Assignment.Status.PENDING, Assignment.Status.ACCEPTED, Assignment.Status.DONE)


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


# --------------------------------------------------------------- "is it one of these?"


@dataclass(frozen=True)
class Nearby:
    issue: PublicIssue
    supports: int
    within_m: int  # the distance rounded up to 100 m: near, not where
    score: float


def _similarity(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b.get(term, 0) for term, count in a.items())
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return dot / norm if norm else 0.0


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def nearby_issues(
    *,
    lat: float,
    lon: float,
    words: str = "",
    km: float = 1.0,
    days: int = 30,
    limit: int = 5,
    now: datetime | None = None,
) -> list[Nearby]:
    """Issues still being handled within ``km`` of a place, filed in the last ``days``, the
    most like ``words`` (what the resident has typed) and nearest first; only those the
    public may see, as the public sees them. Read from the hot members' grid cells, so the
    cost is that of a few cells, not of the city."""
    now = now or timezone.now()
    candidates = list(
        HotMember.objects.filter(
            cell__in=cells_around(lat, lon, km=km),
            at__gte=now - timedelta(days=days),
            issue__status__in=Issue.OPEN_STATUSES,
        )
        .select_related("issue__category")
        .order_by("-at")[:500]
    )
    query = text.terms(text.words(text.normalize(words))) if words.strip() else Counter()
    scored = []
    for member in candidates:
        distance = _km(lat, lon, member.lat, member.lon)
        if distance > km:
            continue
        likeness = _similarity(query, text.terms(text.words(text.normalize(member.issue.title))))
        score = likeness + 0.3 * (1 - distance / km)
        scored.append((score, distance, member))
    scored.sort(key=lambda s: (-s[0], s[1], -s[2].issue_id))
    out = []
    for score, distance, member in scored:
        public = public_issue(member.issue)
        if public is None:
            continue
        out.append(
            Nearby(
                issue=public,
                supports=member.supports,
                within_m=max(100, math.ceil(distance * 10) * 100),
                score=round(score, 3),
            )
        )
        if len(out) == limit:
            break
    return out


def public_issue_for_page(*, issue_id: int) -> tuple[Issue, PublicIssue]:
    """An issue for its public page: 404 unless the public may see it. A merged report
    answers the issue it was merged into."""
    issue = Issue.objects.select_related("category").filter(pk=issue_id).first()
    if issue is not None and issue.status == Issue.Status.MERGED and issue.merged_into_id:
        issue = Issue.objects.select_related("category").get(pk=issue.merged_into_id)
    public = public_issue(issue) if issue is not None else None
    if public is None:
        raise Http404("No such issue.")
    return issue, public


def support_count(issue: Issue) -> int:
    return Support.objects.filter(issue=issue).count()


# ---------------------------------------------------------------------------- topics


def topics_visible_to(user: AbstractBaseUser) -> QuerySet[Topic]:
    """The topics ``user`` may see (the gate's ``topic_reach``), newest first."""
    if not user.is_authenticated:
        return Topic.objects.none()
    reach = topic_reach(user)
    topics = Topic.objects.select_related("lead")
    if reach is not None:
        if not reach:
            return Topic.objects.none()
        topics = topics.filter(
            pk__in=Topic.objects.filter(Q(lead_id__in=reach) | Q(participants__in=reach)).values(
                "pk"
            )
        )
    return topics.order_by("status", "-created_at", "-id")


def topic_for_user(*, user: AbstractBaseUser, topic_id: int) -> tuple[Topic, str]:
    """A topic and the user's role on it (``topic_role``); 404 when they may not see it."""
    topic = Topic.objects.select_related("lead").filter(pk=topic_id).first()
    if topic is None:
        raise Http404("No such topic.")
    role = topic_role(
        user,
        lead_id=topic.lead_id,
        participant_ids=set(topic.participants.values_list("pk", flat=True)),
    )
    if not role:
        raise Http404("No such topic.")
    return topic, role


def topics_in_queue(user: AbstractBaseUser) -> list[Topic]:
    """Active topics an organisation of the user's leads or takes part in: their queue's."""
    reach = access_for(user).reach_ids
    if not reach:
        return []
    topics = list(
        Topic.objects.filter(status=Topic.Status.ACTIVE)
        .filter(
            pk__in=Topic.objects.filter(Q(lead_id__in=reach) | Q(participants__in=reach)).values(
                "pk"
            )
        )
        .select_related("lead")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "id"))
        )
        .annotate(
            member_count=Count(
                "members", filter=Q(members__status=TopicMember.Status.CONFIRMED), distinct=True
            )
        )
        .order_by("due_on", "-created_at")
    )
    for topic in topics:
        topic.next_milestone = next((m for m in topic.milestones.all() if m.done_at is None), None)
    return topics


@dataclass
class TopicDetail:
    topic: Topic
    role: str
    participants: list[Agency]
    milestones: list[Milestone]
    members: list[MemberRow]
    proposals: list[MemberRow]
    events: list[TopicEvent]
    hot_issues: list[HotIssue]


def topic_detail(*, topic: Topic, role: str, user: AbstractBaseUser) -> TopicDetail:
    memberships = list(topic.members.select_related("issue__category").order_by("added_at", "id"))
    confirmed = [m.issue for m in memberships if m.status == TopicMember.Status.CONFIRMED]
    proposed = [m.issue for m in memberships if m.status == TopicMember.Status.PROPOSED]
    supports = dict(
        Support.objects.filter(issue__in=confirmed + proposed)
        .values("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )
    return TopicDetail(
        topic=topic,
        role=role,
        participants=list(topic.participants.order_by("kind", "code")),
        milestones=list(topic.milestones.select_related("agency")),
        members=member_rows(confirmed, user=user, supports=supports),
        proposals=member_rows(proposed, user=user, supports=supports)
        if role == "dispatcher"
        else [],
        events=list(
            topic.events.select_related("agency", "actor", "milestone").order_by("-at", "-id")[:200]
        ),
        hot_issues=list(topic.hot_issues.filter(merged_into__isnull=True).defer("state")),
    )


# ------------------------------------------------------------ what residents and handlers see


@dataclass(frozen=True)
class PublicTopic:
    """A topic as the residents of its member issues see it."""

    title: str
    goal: str
    lead: str
    participants: list[str]
    status: str
    status_display: str
    due_on: date | None
    summary: str
    completed_at: datetime | None
    milestones: list[tuple[str, date, bool]]
    progress: list[tuple[datetime, str, str]]  # (when, organisation, public note)
    members: int


def issue_public_topics(issue: Issue) -> list[PublicTopic]:
    """The topics ``issue`` is a confirmed member of, as its resident may see them: the
    organisations' names, the goal and milestones, public progress, the outcome."""
    topics = (
        Topic.objects.filter(members__issue=issue, members__status=TopicMember.Status.CONFIRMED)
        .select_related("lead")
        .prefetch_related("participants", "milestones")
        .annotate(
            member_count=Count(
                "members", filter=Q(members__status=TopicMember.Status.CONFIRMED), distinct=True
            )
        )
    )
    out = []
    for topic in topics:
        progress = [
            (e.at, e.agency.name if e.agency else "", e.note)
            for e in topic.events.filter(public=True).select_related("agency").order_by("-at")[:10]
        ]
        out.append(
            PublicTopic(
                title=topic.title,
                goal=topic.goal,
                lead=topic.lead.name,
                participants=[a.name for a in topic.participants.all()],
                status=topic.status,
                status_display=topic.get_status_display(),
                due_on=topic.due_on,
                summary=topic.summary,
                completed_at=topic.completed_at,
                milestones=[
                    (m.title, m.due_on, m.done_at is not None) for m in topic.milestones.all()
                ],
                progress=progress,
                members=topic.member_count,
            )
        )
    return out


@dataclass(frozen=True)
class CaseHotFacts:
    """What the handlers of a case see of the hot room on its page."""

    supports: int
    latest_support: datetime | None
    hot: HotIssue | None
    topics: list[Topic]


def issue_hot_facts(issue: Issue) -> CaseHotFacts:
    support = Support.objects.filter(issue=issue).order_by("-created_at")
    member = HotMember.objects.filter(issue=issue).select_related("hot_issue").first()
    hot = member.hot_issue if member else None
    while hot is not None and hot.merged_into_id:
        hot = HotIssue.objects.get(pk=hot.merged_into_id)
    return CaseHotFacts(
        supports=support.count(),
        latest_support=support.values_list("created_at", flat=True).first(),
        hot=hot if hot is not None and hot.size > 1 else None,
        topics=list(
            Topic.objects.filter(
                members__issue=issue, members__status=TopicMember.Status.CONFIRMED
            ).select_related("lead")
        ),
    )
