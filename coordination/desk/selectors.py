"""What the console reads as the call-taker types: the caller's earlier issues, similar open
issues, the classifier's guess."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from coordination.knowledge.text import query_tokens
from coordination.learning.selectors import category_guess
from issues.models import Category, Issue

HISTORY = 20
SIMILAR_WINDOW = timedelta(days=30)
SIMILAR_WORDS = 4
SIMILAR_CANDIDATES = 200


def normalised_phone(phone: str) -> str:
    """The digits of a number as said on the phone (spaces, dashes and +86 left out)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def caller_issues(phone: str) -> QuerySet[Issue]:
    """The caller's earlier issues, newest first (a number of at least 7 digits: a shorter one
    matches too many)."""
    digits = normalised_phone(phone)
    if len(digits) < 7:
        return Issue.objects.none()
    return (
        Issue.objects.filter(Q(contact_phone=digits) | Q(contact_phone__endswith=digits[-11:]))
        .select_related("category")
        .order_by("-created_at")[:HISTORY]
    )


def similar_open_issues(text: str, *, limit: int = 5) -> list[Issue]:
    """Open issues of the last 30 days whose title or description holds the most of the
    text's longest words (a caller about something already reported)."""
    words = sorted(query_tokens(text), key=len, reverse=True)[:SIMILAR_WORDS]
    if not words:
        return []
    match = Q()
    for word in words:
        match |= Q(title__icontains=word) | Q(description__icontains=word)
    found = list(
        Issue.objects.filter(
            match,
            status__in=Issue.OPEN_STATUSES,
            created_at__gte=timezone.now() - SIMILAR_WINDOW,
        )
        .select_related("category")
        .order_by("-created_at")[:SIMILAR_CANDIDATES]
    )

    def hits(issue: Issue) -> int:
        said = f"{issue.title} {issue.description}".lower()
        return sum(1 for w in words if w in said)

    found.sort(key=lambda i: (-hits(i), -i.created_at.timestamp()))
    return found[:limit]


def suggested_category(*, title: str, description: str) -> Category | None:
    """The active classifier's confident guess for the caller's words (None without one)."""
    guess = category_guess(issue=Issue(title=title, description=description))
    if guess is None or not guess.confident or not guess.top:
        return None
    return guess.top[0][0]
