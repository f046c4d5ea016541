"""What residents and handlers see: "is it one of these?", public pages, a case's hot facts."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import BooleanField, Count, IntegerField, Q
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from issues.models import Issue

from .. import text
from ..models import (
    HotIssue,
    HotMember,
    Support,
    Topic,
    TopicMember,
)
from ..places import cells_around
from ..public import PublicIssue, public_issue

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


@dataclass(frozen=True)
class HotMarks:
    """What the hot room knows of one issue, in one query: how many said "me too" and when
    last, the hot issue it joined, and whether it is in a topic (most issues are in none, so
    the topics' larger query runs only when it is)."""

    supports: int
    latest_support: datetime | None
    hot_issue_id: int | None
    in_topic: bool


# The marks as sub-selects of an issue query: ``issues.selectors.issue_tracked`` reads them in
# the tracking page's issue statement (registered in ``coordination/hot/apps.py``).
_MARK_COLUMNS = ("hot_mark_supports", "hot_mark_hot_issue_id", "hot_mark_in_topic")


def _marks_sql(issue_id: str) -> tuple[str, str, str]:
    """The three sub-selects, of the issue whose id is the SQL ``issue_id``. Written as SQL: the
    ORM spent 1.5 ms compiling them, on a page (the tracking page) whose every other part costs
    about as much; PostgreSQL answers in 0.1 ms. Only table names are put in the text."""
    quote = connection.ops.quote_name
    support, member, topic_member = (
        quote(model._meta.db_table) for model in (Support, HotMember, TopicMember)
    )
    return (
        f"(SELECT COUNT(*) FROM {support} WHERE issue_id = {issue_id})",  # noqa: S608
        f"(SELECT hot_issue_id FROM {member} WHERE issue_id = {issue_id})",  # noqa: S608
        f"EXISTS (SELECT 1 FROM {topic_member} WHERE issue_id = {issue_id} AND status = %s)",  # noqa: S608
    )


def hot_mark_expressions() -> dict[str, RawSQL]:
    """The marks as annotations of an issue query, named as ``issue_hot_marks`` reads them."""
    issue_id = (
        f"{connection.ops.quote_name(Issue._meta.db_table)}.{connection.ops.quote_name('id')}"
    )
    supports, hot_issue, in_topic = _marks_sql(issue_id)
    return {
        "hot_mark_supports": RawSQL(supports, (), output_field=IntegerField()),  # noqa: S611
        "hot_mark_hot_issue_id": RawSQL(hot_issue, (), output_field=IntegerField()),  # noqa: S611
        "hot_mark_in_topic": RawSQL(  # noqa: S611
            in_topic, (TopicMember.Status.CONFIRMED,), output_field=BooleanField()
        ),
    }


def issue_hot_marks(issue: Issue) -> HotMarks:
    """The issue's marks: from its annotations when its query read them
    (``hot_mark_expressions``), else in one statement of their own. The latest support's time
    is asked only of an issue that has some (a few)."""
    if all(hasattr(issue, column) for column in _MARK_COLUMNS):
        supports, hot_issue_id, in_topic = (getattr(issue, column) for column in _MARK_COLUMNS)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(_marks_sql("%s")),
                [issue.pk, issue.pk, issue.pk, TopicMember.Status.CONFIRMED],
            )
            supports, hot_issue_id, in_topic = cursor.fetchone()
    latest = None
    if supports:
        latest = (
            Support.objects.filter(issue=issue)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    return HotMarks(
        supports=supports, latest_support=latest, hot_issue_id=hot_issue_id, in_topic=bool(in_topic)
    )


def issue_public_topics(issue: Issue, *, marks: HotMarks | None = None) -> list[PublicTopic]:
    """The topics ``issue`` is a confirmed member of, as its resident may see them: the
    organisations' names, the goal and milestones, public progress, the outcome. With the
    issue's ``marks`` read already, an issue in no topic costs no query."""
    if marks is not None and not marks.in_topic:
        return []
    topic_ids = list(
        TopicMember.objects.filter(issue=issue, status=TopicMember.Status.CONFIRMED).values_list(
            "topic_id", flat=True
        )
    )
    if not topic_ids:
        return []
    topics = (
        Topic.objects.filter(pk__in=topic_ids)
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
    """One query (the case page is opened all day) for an issue in no hot issue and no
    topic; one more for each it is in."""
    marks = issue_hot_marks(issue)
    hot = None
    if marks.hot_issue_id is not None:
        hot = HotIssue.objects.filter(pk=marks.hot_issue_id).first()
    while hot is not None and hot.merged_into_id:
        hot = HotIssue.objects.get(pk=hot.merged_into_id)
    topics = []
    if marks.in_topic:
        topics = list(
            Topic.objects.filter(
                members__issue=issue, members__status=TopicMember.Status.CONFIRMED
            ).select_related("lead")
        )
    return CaseHotFacts(
        supports=marks.supports,
        latest_support=marks.latest_support,
        hot=hot if hot is not None and hot.size > 1 else None,
        topics=topics,
    )
