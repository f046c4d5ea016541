"""The staff queue, the case page and the dispatcher's triage."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import DispatchForm, ResolveForm
from .models import Assignment
from .permissions import can_work_assignment, is_agency_member, is_dispatcher, user_agency_ids
from .selectors import (
    agency_queue,
    issue_assignments,
    issue_for_user,
    issue_handoffs,
    triage_queue,
)
from .services import TransitionNotAllowed, assignment_accept, assignment_resolve, issue_dispatch


def agency_member_required(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not (is_agency_member(request.user) or is_dispatcher(request.user)):
            raise PermissionDenied(_("This page is for the staff of an organisation."))
        return view(request, *args, **kwargs)

    return wrapped


def dispatcher_required(view):
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not is_dispatcher(request.user):
            raise PermissionDenied(_("This page is for the dispatch centre."))
        return view(request, *args, **kwargs)

    return wrapped


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is."""
    if is_dispatcher(request.user):
        return redirect("coordination:dispatch")
    if is_agency_member(request.user):
        return redirect("coordination:staff_queue")
    return redirect("issues:home")


@agency_member_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    assignments = list(agency_queue(user=request.user))
    now = timezone.now()
    rows = [(a, a.is_overdue(now)) for a in assignments]
    return render(
        request,
        "coordination/staff_queue.html",
        {"rows": rows, "overdue_count": sum(1 for _a, late in rows if late)},
    )


@agency_member_required
def staff_issue(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    assignments = list(issue_assignments(issue=issue))
    mine = set(user_agency_ids(request.user))
    dispatcher = is_dispatcher(request.user)
    lead_ids = {a.agency_id for a in assignments if a.role == Assignment.Role.LEAD and a.is_active}
    # Contact details go to the lead and the dispatcher; anonymous ones to the dispatcher alone.
    show_contact = dispatcher or (not issue.anonymous and bool(lead_ids & mine))
    return render(
        request,
        "coordination/staff_issue.html",
        {
            "issue": issue,
            "assignments": assignments,
            "my_assignments": [a for a in assignments if a.agency_id in mine and a.is_active],
            "handoffs": issue_handoffs(issue=issue),
            "show_contact": show_contact,
            "resolve_form": ResolveForm(),
            "now": timezone.now(),
        },
    )


def _my_assignment(request: HttpRequest, assignment_id: int) -> Assignment:
    assignment = get_object_or_404(Assignment.objects.select_related("issue"), pk=assignment_id)
    if not can_work_assignment(request.user, assignment):
        raise Http404("No such assignment.")
    return assignment


@require_POST
@agency_member_required
def assignment_accept_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _my_assignment(request, assignment_id)
    try:
        assignment_accept(assignment_id=assignment.pk, actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Accepted %(number)s.") % {"number": assignment.issue.tracking_number}
        )
    return redirect("coordination:staff_issue", issue_id=assignment.issue_id)


@require_POST
@agency_member_required
def assignment_resolve_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _my_assignment(request, assignment_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("resolution", []):
            messages.error(request, f"{form.fields['resolution'].label} {error}")
        return redirect("coordination:staff_issue", issue_id=assignment.issue_id)
    try:
        assignment_resolve(
            assignment_id=assignment.pk,
            actor=request.user,
            resolution=form.cleaned_data["resolution"],
        )
    except (TransitionNotAllowed, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Resolved %(number)s.") % {"number": assignment.issue.tracking_number}
        )
    return redirect("coordination:staff_issue", issue_id=assignment.issue_id)


@dispatcher_required
def dispatch(request: HttpRequest) -> HttpResponse:
    issues = list(triage_queue()[:200])
    return render(
        request,
        "coordination/dispatch.html",
        {"issues": issues, "form": DispatchForm()},
    )


@require_POST
@dispatcher_required
def issue_dispatch_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    form = DispatchForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{issue.tracking_number}: {label} {error}")
        return redirect("coordination:dispatch")
    try:
        issue_dispatch(
            issue_id=issue.pk,
            lead=form.cleaned_data["lead"],
            co_handlers=list(form.cleaned_data["co_handlers"]),
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except TransitionNotAllowed as error:
        messages.error(request, f"{issue.tracking_number}: {error}")
    else:
        messages.success(
            request,
            _("%(number)s sent to %(agency)s.")
            % {"number": issue.tracking_number, "agency": form.cleaned_data["lead"].name},
        )
    return redirect("coordination:dispatch")
