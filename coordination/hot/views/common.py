"""What the hot room's pages share: who may open the board, and the dispatcher's acts."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from coordination.dispatch.permissions import (
    can_see_hot_issues,
    is_dispatcher,
)
from platform_gov.pages import form_error_messages

from ..services import topics as topic_services

BOARD_PAGE_SIZE = 30


def hot_viewer_required(view):
    """The board's pages: the dispatcher, managers and the city's leaders (403 for others)."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not can_see_hot_issues(request.user):
            raise PermissionDenied(_("This page is for the dispatcher, managers and leaders."))
        return view(request, *args, **kwargs)

    return wrapped


def dispatcher_only(request: HttpRequest) -> None:
    """The dispatcher's acts on a hot issue or topic: 404 for anyone else (nothing leaks)."""
    if not is_dispatcher(request.user):
        raise Http404("No such page.")


def create_topic_from_form(request: HttpRequest, form, *, hot_issue=None):
    if not form.is_valid():
        form_error_messages(request, form)
        return None
    data = form.cleaned_data
    milestones = [(data["milestone"], data["milestone_due_on"])] if data.get("milestone") else []
    try:
        topic = topic_services.topic_create(
            actor=request.user,
            title=data["title"],
            goal=data["goal"],
            lead=data["lead"],
            participants=list(data["participants"]),
            due_on=data.get("due_on"),
            hot_issue=hot_issue,
            issues=data.get("issues") or [],
            milestones=milestones,
        )
    except ValidationError as error:
        for messages_ in error.message_dict.values():
            for message in messages_:
                messages.error(request, message)
        return None
    messages.success(request, _("The topic was created."))
    return topic
