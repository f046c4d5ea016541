"""The dispatch centre's page: triage, the requests to decide, overdue work, merging."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from issues.models import Issue
from issues.services import issue_publication_set
from platform_gov.collation import sort_key
from platform_gov.pages import act, form_error_messages

from ..forms import (
    ApproveForm,
    DispatchForm,
    EscalateForm,
    MergeForm,
    PublicationForm,
    RejectForm,
)
from ..models import CoordinationRequest, Handoff
from ..permissions import issue_for_user, request_for_user
from ..selectors import dispatchable_agencies, requests_open, triage_queue
from ..services import merge, requests, routing, supervision
from ..workbench import assignments_at_risk, assignments_late
from .common import dispatcher_required

# How many triage issues and how many requests the dispatcher's page shows at once.
DISPATCH_LIST_LIMIT = 30
# Late assignments are counted up to this many ("1,000+").
OVERDUE_COUNT_CAP = 1000


def _late_cases(assignments, supervised_ids=None) -> list[dict]:
    """Active assignments grouped by issue (at most ``DISPATCH_LIST_LIMIT`` issues), each
    with how often it was supervised and its own supervision form."""
    cases: dict[int, dict] = {}
    for assignment in assignments:
        if assignment.issue_id not in cases and len(cases) >= DISPATCH_LIST_LIMIT:
            continue
        case = cases.setdefault(assignment.issue_id, {"issue": assignment.issue, "assignments": []})
        case["assignments"].append(assignment)
    supervised = dict(
        Handoff.objects.filter(kind=Handoff.Kind.ESCALATED, issue_id__in=cases.keys())
        .values("issue_id")
        .annotate(n=Count("id"))
        .values_list("issue_id", "n")
    )
    for issue_id, case in cases.items():
        case["supervised"] = supervised.get(issue_id, 0)
        case["form"] = EscalateForm(auto_id=f"id_escalate{issue_id}_%s")
    return list(cases.values())


@dispatcher_required
def dispatch(request: HttpRequest) -> HttpResponse:
    """The dispatch centre's page: what waits for the dispatcher, the oldest first, a
    screenful of each (the totals are counted, so the headings tell how much waits beyond):
    issues in triage (each opens in the workbench, keyboard: j/k and Enter), the requests to
    decide, late work and work due soon to supervise, and the rates.

    The page stays small at a city's scale: one shared list of organisations (a datalist)
    serves every request's "send to" field, and dispatching happens on the issue's own page."""
    now = timezone.now()
    triage_total = triage_queue().count()
    issues = list(triage_queue()[:DISPATCH_LIST_LIMIT])
    requests_total = requests_open().count()
    open_requests = list(requests_open()[:DISPATCH_LIST_LIMIT])
    codes = set()
    for item in open_requests:
        codes.update(item.payload.get("agencies") or [])
        if item.payload.get("suggested_agency"):
            codes.add(item.payload["suggested_agency"])
    names = {a.code: a.name for a in Agency.objects.filter(code__in=codes)}
    requests_ = [
        {
            "request": item,
            "suggested": names.get(item.payload.get("suggested_agency", ""), ""),
            "agencies": [names.get(code, code) for code in item.payload.get("agencies") or []],
            "until": parse_datetime(item.payload["until"]) if item.payload.get("until") else None,
            "moves": item.kind
            in (CoordinationRequest.Kind.BOUNCE, CoordinationRequest.Kind.TRANSFER),
            "approve_form": ApproveForm(auto_id=f"id_approve{item.pk}_%s"),
            "reject_form": RejectForm(auto_id=f"id_reject{item.pk}_%s"),
        }
        for item in open_requests
    ]
    # Enough rows for the page's thirty cases (most late cases have one or two assignments).
    late = assignments_late(now=now).select_related("issue", "agency")[: DISPATCH_LIST_LIMIT * 3]
    soon = (
        assignments_at_risk(now=now)
        .select_related("issue", "agency")
        .order_by("next_due_at", "id")[: DISPATCH_LIST_LIMIT * 3]
    )
    # Counted up to a cap: a city can have tens of thousands of late assignments.
    overdue_total = assignments_late(now=now).order_by()[: OVERDUE_COUNT_CAP + 1].count()
    agencies = (
        list(dispatchable_agencies().only("code", "name_zh", "name_en", "kind"))
        if any(item["moves"] for item in requests_)
        else []
    )
    language = get_language() or settings.LANGUAGE_CODE
    agencies.sort(key=lambda a: sort_key(a.name, language))
    return render(
        request,
        "coordination/dispatch.html",
        {
            "issues": issues,
            "triage_total": triage_total,
            "requests_total": requests_total,
            "requests": requests_,
            "overdue": _late_cases(late),
            "overdue_total": min(overdue_total, OVERDUE_COUNT_CAP),
            "overdue_capped": overdue_total > OVERDUE_COUNT_CAP,
            "at_risk": _late_cases(soon),
            "agencies": agencies,
        },
    )


def _back(request: HttpRequest, default: str = "coordination:dispatch") -> HttpResponse:
    """Back to the page the form was on (``next``, this site's own paths only)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


# ------------------------------------------------------------------ the dispatcher's acts


@require_POST
@dispatcher_required
def issue_dispatch_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    form = DispatchForm(request.POST)
    lead = form.cleaned_data["lead"] if form.is_valid() else None
    act(
        request,
        form,
        lambda data: routing.issue_dispatch(
            issue_id=issue.pk,
            lead=data["lead"],
            co_handlers=list(data["co_handlers"]),
            actor=request.user,
            note=data["note"],
        ),
        _("%(number)s sent to %(agency)s.")
        % {"number": issue.tracking_number, "agency": lead.name if lead else ""},
        prefix=f"{issue.tracking_number}: ",
    )
    return _back(request)


def _decision_message(item: CoordinationRequest, template: str) -> str:
    return template % {"number": item.issue.tracking_number, "kind": item.get_kind_display()}


@require_POST
@dispatcher_required
def request_approve_view(request: HttpRequest, request_id: int) -> HttpResponse:
    item = request_for_user(user=request.user, request_id=request_id)
    act(
        request,
        ApproveForm(request.POST),
        lambda data: requests.request_approve(
            request_id=item.pk,
            actor=request.user,
            note=data["note"],
            reassign_to=data["reassign_to"].code if data["reassign_to"] else "",
        ),
        _decision_message(item, _("%(number)s: %(kind)s approved.")),
        prefix=f"{item.issue.tracking_number}: ",
    )
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def request_reject_view(request: HttpRequest, request_id: int) -> HttpResponse:
    item = request_for_user(user=request.user, request_id=request_id)
    act(
        request,
        RejectForm(request.POST),
        lambda data: requests.request_reject(
            request_id=item.pk, actor=request.user, note=data["note"]
        ),
        _decision_message(item, _("%(number)s: %(kind)s rejected.")),
        prefix=f"{item.issue.tracking_number}: ",
    )
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def issue_escalate_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    act(
        request,
        EscalateForm(request.POST),
        lambda data: supervision.issue_escalate(
            issue_id=issue.pk, actor=request.user, note=data["note"]
        ),
        _("%(number)s is under supervision (督办).") % {"number": issue.tracking_number},
        prefix=f"{issue.tracking_number}: ",
    )
    return _back(request)


@require_POST
@dispatcher_required
def issue_merge_view(request: HttpRequest) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form)
        return _back(request)
    duplicate, survivor = form.cleaned_data["issue"], form.cleaned_data["into"]
    try:
        act(
            request,
            form,
            lambda data: merge.issue_merge(
                issue_id=duplicate.pk, into_id=survivor.pk, actor=request.user
            ),
            _("%(duplicate)s merged into %(survivor)s.")
            % {"duplicate": duplicate.tracking_number, "survivor": survivor.tracking_number},
        )
    except Issue.DoesNotExist:  # deleted between the form's check and the lock
        messages.error(request, _("No such issue."))
    return _back(request)


@require_POST
@dispatcher_required
def issue_publication_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    """The case page's publication form: approve the public summary, or withhold the issue."""
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    act(
        request,
        PublicationForm(request.POST),
        lambda data: issue_publication_set(
            issue_id=issue.pk,
            public_summary=data["public_summary"],
            keep_private=True if data["keep_private"] else None,
        ),
        _("%(number)s: what the public sees was saved.") % {"number": issue.tracking_number},
    )
    return redirect("coordination:staff_issue", issue_id=issue.pk)
