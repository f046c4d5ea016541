"""Who may manage the routing rules."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def can_manage_rules(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Administrators (and whoever they give the rule-set permission) manage routing rules."""
    return user.is_authenticated and user.has_perm("rules.change_ruleset")
