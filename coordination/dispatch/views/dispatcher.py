"""The dispatch centre's page: triage, the requests to decide, overdue work, merging."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from issues.models import Issue
from issues.services import issue_publication_set
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
from ..selectors import assignments_overdue, dispatchable_agencies, requests_open, triage_queue
from ..services import merge, requests, routing, supervision
from .common import dispatcher_required

# How many triage issues and how many requests the dispatcher's page shows at once.
DISPATCH_LIST_LIMIT = 30


def _overdue_cases(now) -> list[dict]:
    """Active assignments past a deadline, grouped by issue, the longest late first."""
    late = (
        assignments_overdue(now=now)
        .select_related("issue", "agency")
        .order_by("due_at", "id")[:300]
    )
    cases: dict[int, dict] = {}
    for assignment in late:
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


def _fixed_choices(field: forms.ModelChoiceField, agencies: list[Agency]) -> None:
    """Give a model choice field a fixed list of choices to render, built from rows already
    read (its queryset would be queried again for every form that renders it). Only for
    display: the form that validates a POST keeps its queryset."""
    choices = [] if field.empty_label is None else [("", field.empty_label)]
    field.choices = choices + [
        (field.prepare_value(agency), field.label_from_instance(agency)) for agency in agencies
    ]


def _fixed_choices_form(form: forms.Form, name: str, agencies: list[Agency]) -> forms.Form:
    _fixed_choices(form.fields[name], agencies)
    return form


@dispatcher_required
def dispatch(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    # The oldest first, a screenful at a time: each one handled makes room for the next. The
    # totals are counted, so the headings tell how much is waiting beyond what is shown.
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
    # Every form on the page offers the same organisations: read them once, not per form.
    agencies = list(dispatchable_agencies().order_by("kind", "code"))
    dispatch_form = DispatchForm()
    for name in ("lead", "co_handlers"):
        _fixed_choices(dispatch_form.fields[name], agencies)
    requests_ = [
        {
            "request": item,
            "suggested": names.get(item.payload.get("suggested_agency", ""), ""),
            "agencies": [names.get(code, code) for code in item.payload.get("agencies") or []],
            "until": parse_datetime(item.payload["until"]) if item.payload.get("until") else None,
            "moves": item.kind
            in (CoordinationRequest.Kind.BOUNCE, CoordinationRequest.Kind.TRANSFER),
            "approve_form": _fixed_choices_form(
                ApproveForm(auto_id=f"id_approve{item.pk}_%s"), "reassign_to", agencies
            ),
            "reject_form": RejectForm(auto_id=f"id_reject{item.pk}_%s"),
        }
        for item in open_requests
    ]
    return render(
        request,
        "coordination/dispatch.html",
        {
            "issues": issues,
            "triage_total": triage_total,
            "requests_total": requests_total,
            "form": dispatch_form,
            "requests": requests_,
            "overdue": _overdue_cases(now),
            "merge_form": MergeForm(),
        },
    )


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
    return redirect("coordination:dispatch")


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
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def issue_merge_view(request: HttpRequest) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        form_error_messages(request, form)
        return redirect("coordination:dispatch")
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
    return redirect("coordination:dispatch")


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
