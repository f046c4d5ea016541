"""The demo logins: an administrator, the dispatcher, a resident, and staff and a manager
for every organisation."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from agencies.models import Agency, Membership
from agencies.services import membership_set

FEATURED_LOGINS: tuple[str, ...] = (
    "admin",
    "dispatcher",
    "operator",
    "leader",
    "staff_housing",
    "manager_housing",
    "staff_street-east",
    "staff_community-binhe",
    "staff_power",
    "staff_youth-league",
    "resident",
)


class Login(NamedTuple):
    username: str
    role: str
    organisation: str


class _Passwords:
    """One hash of the demo password, made on first need and shared by every demo user.

    Hashing is slow on purpose (PBKDF2); doing it once instead of fifty times keeps the
    command fast. The shared salt costs nothing here: the password is printed on screen.
    """

    def __init__(self, password: str) -> None:
        self._password = password
        self._hash: str | None = None

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = make_password(self._password)
        return self._hash


def _user(
    username: str, *, passwords: _Passwords, reset: bool, admin: bool = False
) -> tuple[AbstractBaseUser, bool]:
    """The demo user ``username``; the password is set only when new or when ``reset``."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(username=username).first()
    created = user is None
    if user is None:
        user = user_model(username=username)
    values = {
        "email": f"{username}@example.org",
        "is_active": True,
        "is_staff": admin,
        "is_superuser": admin,
    }
    if created or reset or any(getattr(user, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(user, field, value)
        if created or reset:
            user.password = passwords.hash
        user.full_clean()
        user.save()
    return user, created


def seed_users(
    agencies: dict[str, Agency], *, password: str, reset: bool
) -> tuple[list[Login], int]:
    """``admin``, ``dispatcher``, ``resident``, and ``staff_<code>`` and ``manager_<code>``
    per agency."""
    passwords = _Passwords(password)
    logins: list[Login] = []
    created = 0

    created += _user("admin", passwords=passwords, reset=reset, admin=True)[1]
    logins.append(Login("admin", _("administrator"), _("Django admin, /admin/")))

    dispatch = agencies["dispatch"]
    user, new = _user("dispatcher", passwords=passwords, reset=reset)
    membership_set(user=user, agency=dispatch, role=Membership.Role.MANAGER)
    logins.append(Login("dispatcher", Membership.Role.MANAGER.label, dispatch.name))
    created += new

    # A resident's account: no organisation; it lists the issues filed while signed in.
    created += _user("resident", passwords=passwords, reset=reset)[1]
    logins.append(Login("resident", _("resident"), _("my issues, /my/issues/")))

    for agency in agencies.values():
        if agency.is_dispatch_centre:
            continue
        for role in (Membership.Role.STAFF, Membership.Role.MANAGER):
            username = f"{role.value}_{agency.code}"
            user, new = _user(username, passwords=passwords, reset=reset)
            membership_set(user=user, agency=agency, role=role)
            logins.append(Login(username, role.label, agency.name))
            created += new
    return logins, created
