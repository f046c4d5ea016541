"""Who may manage the classifier's versions (the issues' own gate is the dispatch room's)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def can_manage_classifier(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Administrators (and whoever they give the permission) activate and roll back
    classifier versions, as they publish rule sets."""
    return user.is_authenticated and user.has_perm("learning.change_classifierversion")
