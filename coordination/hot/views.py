"""The hot room's pages: the board, a hot issue, topics and their steps, early warnings,
cooperation; and for residents, an issue's public page with "me too", and the report form's
"is it one of these?" lookup."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Agency
from coordination.dispatch.permissions import (
    can_see_hot_issues,
    is_agency_member,
    is_dispatcher,
    topic_acting_agency_ids,
)
from issues.models import Issue
from platform_gov.errors import WorkflowError
from platform_gov.pages import act, form_error_messages
from platform_gov.throttling import SubmitThrottle, TrackThrottle, page_rate_limit

from . import forms as hot_forms
from .models import HotWarning, Milestone, Support
from .selectors import (
    board_rows,
    hot_board,
    hot_issue_detail,
    hot_issue_get,
    member_rows,
    nearby_issues,
    public_issue_for_page,
    support_count,
    topic_detail,
    topic_for_user,
    topics_visible_to,
    warnings_open,
    warnings_recent,
)
from .services import supports as support_services
from .services import topics as topic_services

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


# ------------------------------------------------------------------------------- the board


@hot_viewer_required
def board(request: HttpRequest) -> HttpResponse:
    """Hot issues, hottest (or fastest growing) first; open warnings; topics."""
    form = hot_forms.BoardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    sort = data.get("sort") or "heat"
    hot = hot_board(
        sort=sort,
        area=data.get("area"),
        category=data.get("category"),
        include_closed=bool(data.get("closed")),
    )
    page = Paginator(hot, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "hot/board.html",
        {
            "form": form,
            "sort": sort,
            "rows": board_rows(list(page.object_list)),
            "page": page,
            "query": query.urlencode(),
            "warnings": warnings_open(),
            "topics": topics_visible_to(request.user)[:20],
            "is_dispatcher": is_dispatcher(request.user),
        },
    )


@hot_viewer_required
def hot_issue(request: HttpRequest, hot_id: int) -> HttpResponse:
    hot = hot_issue_get(hot_id)
    if hot.pk != hot_id:
        return redirect("coordination:hot_issue", hot_id=hot.pk)
    detail = hot_issue_detail(hot=hot, user=request.user)
    dispatcher = is_dispatcher(request.user)
    return render(
        request,
        "hot/hot_issue.html",
        {
            "detail": detail,
            "hot": hot,
            "chart": {
                "days": [day.isoformat() for day, _n in detail.trend],
                "counts": [n for _day, n in detail.trend],
                "label": _("Complaints per day"),
            },
            "map": {
                "points": detail.points,
                "areas": detail.area_shapes,
                "centre": [hot.lat, hot.lon] if hot.lat is not None else None,
                # A tile server, when the deployment has one; else the areas are the map.
                "tiles": getattr(settings, "MAP_TILE_URL", ""),
                "attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
            },
            "promote_form": hot_forms.TopicForm(
                hot_issue=hot,
                initial={"title": hot.label, "lead": _suggested_lead(detail)},
            )
            if dispatcher
            else None,
        },
    )


def _suggested_lead(detail) -> int | None:
    """The organisation handling most of the hot issue's complaints, as a first guess."""
    return detail.row.agencies[0].id if detail.row.agencies else None


@require_POST
@hot_viewer_required
def hot_issue_promote(request: HttpRequest, hot_id: int) -> HttpResponse:
    """Promote a hot issue to a topic (the dispatcher)."""
    dispatcher_only(request)
    hot = hot_issue_get(hot_id)
    form = hot_forms.TopicForm(request.POST, hot_issue=hot)
    topic = _create_topic(request, form, hot_issue=hot)
    if topic is None:
        return redirect("coordination:hot_issue", hot_id=hot.pk)
    return redirect("coordination:topic", topic_id=topic.pk)


def _create_topic(request: HttpRequest, form, *, hot_issue=None):
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
    topic = _create_topic(request, hot_forms.TopicForm(request.POST))
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


# ---------------------------------------------------------------- warnings, cooperation


@hot_viewer_required
def warning(request: HttpRequest, warning_id: int) -> HttpResponse:
    found = (
        HotWarning.objects.select_related("area", "category", "hot_issue")
        .filter(pk=warning_id)
        .first()
    )
    if found is None:
        raise Http404("No such warning.")
    issues = list(
        Issue.objects.filter(pk__in=found.evidence.get("issues", [])).select_related("category")
    )
    return render(
        request,
        "hot/warning.html",
        {
            "warning": found,
            "members": member_rows(issues, user=request.user),
            "recent": warnings_recent(),
            "chart": {
                "days": [day for day, _n in found.evidence.get("daily", [])],
                "counts": [n for _day, n in found.evidence.get("daily", [])],
                "label": _("Complaints per day"),
            },
        },
    )


@hot_viewer_required
def cooperation_page(request: HttpRequest) -> HttpResponse:
    form = hot_forms.CooperationForm(request.GET or None)
    start, end = form.period()
    return render(
        request,
        "hot/cooperation.html",
        {"form": form, "start": start, "end": end},
    )


# ----------------------------------------------------------------------- for residents


def public_issue_page(request: HttpRequest, issue_id: int) -> HttpResponse:
    """An issue as the public sees it, with "me too"."""
    if limited := page_rate_limit(request, TrackThrottle):
        return limited
    issue, shown = public_issue_for_page(issue_id=issue_id)
    if issue.pk != issue_id:
        return redirect("coordination:public_issue", issue_id=issue.pk)
    supported = (
        request.user.is_authenticated
        and Support.objects.filter(issue=issue, user=request.user).exists()
    )
    return render(
        request,
        "hot/public_issue.html",
        {
            "issue": shown,
            "supports": support_count(issue),
            "form": hot_forms.SupportForm(),
            "supported": supported,
            "can_support": issue.is_open or issue.status == Issue.Status.RESOLVED,
        },
    )


def _support(request: HttpRequest, issue_id: int, *, via: str):
    """Add the support; (status, message, count)."""
    issue, _shown = public_issue_for_page(issue_id=issue_id)
    form = hot_forms.SupportForm(request.POST)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]
        return 400, first, support_count(issue)
    try:
        support_services.support_add(
            issue_id=issue.pk,
            user=request.user,
            phone=form.cleaned_data["phone"],
            email=form.cleaned_data["email"],
            via=via,
        )
    except ValidationError as error:
        return 400, " ".join(error.messages), support_count(issue)
    except WorkflowError as error:
        return (
            409 if error.code == "supported_already" else 400,
            error.message,
            support_count(issue),
        )
    except Issue.DoesNotExist as error:
        raise Http404("No such issue.") from error
    return 200, _("Thank you: your support is counted."), support_count(issue)


@require_POST
def public_issue_support(request: HttpRequest, issue_id: int) -> HttpResponse:
    """ "Me too" from the issue's public page (a form) or the report form (``fetch``:
    answers JSON when asked for it)."""
    if limited := page_rate_limit(request, SubmitThrottle):
        return limited
    wants_json = "application/json" in request.headers.get("Accept", "")
    status, message, count = _support(
        request, issue_id, via=Support.Via.FORM if wants_json else Support.Via.PAGE
    )
    if wants_json:
        return JsonResponse({"detail": message, "supports": count}, status=status)
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect(reverse("coordination:public_issue", kwargs={"issue_id": issue_id}))


@require_GET
def nearby(request: HttpRequest) -> HttpResponse:
    """The report form's "is it one of these?": issues being handled near a place, as the
    public sees them (JSON)."""
    if limited := page_rate_limit(request, TrackThrottle):
        return JsonResponse(
            {"detail": _("Too many requests.")},
            status=429,
            headers={"Retry-After": limited["Retry-After"]},
        )
    try:
        lat = float(request.GET.get("lat", ""))
        lon = float(request.GET.get("lon", ""))
    except ValueError:
        return JsonResponse({"results": []})
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JsonResponse({"results": []})
    found = nearby_issues(lat=lat, lon=lon, words=request.GET.get("q", "")[:300])
    return JsonResponse(
        {
            "results": [
                {
                    "id": n.issue.id,
                    "title": n.issue.title,
                    "category": n.issue.category,
                    "status": n.issue.status_display,
                    "area": n.issue.area,
                    "filed_on": n.issue.filed_on.isoformat(),
                    "within_m": n.within_m,
                    "supports": n.supports,
                    "url": reverse("coordination:public_issue", kwargs={"issue_id": n.issue.id}),
                    "support_url": reverse(
                        "coordination:public_issue_support", kwargs={"issue_id": n.issue.id}
                    ),
                }
                for n in found
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )
