"""Who may see and do what in the dispatcher's workflow. Views and the API ask here."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from agencies.models import Agency, Membership

from .models import Assignment

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


def can_manage_rules(user: User) -> bool:
    """Administrators (and whoever they give the rule-set permission) manage routing rules."""
    return user.is_authenticated and user.has_perm("coordination.change_ruleset")


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
    """Managers of any organisation, the dispatcher and administrators see the rates."""
    return is_dispatcher(user) or bool(access_for(user).managed_ids)


def managed_agency_ids(user: User) -> list[int]:
    """The active agencies ``user`` manages: whose webhooks and delivery logs they see."""
    return sorted(access_for(user).managed_ids)


def contact_access_record(*, user: User, issue, level: str, via: str) -> None:
    """Write the audit row for a view of a resident's contact (nothing when none was shown).

    Only ids and the level are recorded: the contact itself never goes into a log.
    """
    from .models import ContactAccess

    if level in (ContactAccess.Level.FULL, ContactAccess.Level.MASKED) and (
        issue.contact_name or issue.contact_phone or issue.contact_email
    ):
        ContactAccess.objects.create(user=user, issue=issue, level=level, via=via)
