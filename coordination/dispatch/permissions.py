"""The one gate: what a user may see, and what they may do to it.

Every page and endpoint asks here, and nothing else filters by hand:

- **reach** (:func:`access_for`): the organisations a user works for, and for managers every
  organisation below one they manage; read once per request;
- **the dispatcher** (:func:`is_dispatcher`): members of the dispatch centre and
  administrators; the one place this is decided;
- **issues** (:func:`issues_visible_to`, :func:`issue_for_user`): guardian's object
  permission, granted to an organisation's group by the services that assign it;
- **assignments** (:func:`assignment_for_user`): those of the organisations in reach;
- **coordination requests** (:func:`request_for_user`): the dispatcher's alone;
- **contact data** (:func:`contact_level`): full, masked or none, by role on the case;
- **photos**: through the issue (``issue_for_user``), never by their own id;
- **figures** (:func:`can_see_stats`, whose: :func:`stats_agency_ids`) and **webhooks**
  (:func:`managed_agency_ids`);
- **publication** (:func:`can_edit_publication`): who approves what the public sees;
- **hot issues and topics** (:func:`can_see_hot_issues`, :func:`topic_role`,
  :func:`topic_reach`): the hot room asks with ids (it is a layer above this one);
- **the call-takers' console** (:func:`is_operator`, :func:`can_use_desk`) and **the knowledge
  base** (:func:`article_writer_agency_ids`, :func:`can_write_article`,
  :func:`can_review_articles`, :func:`can_read_internal_articles`): asked with ids by the
  knowledge room, a layer above.

What a user may not see answers 404 (``Http404``), whether it exists or not, so that its
existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission
from django.db.models import Q, QuerySet, Subquery
from django.http import Http404

from agencies.models import Agency, Membership
from issues.models import (
    OPERATORS_GROUP,
    Issue,
    IssueGroupObjectPermission,
    IssueUserObjectPermission,
)
from issues.selectors import with_photo_flag

from .models import Assignment, CoordinationRequest

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Access:
    """What a user's memberships give them, read once per request.

    ``member_ids``: the active organisations they work for. ``managed_ids``: those they manage.
    ``reach_ids``: whose work they see and act on: their own organisations, and for managers
    every organisation below one they manage (a street office's manager reaches its
    communities). ``reach_group_ids``: the permission groups of ``reach_ids``, through which
    guardian's object permissions on issues are granted.
    """

    member_ids: frozenset[int] = frozenset()
    managed_ids: frozenset[int] = frozenset()
    reach_ids: frozenset[int] = frozenset()
    reach_group_ids: frozenset[int] = frozenset()
    dispatch_centre_member: bool = False
    kinds: dict[int, str] = field(default_factory=dict)


NO_ACCESS = Access()


def access_for(user: User) -> Access:
    """The user's :class:`Access`, cached on the user object for the request.

    One query for the memberships; a second, over the active organisations' tree, only for
    managers (a few hundred rows of three integers).
    """
    if not user.is_authenticated:
        return NO_ACCESS
    cached = getattr(user, "_access", None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(user=user, agency__active=True).values_list(
            "agency_id", "role", "agency__kind", "agency__group_id"
        )
    )
    member_ids = frozenset(agency_id for agency_id, *_rest in rows)
    managed_ids = frozenset(a for a, role, *_rest in rows if role == Membership.Role.MANAGER)
    kinds = {agency_id: kind for agency_id, _role, kind, _group in rows}
    groups = {agency_id: group for agency_id, _role, _kind, group in rows}
    reach = set(member_ids)
    if managed_ids:
        children: dict[int, list[int]] = {}
        for agency_id, parent_id, kind, group_id in Agency.objects.filter(active=True).values_list(
            "pk", "parent_id", "kind", "group_id"
        ):
            children.setdefault(parent_id, []).append(agency_id)
            kinds[agency_id] = kind
            groups[agency_id] = group_id
        stack = list(managed_ids)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in reach:
                    reach.add(child)
                    stack.append(child)
    access = Access(
        member_ids=member_ids,
        managed_ids=managed_ids,
        reach_ids=frozenset(reach),
        reach_group_ids=frozenset(groups[a] for a in reach if groups.get(a)),
        dispatch_centre_member=any(
            kind == Agency.Kind.DISPATCH_CENTRE for _a, _r, kind, _g in rows
        ),
        kinds=kinds,
    )
    user._access = access
    return access


def reach_agency_ids(user: User) -> list[int]:
    """The agencies whose work the user sees and acts on: their own, and for managers every
    organisation below one they manage."""
    return sorted(access_for(user).reach_ids)


def is_dispatcher(user: User) -> bool:
    """Members of the dispatch centre, and administrators, act as the dispatcher."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or access_for(user).dispatch_centre_member)


def is_agency_member(user: User) -> bool:
    return bool(access_for(user).member_ids)


def can_work_assignment(user: User, assignment: Assignment) -> bool:
    """Staff of the assigned agency, and managers above it, act on its assignment."""
    return assignment.agency_id in access_for(user).reach_ids


def contact_level(*, user: User, issue, assignments) -> str:
    """How much of the resident's contact data ``user`` sees on ``issue``.

    ``full``: the dispatcher, and the staff of the active lead; ``masked`` (the phone as
    138****5678, no name or email): the other agencies on the case; ``none``: everyone else,
    and everyone but the dispatcher when the resident reported anonymously. Enterprise
    partners see nothing unless the resident agreed on the form to share the contact with them;
    then they see what their role on the case gives. Managers see what the organisations
    below them on the case see.
    """
    if is_dispatcher(user):
        return "full"
    if issue.anonymous:
        return "none"
    access = access_for(user)
    best = "none"
    for assignment in assignments:
        if assignment.agency_id not in access.reach_ids:
            continue
        if (
            access.kinds.get(assignment.agency_id) == Agency.Kind.ENTERPRISE_PARTNER
            and not issue.share_contact_with_partners
        ):
            continue
        if assignment.role == Assignment.Role.LEAD and assignment.is_active:
            return "full"
        if assignment.is_active or assignment.status == Assignment.Status.DONE:
            best = "masked"
    return best


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``: enough to recognise, not enough to call."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) < 8:
        return "****"
    return f"{phone[:3]}****{phone[-4:]}"


def can_see_stats(user: User) -> bool:
    """Who sees figures (the dashboard, the stats API, exports, monthly reports): managers of
    any organisation, the dispatcher, administrators, the city's leaders, and the staff of
    enterprise partners (their own organisation's figures only)."""
    if is_dispatcher(user) or is_city_leader(user):
        return True
    access = access_for(user)
    return bool(access.managed_ids or _partner_ids(access))


def _partner_ids(access: Access) -> frozenset[int]:
    return frozenset(
        a for a in access.member_ids if access.kinds.get(a) == Agency.Kind.ENTERPRISE_PARTNER
    )


def stats_agency_ids(user: User) -> frozenset[int] | None:
    """Whose figures ``user`` may see: every organisation's (None) for the dispatcher,
    administrators and the city's leaders; a manager's reach (those they manage and every one
    below) otherwise, and an enterprise partner's staff their own partner only; nobody's
    (empty) for everyone else."""
    if is_dispatcher(user) or is_city_leader(user):
        return None
    access = access_for(user)
    reach = access.reach_ids if access.managed_ids else frozenset()
    return reach | _partner_ids(access)


def issues_in_figures(user: User) -> QuerySet[Issue]:
    """The issues whose figures ``user`` sees drawn from the record itself (the open issues on
    the dashboard's map): every issue for the dispatcher and the city's leaders, else those
    visible to them (:func:`issues_visible_to`)."""
    if not can_see_stats(user):
        return Issue.objects.none()
    if stats_agency_ids(user) is None:
        return Issue.objects.all()
    return issues_visible_to(user)


def can_edit_publication(user: User) -> bool:
    """The dispatcher approves the public summary of an issue, or withholds it from
    publication (``issues.publication``)."""
    return is_dispatcher(user)


def managed_agency_ids(user: User) -> list[int]:
    """The active agencies ``user`` manages: whose webhooks and delivery logs they see."""
    return sorted(access_for(user).managed_ids)


def issues_visible_to(user: AbstractBaseUser) -> QuerySet[Issue]:
    """Every issue the user may see: the one answer to "may this person see this issue?".

    The dispatcher (and administrators) see all. Anyone else sees the issues on which
    guardian's ``issues.view_issue`` is granted to them or to the group of an organisation in
    their reach (their own; for managers also those below): the services grant it when they
    assign an issue to an organisation and take it back when the assignment is returned or
    cancelled. The permission rows live in guardian's direct foreign-key tables, so this is one
    indexed semi-join, whatever the number of issues.
    """
    if not user.is_authenticated:
        return Issue.objects.none()
    if is_dispatcher(user):
        return Issue.objects.all()
    # Built once a request (as ``access_for``, on the user object): building the condition
    # costs about a millisecond, and a case page asks twice. Each caller gets its own copy.
    built = getattr(user, "_visible_issues", None)
    if built is None:
        built = user._visible_issues = _issues_granted_to(user)
    return built.all()


def _issues_granted_to(user: AbstractBaseUser) -> QuerySet[Issue]:
    # The permission's id as a sub-select (an InitPlan): the planner then sizes an agency's
    # rows from the statistics of group_id. Joined by codename instead, it guessed a dozen
    # rows where a busy agency has 200,000, and walked the issues by date for seconds.
    view = Subquery(
        Permission.objects.filter(codename="view_issue", content_type__app_label="issues")
        .order_by()
        .values("pk")[:1]
    )
    own = IssueUserObjectPermission.objects.filter(user=user, permission_id=view)
    groups = access_for(user).reach_group_ids
    if not groups:
        return Issue.objects.filter(pk__in=own.values("content_object_id"))
    granted = IssueGroupObjectPermission.objects.filter(group_id__in=groups, permission_id=view)
    visible = Q(pk__in=granted.values("content_object_id"))
    # An OR of two IN (sub-select) is no semi-join: PostgreSQL tests every issue of the table
    # against both (a count reads all of them). Grants to a person are rare, so they join the
    # condition only when this person has some (one small indexed query, asked once a
    # request: cached on the user object, as ``access_for`` is).
    has_own = getattr(user, "_has_own_issue_grants", None)
    if has_own is None:
        has_own = user._has_own_issue_grants = own.exists()
    if has_own:
        visible |= Q(pk__in=own.values("content_object_id"))
    return Issue.objects.filter(visible)


def issue_for_user(*, user: AbstractBaseUser, issue_id: int, photo_flag: bool = False) -> Issue:
    """One issue the user may see; 404 whether it is missing or forbidden (no leak). With
    ``photo_flag``, it carries ``has_photos`` (``issues.selectors.with_photo_flag``)."""
    # The category's parent too: the publication policy asks for the category's ancestors.
    issues = issues_visible_to(user).select_related("category__parent")
    try:
        return (with_photo_flag(issues) if photo_flag else issues).get(pk=issue_id)
    except Issue.DoesNotExist:
        raise Http404("No such issue.") from None


def assignment_for_user(*, user: User, assignment_id: int) -> Assignment:
    """An assignment the user works on (their organisations', or below one they manage);
    404 whether it is missing or another organisation's."""
    assignment = (
        Assignment.objects.select_related("issue", "agency").filter(pk=assignment_id).first()
    )
    if assignment is None or not can_work_assignment(user, assignment):
        raise Http404("No such assignment.")
    return assignment


def request_for_user(*, user: User, request_id: int) -> CoordinationRequest:
    """A coordination request, for the dispatcher who decides it; 404 for everyone else."""
    if not is_dispatcher(user):
        raise Http404("No such request.")
    found = (
        CoordinationRequest.objects.select_related("issue", "assignment__agency")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise Http404("No such request.")
    return found


# ------------------------------------------------------------------- hot issues and topics
# The hot room (``coordination.hot``) sits above this layer: it asks with ids and plain values,
# and builds its querysets from the answers.

# Granted to the city's leaders (a group): the whole city's hot issues, topics and figures.
CITY_LEADER_PERMISSION = "hot.view_city"


def is_city_leader(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm(CITY_LEADER_PERMISSION))


def can_see_hot_issues(user: User) -> bool:
    """The hot-issue board, warnings and cooperation figures: the dispatcher, managers of any
    organisation and the city's leaders."""
    return is_dispatcher(user) or bool(access_for(user).managed_ids) or is_city_leader(user)


def topic_reach(user: User) -> frozenset[int] | None:
    """Whose topics ``user`` sees: None for every topic (the dispatcher, leaders and
    managers, who see the board), else the organisations in their reach (a topic shows when
    one of them leads or takes part)."""
    if can_see_hot_issues(user):
        return None
    return access_for(user).reach_ids


def topic_role(user: User, *, lead_id: int, participant_ids: frozenset[int] | set[int]) -> str:
    """What ``user`` is on a topic: ``dispatcher`` (steers it), ``lead`` or ``participant``
    (an organisation in their reach leads it or takes part: they report progress),
    ``observer`` (reads it: managers and leaders), or "" (may not see it: 404)."""
    if is_dispatcher(user):
        return "dispatcher"
    reach = access_for(user).reach_ids
    if lead_id in reach:
        return "lead"
    if reach & set(participant_ids):
        return "participant"
    if can_see_hot_issues(user):
        return "observer"
    return ""


def topic_acting_agency_ids(
    user: User, *, lead_id: int, participant_ids: frozenset[int] | set[int]
) -> list[int]:
    """The organisations of the topic ``user`` may act for (report progress, reach a
    milestone): the lead first, then participants, among those in their reach."""
    reach = access_for(user).reach_ids
    ids = [lead_id] if lead_id in reach else []
    return ids + sorted(set(participant_ids) & reach - {lead_id})


def cooperation_reach(user: User) -> frozenset[int] | None:
    """Whose cooperation figures ``user`` sees: None for the whole city (the dispatcher and
    leaders), else the pairs touching an organisation in a manager's reach (empty for
    everyone else)."""
    if is_dispatcher(user) or is_city_leader(user):
        return None
    access = access_for(user)
    return access.reach_ids if access.managed_ids else frozenset()


# ------------------------------------------------- the call-takers' console, the knowledge base


def is_operator(user: User) -> bool:
    """The hotline's call-takers (接线员): members of the ``operators`` group."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_operator", None)
    if cached is None:
        cached = user.groups.filter(name=OPERATORS_GROUP).exists()
        user._is_operator = cached
    return cached


def can_use_desk(user: User) -> bool:
    """The console at /desk/: operators, and the dispatcher (who may take calls too)."""
    return is_operator(user) or is_dispatcher(user)


def article_writer_agency_ids(user: User) -> frozenset[int] | None:
    """For which organisations ``user`` may write knowledge articles: every one (None) for the
    dispatcher; else the organisations in their reach (staff their own, managers those below
    too)."""
    if is_dispatcher(user):
        return None
    return access_for(user).reach_ids


def can_write_article(user: User, *, agency_id: int | None) -> bool:
    """Write or edit an article held by ``agency_id`` (None: asking whether any at all)."""
    if not user.is_authenticated:
        return False
    allowed = article_writer_agency_ids(user)
    if allowed is None:
        return True
    return bool(allowed) if agency_id is None else agency_id in allowed


def can_review_articles(user: User) -> bool:
    """Review before publishing: the dispatch centre alone publishes, sends back and retires
    (an organisation may retire its own)."""
    return is_dispatcher(user)


def can_read_internal_articles(user: User) -> bool:
    """Internal articles: the dispatcher, operators and staff of any organisation."""
    return is_dispatcher(user) or is_operator(user) or is_agency_member(user)
