"""Every write to organisations and their members."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction

from .models import Agency, Membership, MembershipChange


def agency_group(*, agency: Agency) -> Group:
    """The agency's permission group, created on first use.

    Object permissions on issues are granted to this group, and every member of the agency
    is in it, so a member sees what the agency holds without a grant per person.
    """
    if agency.group_id:
        return agency.group
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=f"agency:{agency.code}")
        Agency.objects.filter(pk=agency.pk).update(group=group)
        agency.group = group
    return group


def membership_set(
    *,
    user: AbstractBaseUser,
    agency: Agency,
    role: str,
    actor: AbstractBaseUser | None = None,
    via: str = "",
) -> Membership:
    """Make the user a member of the agency with ``role``; idempotent. Joins its group.

    A new membership or a new role is recorded (``MembershipChange``, by ``actor`` through
    ``via``); setting what is already there records nothing.
    """
    with transaction.atomic():
        before = Membership.objects.filter(user=user, agency=agency).values_list("role", flat=True)
        old_role = next(iter(before), None)
        membership, _ = Membership.objects.update_or_create(
            user=user, agency=agency, defaults={"role": role}
        )
        user.groups.add(agency_group(agency=agency))
        if old_role is None:
            _record(MembershipChange.Kind.JOINED, user, to=(agency, role), actor=actor, via=via)
        elif old_role != role:
            _record(
                MembershipChange.Kind.ROLE,
                user,
                since=(agency, old_role),
                to=(agency, role),
                actor=actor,
                via=via,
            )
    _forget_access(user)
    return membership


def membership_change(
    *,
    membership: Membership,
    user: AbstractBaseUser,
    agency: Agency,
    role: str,
    actor: AbstractBaseUser | None = None,
    via: str = "",
) -> Membership:
    """Change a membership's person, organisation or role (the admin's edit of a row).

    A move to another organisation (or a row given to another person) revokes the old
    membership's access at once: the old person leaves the old organisation's group, through
    which guardian grants its issues, and the old row is gone, so neither its queue nor its
    cases answer on their next request. When the person already belongs to the new
    organisation, the two rows become one. Every change is recorded (``MembershipChange``).
    Returns the membership that now holds.
    """
    with transaction.atomic():
        old = (
            Membership.objects.select_for_update()
            .select_related("user", "agency")
            .get(pk=membership.pk)
        )
        if old.user_id == user.pk and old.agency_id == agency.pk:
            return membership_set(user=user, agency=agency, role=role, actor=actor, via=via)
        old_user, old_agency, old_role = old.user, old.agency, old.role
        target = Membership.objects.filter(user=user, agency=agency).first()
        if target is None:
            old.user, old.agency, old.role = user, agency, role
            old.full_clean()
            old.save()
            target = old
        else:
            old.delete()
            target.role = role
            target.save(update_fields=["role"])
        if old_agency.group_id:
            old_user.groups.remove(old_agency.group)
        user.groups.add(agency_group(agency=agency))
        if old_user.pk == user.pk:
            _record(
                MembershipChange.Kind.MOVED,
                user,
                since=(old_agency, old_role),
                to=(agency, role),
                actor=actor,
                via=via,
            )
        else:
            _record(
                MembershipChange.Kind.LEFT,
                old_user,
                since=(old_agency, old_role),
                actor=actor,
                via=via,
            )
            _record(MembershipChange.Kind.JOINED, user, to=(agency, role), actor=actor, via=via)
    _forget_access(old_user)
    _forget_access(user)
    return target


def membership_remove(
    *, membership: Membership, actor: AbstractBaseUser | None = None, via: str = ""
) -> None:
    """End a membership and take the user out of the agency's group (recorded)."""
    with transaction.atomic():
        if membership.agency.group_id:
            membership.user.groups.remove(membership.agency.group)
        _record(
            MembershipChange.Kind.LEFT,
            membership.user,
            since=(membership.agency, membership.role),
            actor=actor,
            via=via,
        )
        membership.delete()
    _forget_access(membership.user)


def _record(
    kind: str,
    user: AbstractBaseUser,
    *,
    since: tuple[Agency, str] | None = None,
    to: tuple[Agency, str] | None = None,
    actor: AbstractBaseUser | None,
    via: str,
) -> MembershipChange:
    return MembershipChange.objects.create(
        kind=kind,
        user=user,
        username=user.get_username(),
        from_agency=since[0].code if since else "",
        from_role=since[1] if since else "",
        to_agency=to[0].code if to else "",
        to_role=to[1] if to else "",
        actor=actor if actor is not None and actor.is_authenticated else None,
        via=via,
    )


def _forget_access(user: AbstractBaseUser) -> None:
    """Drop what coordination.dispatch.permissions cached on this user object for the request."""
    user.__dict__.pop("_access", None)


def member_language_set(*, user: AbstractBaseUser, language: str) -> int:
    """Remember the language ``user`` reads the platform in, for the e-mails their
    organisations' work sends them. Languages the platform does not have are ignored.
    Returns the memberships changed (none for a resident, who has none)."""
    codes = {code for code, _name in settings.LANGUAGES}
    if not user.is_authenticated or language not in codes:
        return 0
    return Membership.objects.filter(user=user).exclude(language=language).update(language=language)
