"""The dispatcher's workbench: every issue, searchable and filterable (``/dispatch/issues/``),
and one issue with everything the dispatcher may do to it (``/dispatch/issues/<id>/``):
dispatch by hand, supervise, merge by picking the issue it duplicates."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from issues.selectors import issue_shown_photos

from ..forms import DispatchForm, EscalateForm, WorkbenchFilterForm
from ..models import Assignment
from ..permissions import issue_for_user, issues_visible_to
from ..selectors import dispatchable_agencies, issue_assignments, issue_handoffs
from ..workbench import (
    Filters,
    issues_leads,
    merge_candidates,
    next_in_triage,
    workbench_issues,
    workbench_page,
)
from .common import dispatcher_required


@dispatcher_required
def workbench(request: HttpRequest) -> HttpResponse:
    """Every issue, newest first, fifty at a time, narrowed by the filters (a GET form, so a
    filtered list can be bookmarked and shared); keyboard: j/k to move, Enter to open."""
    form = WorkbenchFilterForm(request.GET or None)
    filters = Filters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = Filters(
            text=data["q"].strip(),
            status=data["status"],
            category=data["category"],
            area=data["area"],
            agency=data["agency"],
            channel=data["channel"],
            overdue=data["overdue"],
            at_risk=data["at_risk"],
            filed_from=data["filed_from"],
            filed_to=data["filed_to"],
        )
    issues = workbench_issues(issues_visible_to(request.user), filters)
    page = workbench_page(issues, cursor=request.GET.get("after", ""))
    leads = issues_leads(issue.pk for issue in page.issues)
    now = timezone.now()
    rows = [
        {
            "issue": issue,
            "lead": leads.get(issue.pk),
            "overdue": bool(leads.get(issue.pk) and leads[issue.pk].is_overdue(now)),
        }
        for issue in page.issues
    ]
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "coordination/workbench.html",
        {
            "form": form,
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(value for key, value in request.GET.items() if key != "after"),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@dispatcher_required
def workbench_issue(request: HttpRequest, issue_id: int) -> HttpResponse:
    """One issue for the dispatcher: its facts, place and record; dispatch it (then on to the
    next issue waiting in triage), supervise it, or merge it into an issue picked from the
    candidates (or searched for)."""
    issue = issue_for_user(user=request.user, issue_id=issue_id, photo_flag=True)
    assignments = list(issue_assignments(issue=issue))
    active = [a for a in assignments if a.is_active]
    now = timezone.now()
    dispatchable = issue.status in (issue.Status.TRIAGE, issue.Status.SUBMITTED)
    following = next_in_triage(after=issue) if dispatchable else None
    after_dispatch = (
        reverse("coordination:workbench_issue", args=[following.pk])
        if following
        else reverse("coordination:dispatch")
    )
    search = request.GET.get("merge_q", "").strip()[:200]
    return render(
        request,
        "coordination/workbench_issue.html",
        {
            "issue": issue,
            "assignments": [(a, a.is_overdue(now)) for a in assignments],
            "handoffs": issue_handoffs(issue=issue),
            "photos": issue_shown_photos(issue=issue),
            "dispatch_form": DispatchForm(agencies=list(dispatchable_agencies()))
            if dispatchable
            else None,
            "after_dispatch": after_dispatch,
            "following": following,
            "escalate_form": EscalateForm() if issue.is_open and active else None,
            "at_risk": any(
                a.next_due_at and a.next_due_at < now + settings.DEADLINE_WARNING for a in active
            ),
            "overdue": any(a.is_overdue(now) for a in active),
            "candidates": merge_candidates(issue, text=search) if issue.is_open else [],
            "merge_q": search,
            "here": request.get_full_path(),
            "roles": Assignment.Role,
        },
    )
