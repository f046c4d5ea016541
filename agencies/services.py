"""Every write to organisations and their members."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction

from .models import Agency, Membership


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


def membership_set(*, user: AbstractBaseUser, agency: Agency, role: str) -> Membership:
    """Make the user a member of the agency with ``role``; idempotent. Joins its group."""
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, agency=agency, defaults={"role": role}
        )
        user.groups.add(agency_group(agency=agency))
    _forget_access(user)
    return membership


def membership_remove(*, membership: Membership) -> None:
    """End a membership and take the user out of the agency's group."""
    with transaction.atomic():
        if membership.agency.group_id:
            membership.user.groups.remove(membership.agency.group)
        membership.delete()
    _forget_access(membership.user)


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
