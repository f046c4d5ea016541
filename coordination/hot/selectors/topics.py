"""Topics (专题): which a user sees, in which role, and one topic's page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from agencies.models import Agency
from coordination.dispatch.permissions import (
    access_for,
    topic_reach,
    topic_role,
)

from ..models import (
    HotIssue,
    Milestone,
    Support,
    Topic,
    TopicEvent,
    TopicMember,
)
from .board import MemberRow, member_rows

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
