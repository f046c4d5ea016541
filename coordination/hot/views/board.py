"""The board, a hot issue and its promotion to a topic, early warnings, cooperation."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coordination.dispatch.permissions import (
    is_dispatcher,
)
from issues.models import Issue

from .. import forms as hot_forms
from ..models import HotWarning
from ..selectors import (
    board_rows,
    hot_board,
    hot_issue_detail,
    hot_issue_get,
    member_rows,
    topics_visible_to,
    warnings_open,
    warnings_recent,
)
from .common import BOARD_PAGE_SIZE, create_topic_from_form, dispatcher_only, hot_viewer_required

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
    topic = create_topic_from_form(request, form, hot_issue=hot)
    if topic is None:
        return redirect("coordination:hot_issue", hot_id=hot.pk)
    return redirect("coordination:topic", topic_id=topic.pk)


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
