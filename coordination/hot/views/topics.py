"""Topics (专题): the list, a new one, a topic's page and every step taken on it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from coordination.dispatch.permissions import (
    can_see_hot_issues,
    is_agency_member,
    is_dispatcher,
    topic_acting_agency_ids,
)
from platform_gov.pages import act

from .. import forms as hot_forms
from ..models import Milestone
from ..selectors import (
    topic_detail,
    topic_for_user,
    topics_visible_to,
)
from ..services import topics as topic_services
from .common import BOARD_PAGE_SIZE, create_topic_from_form, dispatcher_only

# ------------------------------------------------------------------------------- topics


@login_required
def topics(request: HttpRequest) -> HttpResponse:
    """The topics the user may see: all of them for the board's viewers, else those their
    organisations lead or take part in. 403 for residents."""
    listed = topics_visible_to(request.user)
    if not (can_see_hot_issues(request.user) or is_agency_member(request.user)):
        raise PermissionDenied(_("This page is for the staff of an organisation."))
    page = Paginator(listed, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "hot/topics.html",
        {
            "page": page,
            "rows": page.object_list,
            "new_form": hot_forms.TopicForm() if is_dispatcher(request.user) else None,
        },
    )


@require_POST
@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    """A topic of hand-picked issues (the dispatcher)."""
    dispatcher_only(request)
    topic = create_topic_from_form(request, hot_forms.TopicForm(request.POST))
    if topic is None:
        return redirect("coordination:topics")
    return redirect("coordination:topic", topic_id=topic.pk)


@login_required
def topic(request: HttpRequest, topic_id: int) -> HttpResponse:
    found, role = topic_for_user(user=request.user, topic_id=topic_id)
    detail = topic_detail(topic=found, role=role, user=request.user)
    acting = _acting_agencies(request, found)
    dispatcher = role == "dispatcher"
    context = {
        "detail": detail,
        "topic": found,
        "role": role,
        "can_note": found.is_active and (dispatcher or bool(acting)),
        "can_steer": dispatcher,
        "acting": acting,
        "acting_ids": [a.pk for a in acting],
    }
    if found.is_active and (dispatcher or acting):
        context["note_form"] = hot_forms.NoteForm(agencies=acting)
    if dispatcher:
        context.update(
            milestone_form=hot_forms.MilestoneForm(topic=found),
            issues_form=hot_forms.IssuesForm(),
            participants_form=hot_forms.ParticipantsForm(topic=found),
            complete_form=hot_forms.CompleteForm(),
            reopen_form=hot_forms.ReasonForm(),
        )
    return render(request, "hot/topic.html", context)


def _acting_agencies(request: HttpRequest, topic) -> list[Agency]:
    ids = topic_acting_agency_ids(
        request.user,
        lead_id=topic.lead_id,
        participant_ids=set(topic.participants.values_list("pk", flat=True)),
    )
    agencies = {a.pk: a for a in Agency.objects.filter(pk__in=ids)}
    return [agencies[pk] for pk in ids if pk in agencies]


def _back(topic_id: int) -> HttpResponse:
    return redirect("coordination:topic", topic_id=topic_id)


def _steer(request: HttpRequest, topic_id: int):
    """The topic, for the dispatcher's acts on it: 404 for anyone else."""
    found, role = topic_for_user(user=request.user, topic_id=topic_id)
    if role != "dispatcher":
        raise Http404("No such topic.")
    return found


def _act(request, form, service, success) -> None:
    """``platform_gov.pages.act``, with a service's field errors shown as messages too."""
    try:
        act(request, form, service, success)
    except ValidationError as error:
        for field_messages in error.message_dict.values():
            for message in field_messages:
                messages.error(request, message)


@require_POST
@login_required
def topic_note(request: HttpRequest, topic_id: int) -> HttpResponse:
    """A progress note by the lead, a participant or the dispatcher."""
    found, role = topic_for_user(user=request.user, topic_id=topic_id)
    acting = _acting_agencies(request, found)
    if role != "dispatcher" and not acting:
        raise Http404("No such topic.")
    form = hot_forms.NoteForm(request.POST, agencies=acting)

    def note(data):
        agency_id = data.get("agency")
        agency = next((a for a in acting if a.pk == agency_id), acting[0] if acting else None)
        return topic_services.topic_note(
            topic_id=found.pk,
            actor=request.user,
            agency=agency if role != "dispatcher" or agency_id else None,
            note=data["note"],
            public=data["public"],
        )

    _act(request, form, note, _("Progress recorded."))
    return _back(found.pk)


@require_POST
@login_required
def topic_milestone_add(request: HttpRequest, topic_id: int) -> HttpResponse:
    found = _steer(request, topic_id)
    _act(
        request,
        hot_forms.MilestoneForm(request.POST, topic=found),
        lambda data: topic_services.milestone_add(
            topic_id=found.pk,
            actor=request.user,
            title=data["title"],
            due_on=data["due_on"],
            agency=data.get("agency"),
        ),
        _("Milestone set."),
    )
    return _back(found.pk)


@require_POST
@login_required
def topic_milestone_done(request: HttpRequest, topic_id: int, milestone_id: int) -> HttpResponse:
    """A milestone reached: by the dispatcher, the lead, or the organisation it belongs to."""
    found, role = topic_for_user(user=request.user, topic_id=topic_id)
    milestone = Milestone.objects.filter(pk=milestone_id, topic=found).first()
    if milestone is None:
        raise Http404("No such milestone.")
    acting = _acting_agencies(request, found)
    allowed = [a for a in acting if a.pk == found.lead_id or a.pk == milestone.agency_id]
    if role != "dispatcher" and not allowed:
        raise Http404("No such milestone.")
    _act(
        request,
        hot_forms.MilestoneDoneForm(request.POST),
        lambda data: topic_services.milestone_done(
            milestone_id=milestone.pk,
            actor=request.user,
            agency=allowed[0] if allowed else None,
            note=data.get("note", ""),
        ),
        _("Milestone reached."),
    )
    return _back(found.pk)


@require_POST
@login_required
def topic_issues_add(request: HttpRequest, topic_id: int) -> HttpResponse:
    found = _steer(request, topic_id)
    _act(
        request,
        hot_forms.IssuesForm(request.POST),
        lambda data: topic_services.topic_add_issues(
            topic_id=found.pk, actor=request.user, issues=data["issues"]
        ),
        _("Issues added to the topic."),
    )
    return _back(found.pk)


@require_POST
@login_required
def topic_member_decide(
    request: HttpRequest, topic_id: int, issue_id: int, decision: str
) -> HttpResponse:
    """Confirm or turn down a proposed member, or remove a member (the dispatcher)."""
    found = _steer(request, topic_id)
    form = hot_forms.DecisionForm(request.POST)
    if decision == "remove":
        _act(
            request,
            form,
            lambda data: topic_services.topic_member_remove(
                topic_id=found.pk,
                issue_id=issue_id,
                actor=request.user,
                note=data.get("note") or "",
            ),
            _("The issue was taken out of the topic."),
        )
    else:
        _act(
            request,
            form,
            lambda data: topic_services.topic_member_decide(
                topic_id=found.pk,
                issue_id=issue_id,
                actor=request.user,
                confirm=decision == "confirm",
                note=data.get("note") or "",
            ),
            _("The issue joined the topic.")
            if decision == "confirm"
            else _("The proposal was turned down."),
        )
    return _back(found.pk)


@require_POST
@login_required
def topic_participants(request: HttpRequest, topic_id: int) -> HttpResponse:
    found = _steer(request, topic_id)
    _act(
        request,
        hot_forms.ParticipantsForm(request.POST, topic=found),
        lambda data: topic_services.topic_participants_change(
            topic_id=found.pk,
            actor=request.user,
            add=list(data["add"]),
            remove=list(data["remove"]),
            note=data.get("note") or "",
        ),
        _("The organisations of the topic were changed."),
    )
    return _back(found.pk)


@require_POST
@login_required
def topic_complete(request: HttpRequest, topic_id: int) -> HttpResponse:
    found = _steer(request, topic_id)
    _act(
        request,
        hot_forms.CompleteForm(request.POST),
        lambda data: topic_services.topic_complete(
            topic_id=found.pk, actor=request.user, summary=data["summary"]
        ),
        _("The topic is done; its residents are being told."),
    )
    return _back(found.pk)


@require_POST
@login_required
def topic_reopen(request: HttpRequest, topic_id: int) -> HttpResponse:
    found = _steer(request, topic_id)
    _act(
        request,
        hot_forms.ReasonForm(request.POST),
        lambda data: topic_services.topic_reopen(
            topic_id=found.pk, actor=request.user, reason=data["reason"]
        ),
        _("The topic is under way again."),
    )
    return _back(found.pk)
