"""What the organisations app does when Django announces something: a member signs in."""

from __future__ import annotations

from django.utils import translation

from .services import member_language_set


def remember_language(sender, request, user, **kwargs) -> None:
    """The language a member signs in with is the one their e-mails are written in."""
    member_language_set(user=user, language=translation.get_language() or "")
