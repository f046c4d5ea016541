"""Who may see and do what in the dispatcher's workflow. Views and the API ask here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from agencies.models import Agency, Membership

from .models import Assignment

User = AbstractBaseUser | AnonymousUser


def user_agency_ids(user: User) -> list[int]:
    """The agencies the user works for (cached on the user object for the request)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_agency_ids", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, agency__active=True).values_list(
                "agency_id", flat=True
            )
        )
        user._agency_ids = cached
    return cached


def is_dispatcher(user: User) -> bool:
    """Members of the dispatch centre, and administrators, act as the dispatcher."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Agency.objects.filter(
        pk__in=user_agency_ids(user), kind=Agency.Kind.DISPATCH_CENTRE
    ).exists()


def is_agency_member(user: User) -> bool:
    return bool(user_agency_ids(user))


def can_work_assignment(user: User, assignment: Assignment) -> bool:
    """Staff of the assigned agency act on its assignment; nobody else does."""
    return assignment.agency_id in user_agency_ids(user)


def can_manage_rules(user: User) -> bool:
    """Administrators (and whoever they give the rule-set permission) manage routing rules."""
    return user.is_authenticated and user.has_perm("coordination.change_ruleset")


def contact_level(*, user: User, issue, assignments) -> str:
    """How much of the resident's contact data ``user`` sees on ``issue``.

    ``full``: the dispatcher, and the staff of the active lead; ``masked`` (the phone as
    138****5678, no name or email): the other agencies on the case; ``none``: everyone else,
    and everyone but the dispatcher when the resident reported anonymously.
    """
    if is_dispatcher(user):
        return "full"
    if issue.anonymous:
        return "none"
    mine = set(user_agency_ids(user))
    held = [a for a in assignments if a.agency_id in mine]
    if any(a.role == Assignment.Role.LEAD and a.is_active for a in held):
        return "full"
    if any(a.is_active or a.status == Assignment.Status.DONE for a in held):
        return "masked"
    return "none"


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
    if not user.is_authenticated:
        return False
    return (
        is_dispatcher(user)
        or Membership.objects.filter(
            user=user, role=Membership.Role.MANAGER, agency__active=True
        ).exists()
    )


def managed_agency_ids(user: User) -> list[int]:
    """The active agencies ``user`` manages: whose webhooks and delivery logs they see."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(
            user=user, role=Membership.Role.MANAGER, agency__active=True
        ).values_list("agency_id", flat=True)
    )


def contact_access_record(*, user: User, issue, level: str, via: str) -> None:
    """Write the audit row for a view of a resident's contact (nothing when none was shown).

    Only ids and the level are recorded: the contact itself never goes into a log.
    """
    from .models import ContactAccess

    if level in (ContactAccess.Level.FULL, ContactAccess.Level.MASKED) and (
        issue.contact_name or issue.contact_phone or issue.contact_email
    ):
        ContactAccess.objects.create(user=user, issue=issue, level=level, via=via)
