"""Topics (专题, 每月一题): a shared problem made one effort, with a lead and partners.

Every change here writes one ``TopicEvent`` (the topic's counterpart of a Handoff) in the same
transaction as the change, under a lock on the topic row. Who may call what is decided by the
gate (``coordination.dispatch.permissions``: the dispatcher creates and steers topics, the lead
and participants report progress); the views ask it before calling. A refused change raises
``WorkflowError``; bad input a ``ValidationError`` naming the field.

New complaints that join a topic's hot issues are proposed as members
(:func:`topics_propose_new_members`, called by the clusterer) and become members only when
the dispatcher confirms them (:func:`topic_member_decide`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.dispatch.events import publish
from issues.models import Issue
from platform_gov.errors import WorkflowError

from ..events import HotEvent
from ..models import HotIssue, HotMember, Milestone, Topic, TopicEvent, TopicMember

Kind = TopicEvent.Kind
MemberStatus = TopicMember.Status


def _locked(topic_id: int) -> Topic:
    return Topic.objects.select_for_update(of=("self",)).select_related("lead").get(pk=topic_id)


def _require_active(topic: Topic) -> None:
    if not topic.is_active:
        raise WorkflowError(_("This topic is done; reopen it first."), code="topic_done")


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


def _event(topic: Topic, kind: str, *, actor=None, at: datetime | None = None, **fields):
    return TopicEvent.objects.create(
        topic=topic, kind=kind, actor=actor, at=at or timezone.now(), **fields
    )


def _check_agencies(lead: Agency, participants: Sequence[Agency]) -> list[Agency]:
    if lead.kind == Agency.Kind.DISPATCH_CENTRE or not lead.active:
        raise ValidationError({"lead": [_("Choose an active organisation to lead.")]})
    chosen = [a for a in dict.fromkeys(participants) if a.pk != lead.pk]
    if inactive := [a.code for a in chosen if not a.active]:
        raise ValidationError(
            {
                "participants": [
                    _("Inactive organisation: %(codes)s") % {"codes": ", ".join(inactive)}
                ]
            }
        )
    return chosen


def _add_member(
    topic: Topic, issue: Issue, *, source: str, actor, now: datetime, status=MemberStatus.CONFIRMED
) -> TopicMember | None:
    """Make ``issue`` a member (or a proposal), with its event; None if it is one already."""
    member, created = TopicMember.objects.get_or_create(
        topic=topic,
        issue=issue,
        defaults={
            "status": status,
            "source": source,
            "added_at": now,
            "decided_at": now if status == MemberStatus.CONFIRMED else None,
            "decided_by": actor if status == MemberStatus.CONFIRMED else None,
        },
    )
    if not created:
        if member.status != MemberStatus.REJECTED or status != MemberStatus.CONFIRMED:
            return None
        # Taken back in by hand after being turned down or removed.
        member.status, member.source = MemberStatus.CONFIRMED, source
        member.decided_at, member.decided_by = now, actor
        member.save(update_fields=["status", "source", "decided_at", "decided_by"])
    kind = Kind.MEMBER_ADDED if status == MemberStatus.CONFIRMED else Kind.MEMBER_PROPOSED
    _event(topic, kind, actor=actor, at=now, issue=issue, details={"source": source})
    if status == MemberStatus.CONFIRMED:
        publish(HotEvent.TOPIC_MEMBER_JOINED, topic_id=topic.pk, issue_id=issue.pk)
    return member


def _link_hot_issues_of(topic: Topic, issue_ids: Iterable[int]) -> None:
    hot_ids = set(
        HotMember.objects.filter(issue_id__in=list(issue_ids)).values_list(
            "hot_issue_id", flat=True
        )
    )
    if hot_ids:
        topic.hot_issues.add(*HotIssue.objects.filter(pk__in=hot_ids))


def topic_create(
    *,
    actor: AbstractBaseUser,
    title: str,
    goal: str,
    lead: Agency,
    participants: Sequence[Agency] = (),
    due_on: date | None = None,
    hot_issue: HotIssue | None = None,
    issues: Sequence[Issue] = (),
    milestones: Sequence[tuple[str, date]] = (),
) -> Topic:
    """Make a topic of a hot issue (promote it: its complaints become the members) and/or of
    hand-picked issues, with its lead, participants, goal, deadline and milestones.

    Links the hot issues its members are in, so that new complaints joining them are
    proposed. Writes a ``created`` event, one ``member_added`` per issue, one
    ``participant_added`` per organisation and one ``milestone_added`` per milestone; tells
    each member's resident (``topic.member_joined``). Raises ValidationError for an empty
    title or goal, a lead that cannot lead, or no issue at all.
    """
    title = _text(title, "title", _("Give the topic a title."))
    goal = _text(goal, "goal", _("Say what the topic should achieve."))
    chosen = _check_agencies(lead, participants)
    now = timezone.now()
    with transaction.atomic():
        member_issues: list[Issue] = []
        if hot_issue is not None:
            hot = HotIssue.objects.select_for_update().get(pk=hot_issue.pk)
            if hot.merged_into_id:
                hot = HotIssue.objects.get(pk=hot.merged_into_id)
            member_issues += list(
                Issue.objects.filter(hot_member__hot_issue=hot).order_by("created_at", "pk")
            )
        picked = [i for i in issues if i.pk not in {m.pk for m in member_issues}]
        if not member_issues and not picked:
            raise ValidationError({"issues": [_("A topic needs at least one issue.")]})
        topic = Topic(
            title=title, goal=goal, lead=lead, due_on=due_on, created_by=actor, created_at=now
        )
        topic.full_clean()
        topic.save()
        topic.participants.set(chosen)
        if hot_issue is not None:
            topic.hot_issues.add(hot)
        _event(
            topic,
            Kind.CREATED,
            actor=actor,
            at=now,
            agency=lead,
            note=goal,
            details={
                "lead": lead.code,
                "participants": [a.code for a in chosen],
                "hot_issue": hot.pk if hot_issue is not None else None,
                "issues": len(member_issues) + len(picked),
            },
        )
        for agency in chosen:
            _event(topic, Kind.PARTICIPANT_ADDED, actor=actor, at=now, agency=agency)
        for issue in member_issues:
            _add_member(topic, issue, source=TopicMember.Source.HOT_ISSUE, actor=actor, now=now)
        for issue in picked:
            _add_member(topic, issue, source=TopicMember.Source.PICKED, actor=actor, now=now)
        _link_hot_issues_of(topic, [i.pk for i in member_issues + picked])
        for milestone_title, due in milestones:
            _milestone(topic, actor=actor, title=milestone_title, due_on=due, now=now)
    return topic


def topic_add_issues(
    *, topic_id: int, actor: AbstractBaseUser, issues: Sequence[Issue]
) -> list[TopicMember]:
    """The dispatcher adds issues by hand: members at once (their hot issues linked)."""
    if not issues:
        raise ValidationError({"issues": [_("Name at least one issue.")]})
    with transaction.atomic():
        topic = _locked(topic_id)
        _require_active(topic)
        now = timezone.now()
        added = [
            m
            for issue in issues
            if (
                m := _add_member(
                    topic, issue, source=TopicMember.Source.PICKED, actor=actor, now=now
                )
            )
        ]
        _link_hot_issues_of(topic, [i.pk for i in issues])
    return added


def topic_member_decide(
    *, topic_id: int, issue_id: int, actor: AbstractBaseUser, confirm: bool, note: str = ""
) -> TopicMember:
    """The dispatcher confirms a proposed member (it joins, its resident is told) or turns
    it down. Raises WorkflowError unless it is a proposal still waiting."""
    with transaction.atomic():
        topic = _locked(topic_id)
        member = (
            TopicMember.objects.select_for_update()
            .select_related("issue")
            .filter(topic=topic, issue_id=issue_id)
            .first()
        )
        if member is None or member.status != MemberStatus.PROPOSED:
            raise WorkflowError(
                _("This issue is not waiting for a decision on this topic."), code="not_proposed"
            )
        if confirm:
            _require_active(topic)
        now = timezone.now()
        member.status = MemberStatus.CONFIRMED if confirm else MemberStatus.REJECTED
        member.decided_at, member.decided_by = now, actor
        member.save(update_fields=["status", "decided_at", "decided_by"])
        _event(
            topic,
            Kind.MEMBER_CONFIRMED if confirm else Kind.MEMBER_REJECTED,
            actor=actor,
            at=now,
            issue=member.issue,
            note=note,
        )
        if confirm:
            publish(HotEvent.TOPIC_MEMBER_JOINED, topic_id=topic.pk, issue_id=issue_id)
    return member


def topic_member_remove(
    *, topic_id: int, issue_id: int, actor: AbstractBaseUser, note: str
) -> TopicMember:
    """The dispatcher takes an issue out of a topic (it was not the same problem)."""
    note = _text(note, "note", _("Say why the issue is not part of the topic."))
    with transaction.atomic():
        topic = _locked(topic_id)
        member = (
            TopicMember.objects.select_for_update()
            .filter(topic=topic, issue_id=issue_id, status=MemberStatus.CONFIRMED)
            .first()
        )
        if member is None:
            raise WorkflowError(_("This issue is not part of the topic."), code="not_a_member")
        now = timezone.now()
        member.status, member.decided_at, member.decided_by = MemberStatus.REJECTED, now, actor
        member.save(update_fields=["status", "decided_at", "decided_by"])
        _event(topic, Kind.MEMBER_REMOVED, actor=actor, at=now, issue_id=issue_id, note=note)
    return member


def topic_participants_change(
    *,
    topic_id: int,
    actor: AbstractBaseUser,
    add: Sequence[Agency] = (),
    remove: Sequence[Agency] = (),
    note: str = "",
) -> Topic:
    """The dispatcher brings organisations into a topic or lets them leave it."""
    with transaction.atomic():
        topic = _locked(topic_id)
        _require_active(topic)
        now = timezone.now()
        current = set(topic.participants.values_list("pk", flat=True))
        for agency in _check_agencies(topic.lead, add):
            if agency.pk not in current:
                topic.participants.add(agency)
                current.add(agency.pk)
                _event(topic, Kind.PARTICIPANT_ADDED, actor=actor, at=now, agency=agency, note=note)
        for agency in dict.fromkeys(remove):
            if agency.pk in current:
                topic.participants.remove(agency)
                current.discard(agency.pk)
                _event(
                    topic, Kind.PARTICIPANT_REMOVED, actor=actor, at=now, agency=agency, note=note
                )
    return topic


def _milestone(
    topic: Topic, *, actor, title: str, due_on: date, now: datetime, agency: Agency | None = None
) -> Milestone:
    title = _text(title, "title", _("Name the milestone."))
    if due_on is None:
        raise ValidationError({"due_on": [_("Give the milestone a deadline.")]})
    milestone = Milestone(topic=topic, title=title, due_on=due_on, agency=agency, created_at=now)
    milestone.full_clean()
    milestone.save()
    _event(
        topic,
        Kind.MILESTONE_ADDED,
        actor=actor,
        at=now,
        milestone=milestone,
        agency=agency,
        note=title,
        details={"due_on": due_on.isoformat()},
    )
    return milestone


def milestone_add(
    *,
    topic_id: int,
    actor: AbstractBaseUser,
    title: str,
    due_on: date,
    agency: Agency | None = None,
) -> Milestone:
    """A milestone with its deadline (and the organisation that owes it, if one does)."""
    with transaction.atomic():
        topic = _locked(topic_id)
        _require_active(topic)
        return _milestone(
            topic, actor=actor, title=title, due_on=due_on, now=timezone.now(), agency=agency
        )


def milestone_done(
    *, milestone_id: int, actor: AbstractBaseUser, agency: Agency | None, note: str = ""
) -> Milestone:
    """A milestone reached, by the organisation ``agency`` (None: the dispatcher). Raises
    WorkflowError when it is done already or the topic is."""
    with transaction.atomic():
        milestone = Milestone.objects.select_related("topic").get(pk=milestone_id)
        topic = _locked(milestone.topic_id)
        _require_active(topic)
        milestone = Milestone.objects.select_for_update().get(pk=milestone_id)
        if milestone.done_at is not None:
            raise WorkflowError(_("This milestone is reached already."), code="milestone_done")
        now = timezone.now()
        milestone.done_at, milestone.done_by = now, actor
        milestone.save(update_fields=["done_at", "done_by"])
        _event(
            topic,
            Kind.MILESTONE_DONE,
            actor=actor,
            at=now,
            milestone=milestone,
            agency=agency,
            note=(note or "").strip() or milestone.title,
            public=True,
            details={"due_on": milestone.due_on.isoformat(), "late": now.date() > milestone.due_on},
        )
    return milestone


def topic_note(
    *,
    topic_id: int,
    actor: AbstractBaseUser,
    agency: Agency | None,
    note: str,
    public: bool = False,
) -> TopicEvent:
    """A progress note by an organisation of the topic (``agency``; None: the dispatcher).
    ``public`` notes are shown to the residents of the member issues."""
    note = _text(note, "note", _("Write the progress note."))
    with transaction.atomic():
        topic = _locked(topic_id)
        _require_active(topic)
        return _event(topic, Kind.NOTE, actor=actor, agency=agency, note=note, public=public)


def topic_complete(*, topic_id: int, actor: AbstractBaseUser, summary: str) -> Topic:
    """The topic is done: ``summary`` is the outcome its residents are told
    (``topic.completed``). Raises WorkflowError when it is done already."""
    summary = _text(summary, "summary", _("Say what was achieved."))
    with transaction.atomic():
        topic = _locked(topic_id)
        _require_active(topic)
        now = timezone.now()
        topic.status, topic.summary, topic.completed_at = Topic.Status.DONE, summary, now
        topic.save(update_fields=["status", "summary", "completed_at", "updated_at"])
        _event(topic, Kind.COMPLETED, actor=actor, at=now, note=summary, public=True)
        publish(HotEvent.TOPIC_COMPLETED, topic_id=topic.pk)
    return topic


def topic_reopen(*, topic_id: int, actor: AbstractBaseUser, reason: str) -> Topic:
    """A done topic taken up again (the problem came back)."""
    reason = _text(reason, "reason", _("Say why the topic is taken up again."))
    with transaction.atomic():
        topic = _locked(topic_id)
        if topic.is_active:
            raise WorkflowError(_("This topic is under way already."), code="topic_active")
        topic.status, topic.completed_at = Topic.Status.ACTIVE, None
        topic.save(update_fields=["status", "completed_at", "updated_at"])
        _event(topic, Kind.REOPENED, actor=actor, note=reason, public=True)
    return topic


# ----------------------------------------------------------- called by the clusterer


def topics_propose_new_members(members: Iterable[HotMember], *, now: datetime) -> int:
    """New complaints that joined a hot issue linked to an active topic become proposals
    for the dispatcher to confirm. Runs in the clusterer's transaction; returns how many."""
    by_hot: dict[int, list[int]] = {}
    for member in members:
        by_hot.setdefault(member.hot_issue_id, []).append(member.issue_id)
    if not by_hot:
        return 0
    links = Topic.hot_issues.through.objects.filter(
        hotissue_id__in=list(by_hot), topic__status=Topic.Status.ACTIVE
    ).values_list("topic_id", "hotissue_id")
    proposed = 0
    for topic_id, hot_id in links:
        topic = Topic.objects.get(pk=topic_id)
        for issue in Issue.objects.filter(pk__in=by_hot[hot_id]):
            if _add_member(
                topic,
                issue,
                source=TopicMember.Source.MATCHED,
                actor=None,
                now=now,
                status=MemberStatus.PROPOSED,
            ):
                proposed += 1
    return proposed


def topics_follow_merge(final: dict[int, int]) -> None:
    """Hot issues merged into others: the topics linked to them follow the survivors."""
    through = Topic.hot_issues.through
    for gone, survivor in final.items():
        for topic_id in list(
            through.objects.filter(hotissue_id=gone).values_list("topic_id", flat=True)
        ):
            through.objects.get_or_create(topic_id=topic_id, hotissue_id=survivor)
        through.objects.filter(hotissue_id=gone).delete()


def topics_relink_hot_issues() -> None:
    """After a rebuild: each topic is linked to the hot issues its members are in now."""
    for topic in Topic.objects.all():
        confirmed = topic.members.filter(status=MemberStatus.CONFIRMED).values_list(
            "issue_id", flat=True
        )
        _link_hot_issues_of(topic, list(confirmed))
