"""Reads of issues that are more than a ``.get()``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Attachment, Category, Issue, Update


def category_choices() -> QuerySet[Category]:
    """Active categories, parents before their children, for forms and the API."""
    return (
        Category.objects.filter(active=True)
        .select_related("parent")
        .order_by("parent__code", "code")
    )


def issue_by_access_token(*, token: str) -> Issue:
    """The issue behind a resident's link; 404 when no issue has that token."""
    issue = Issue.objects.select_related("category").filter(access_token=token).first()
    if issue is None:
        raise Http404("No issue has this tracking link.")
    return issue


def issue_public_timeline(*, issue: Issue) -> QuerySet[Update]:
    return issue.updates.select_related("agency").order_by("at", "id")


def issues_reported_by(*, user) -> QuerySet[Issue]:
    """The issues a signed-in resident filed, newest first: their "my issues".

    This is the resident's own list, shown the way the tracking page shows an issue (no
    handlers' names, no internal notes); it is not a way into the staff pages, which ask
    ``coordination.dispatch.permissions.issues_visible_to``.
    """
    if not user.is_authenticated:
        return Issue.objects.none()
    return (
        Issue.objects.filter(reporter=user)
        .select_related("category")
        .order_by("-created_at", "-id")
    )


def issue_photos(*, issue: Issue) -> QuerySet[Attachment]:
    """The issue's photos in the order the resident gave them."""
    return issue.attachments.order_by("position", "id")


def issue_photo(*, issue: Issue, photo_id: int) -> Attachment:
    """One photo of this issue; 404 when missing or another issue's (the caller has already
    checked the user may see ``issue``)."""
    attachment = issue.attachments.filter(pk=photo_id).first()
    if attachment is None:
        raise Http404("No such photo.")
    return attachment
