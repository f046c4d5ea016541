"""The call-takers' console (/desk/): one screen for a call, by the keyboard.

The caller's number brings up their earlier issues (``caller.json``, fetched as it is
typed), each open one with a follow-up note; the title and description bring up knowledge
answers (``/knowledge/suggest.json``), similar open issues and the classifier's category
(``similar.json``). Then one of two outcomes: answer on the spot, or file it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coordination.dispatch.permissions import can_use_desk
from coordination.dispatch.services.supervision import issue_caller_follow_up
from issues.models import Issue
from platform_gov.errors import WorkflowError

from .forms import CallForm, FollowUpForm
from .selectors import caller_issues, similar_open_issues, suggested_category
from .services import desk_answer, desk_file


def _operator(request: HttpRequest) -> None:
    if not can_use_desk(request.user):
        raise PermissionDenied(_("The console is for the hotline's operators."))


def issue_json(issue: Issue) -> dict:
    return {
        "id": issue.pk,
        "tracking_number": issue.tracking_number,
        "title": issue.title,
        "status": issue.status,
        "status_label": str(issue.get_status_display()),
        "open": issue.is_open,
        "category": issue.category.name if issue.category else "",
        "created_at": issue.created_at.isoformat(),
        "follow_up_url": reverse("coordination:desk_follow_up", args=[issue.pk]),
    }


@login_required
def console(request: HttpRequest) -> HttpResponse:
    _operator(request)
    if request.method == "POST":
        form = CallForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["outcome"] == "answer":
                    issue = desk_answer(
                        actor=request.user,
                        answer=data["answer"],
                        article_id=data["article"],
                        **form.call(),
                    )
                    done = _("%(number)s answered on the spot and closed.")
                else:
                    issue = desk_file(actor=request.user, **form.call())
                    done = _("%(number)s filed for routing.")
            except WorkflowError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, done % {"number": issue.tracking_number})
                return redirect("coordination:desk")
        status = 400
    else:
        form, status = CallForm(), 200
    return render(request, "desk/console.html", {"form": form}, status=status)


@login_required
@require_GET
def caller(request: HttpRequest) -> JsonResponse:
    """``?phone=``: the caller's earlier issues, newest first."""
    _operator(request)
    issues = caller_issues(request.GET.get("phone", ""))
    return JsonResponse({"issues": [issue_json(i) for i in issues]})


@login_required
@require_GET
def similar(request: HttpRequest) -> JsonResponse:
    """``?title=&description=``: similar open issues and the classifier's category."""
    _operator(request)
    title = request.GET.get("title", "")[:200]
    description = request.GET.get("description", "")[:2000]
    text = f"{title} {description}".strip()
    category = suggested_category(title=title, description=description) if text else None
    return JsonResponse(
        {
            "issues": [issue_json(i) for i in similar_open_issues(text)] if text else [],
            "category": {"id": category.pk, "name": category.name} if category else None,
        }
    )


@login_required
@require_POST
def follow_up(request: HttpRequest, issue_id: int) -> HttpResponse:
    """A repeat caller about an open issue: a note on it, and its handlers reminded."""
    _operator(request)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what the caller said."))
        return redirect("coordination:desk")
    try:
        issue_caller_follow_up(
            issue_id=issue_id, actor=request.user, note=form.cleaned_data["note"]
        )
    except Issue.DoesNotExist:
        messages.error(request, _("No such issue."))
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Follow-up noted; the handlers are reminded."))
    return redirect("coordination:desk")
