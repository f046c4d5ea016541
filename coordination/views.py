"""The staff queue, the case page, the dispatcher's page and the resident's follow-up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from issues.forms import FeedbackForm, ReopenForm
from issues.models import Issue
from issues.selectors import issue_by_access_token, issue_public_timeline

from . import workflow
from .charts import rate_charts
from .forms import (
    AgenciesForm,
    ApproveForm,
    CohandleForm,
    DispatchForm,
    EscalateForm,
    ExtensionForm,
    MergeForm,
    ReasonForm,
    RejectForm,
    ReplyForm,
    ResolveForm,
    TransferForm,
    WhistleForm,
)
from .models import Assignment, CoordinationRequest, Handoff
from .permissions import (
    access_for,
    can_work_assignment,
    contact_access_record,
    contact_level,
    is_agency_member,
    is_dispatcher,
    mask_phone,
    reach_agency_ids,
)
from .selectors import (
    agency_queue,
    assignments_overdue,
    dispatchable_agencies,
    issue_assignments,
    issue_for_user,
    issue_handoffs,
    requests_open,
    triage_queue,
)
from .services import TransitionNotAllowed, assignment_accept, assignment_resolve, issue_dispatch
from .stats import agency_rates


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
    return redirect("issues:my_issues")


# A page of the queue: the soonest deadlines first, so the first page is the work to do now.
STAFF_QUEUE_PAGE_SIZE = 50


@agency_member_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The open work of the user's organisations (for managers, also of those below), a page
    at a time: three queries (the count, the page, the overdue count) whatever its length."""
    now = timezone.now()
    page = Paginator(agency_queue(user=request.user), STAFF_QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(a, a.is_overdue(now)) for a in page.object_list]
    overdue_count = (
        assignments_overdue(now=now)
        .filter(agency_id__in=access_for(request.user).reach_ids)
        .count()
    )
    return render(
        request,
        "coordination/staff_queue.html",
        {"rows": rows, "page": page, "overdue_count": overdue_count},
    )


def _case_forms(assignment: Assignment, *, has_feedback: bool, first: bool) -> dict:
    """The action forms one assignment offers on the case page, by its state and role.

    Ids carry the assignment and the action, so several forms live on one page; the first
    assignment's resolution box keeps the plain id the browser test (and a bookmark) uses.
    """
    pk, agency = assignment.pk, assignment.agency
    lead = assignment.role == Assignment.Role.LEAD

    def ids(action: str) -> str:
        return f"id_{action}{pk}_%s"

    found: dict[str, forms.Form] = {"reply": ReplyForm(auto_id=ids("reply"))}
    if assignment.is_active:
        found["resolve"] = ResolveForm(auto_id="id_%s" if first else ids("resolve"))
        found["bounce"] = ReasonForm(auto_id=ids("bounce"))
        found["extension"] = ExtensionForm(auto_id=ids("extension"))
        if lead:
            found["transfer"] = TransferForm(auto_id=ids("transfer"), agency=agency)
            found["cohandle"] = CohandleForm(auto_id=ids("cohandle"), agency=agency)
        if agency.kind == Agency.Kind.STREET_OFFICE:
            found["whistle"] = WhistleForm(auto_id=ids("whistle"), agency=agency)
    if lead and has_feedback:
        found["appeal"] = ReasonForm(auto_id=ids("appeal"))
    return found


@agency_member_required
def staff_issue(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    assignments = list(issue_assignments(issue=issue))
    mine = set(reach_agency_ids(request.user))
    contact = contact_level(user=request.user, issue=issue, assignments=assignments)
    contact_access_record(user=request.user, issue=issue, level=contact, via="page")
    feedback = list(issue.feedback.order_by("-at", "-id"))
    # Each of the user's organisations works on its active assignment; once done, it may
    # still reply and (as lead) appeal a rating from its latest finished one.
    current: dict[int, Assignment] = {}
    for assignment in assignments:
        if assignment.agency_id not in mine:
            continue
        held = current.get(assignment.agency_id)
        if assignment.is_active or (
            assignment.status == Assignment.Status.DONE and not (held and held.is_active)
        ):
            current[assignment.agency_id] = assignment
    now = timezone.now()
    work = [
        {
            "assignment": a,
            "overdue": a.is_overdue(now),
            "forms": _case_forms(a, has_feedback=bool(feedback), first=index == 0),
        }
        for index, a in enumerate(current.values())
    ]
    return render(
        request,
        "coordination/staff_issue.html",
        {
            "issue": issue,
            "assignments": [(a, a.is_overdue(now)) for a in assignments],
            "work": work,
            "requests": issue.coordination_requests.select_related(
                "assignment__agency", "decided_by"
            ).order_by("-requested_at", "-id"),
            "feedback": feedback,
            "handoffs": issue_handoffs(issue=issue),
            "public_timeline": issue_public_timeline(issue=issue),
            "contact": contact,
            "masked_phone": mask_phone(issue.contact_phone) if contact == "masked" else "",
            "now": now,
        },
    )


def _my_assignment(request: HttpRequest, assignment_id: int) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.select_related("issue", "agency"), pk=assignment_id
    )
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


def _form_errors(request: HttpRequest, form: forms.Form, *, prefix: str = "") -> None:
    """Each field error as a message that names its field (the forms live on a page that is
    re-rendered fresh after the redirect)."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            text = _("%(field)s: %(error)s") % {"field": label, "error": error} if label else error
            messages.error(request, f"{prefix}{text}")


def _act_on_assignment(
    request: HttpRequest,
    assignment_id: int,
    form_class: type[forms.Form],
    act: Callable[[Assignment, dict], object],
    success: str,
) -> HttpResponse:
    """Parse the form, call the one service, say what happened and go back to the case (PRG).

    A refused transition changes nothing and is shown as an error message.
    """
    assignment = _my_assignment(request, assignment_id)
    # The agency's own forms leave the agency itself out of their choices.
    takes_agency = issubclass(form_class, (TransferForm, AgenciesForm))
    form = form_class(request.POST, **({"agency": assignment.agency} if takes_agency else {}))
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            act(assignment, form.cleaned_data)
        except (TransitionNotAllowed, ValueError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, success % {"number": assignment.issue.tracking_number})
    return redirect("coordination:staff_issue", issue_id=assignment.issue_id)


def _codes(agencies) -> list[str]:
    return [agency.code for agency in agencies]


@require_POST
@agency_member_required
def assignment_bounce_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act_on_assignment(
        request,
        assignment_id,
        ReasonForm,
        lambda a, data: workflow.assignment_request_bounce(
            assignment_id=a.pk, actor=request.user, reason=data["reason"]
        ),
        _("%(number)s: the return was asked for; the dispatcher decides."),
    )


@require_POST
@agency_member_required
def assignment_transfer_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act_on_assignment(
        request,
        assignment_id,
        TransferForm,
        lambda a, data: workflow.assignment_request_transfer(
            assignment_id=a.pk,
            actor=request.user,
            reason=data["reason"],
            suggested_agency=data["suggested_agency"].code if data["suggested_agency"] else "",
        ),
        _("%(number)s: the transfer was asked for; the dispatcher decides."),
    )


@require_POST
@agency_member_required
def assignment_cohandle_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act_on_assignment(
        request,
        assignment_id,
        CohandleForm,
        lambda a, data: workflow.assignment_request_cohandlers(
            assignment_id=a.pk,
            actor=request.user,
            agencies=_codes(data["agencies"]),
            reason=data["reason"],
        ),
        _("%(number)s: co-handlers were asked for; the dispatcher decides."),
    )


@require_POST
@agency_member_required
def assignment_whistle_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act_on_assignment(
        request,
        assignment_id,
        WhistleForm,
        lambda a, data: workflow.assignment_whistle(
            assignment_id=a.pk,
            actor=request.user,
            agencies=_codes(data["agencies"]),
            reason=data["reason"],
        ),
        _("%(number)s: the departments were summoned (吹哨报到)."),
    )


@require_POST
@agency_member_required
def assignment_extension_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act_on_assignment(
        request,
        assignment_id,
        ExtensionForm,
        lambda a, data: workflow.assignment_request_extension(
            assignment_id=a.pk, actor=request.user, until=data["until"], reason=data["reason"]
        ),
        _("%(number)s: more time was asked for; the dispatcher decides."),
    )


@require_POST
@agency_member_required
def assignment_reply_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    public = request.POST.get("public") in ("on", "true", "1")
    return _act_on_assignment(
        request,
        assignment_id,
        ReplyForm,
        lambda a, data: workflow.assignment_reply(
            assignment_id=a.pk, actor=request.user, message=data["message"], public=data["public"]
        ),
        _("%(number)s: the reply is on the resident's tracking page.")
        if public
        else _("%(number)s: the note was added for the handlers."),
    )


@require_POST
@agency_member_required
def assignment_appeal_view(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act_on_assignment(
        request,
        assignment_id,
        ReasonForm,
        lambda a, data: workflow.feedback_appeal(
            assignment_id=a.pk, actor=request.user, reason=data["reason"]
        ),
        _("%(number)s: the rating was appealed; the dispatcher decides."),
    )


RATE_WINDOW = timedelta(days=30)


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


def _rate_charts(now) -> list[dict]:
    """The agencies' rates over ``RATE_WINDOW``, as bar charts.

    They move slowly and cost a pass over a month of assignments, so they are kept in the
    cache for ``RATES_CACHE_SECONDS`` (per language: the rows carry the agencies' names).
    """
    ttl = settings.RATES_CACHE_SECONDS
    if not ttl:
        return rate_charts(agency_rates(start=now - RATE_WINDOW, now=now))
    key = f"dispatch:agency-rates:{RATE_WINDOW.days}:{translation.get_language()}"
    rates = cache.get(key)
    if rates is None:
        rates = agency_rates(start=now - RATE_WINDOW, now=now)
        cache.set(key, rates, ttl)
    return rate_charts(rates)


# How many triage issues and how many requests the dispatcher's page shows at once.
DISPATCH_LIST_LIMIT = 30


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
    requests = [
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
            "requests": requests,
            "overdue": _overdue_cases(now),
            "merge_form": MergeForm(),
            "charts": _rate_charts(now),
            "rate_days": RATE_WINDOW.days,
        },
    )


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


@require_POST
@dispatcher_required
def request_approve_view(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(CoordinationRequest.objects.select_related("issue"), pk=request_id)
    form = ApproveForm(request.POST)
    prefix = f"{item.issue.tracking_number}: "
    if not form.is_valid():
        _form_errors(request, form, prefix=prefix)
        return redirect("coordination:dispatch")
    target = form.cleaned_data["reassign_to"]
    try:
        workflow.request_approve(
            request_id=item.pk,
            actor=request.user,
            note=form.cleaned_data["note"],
            reassign_to=target.code if target else "",
        )
    except (TransitionNotAllowed, ValueError) as error:
        messages.error(request, f"{prefix}{error}")
    else:
        messages.success(
            request,
            _("%(number)s: %(kind)s approved.")
            % {"number": item.issue.tracking_number, "kind": item.get_kind_display()},
        )
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def request_reject_view(request: HttpRequest, request_id: int) -> HttpResponse:
    item = get_object_or_404(CoordinationRequest.objects.select_related("issue"), pk=request_id)
    form = RejectForm(request.POST)
    prefix = f"{item.issue.tracking_number}: "
    if not form.is_valid():
        _form_errors(request, form, prefix=prefix)
        return redirect("coordination:dispatch")
    try:
        workflow.request_reject(
            request_id=item.pk, actor=request.user, note=form.cleaned_data["note"]
        )
    except (TransitionNotAllowed, ValueError) as error:
        messages.error(request, f"{prefix}{error}")
    else:
        messages.success(
            request,
            _("%(number)s: %(kind)s rejected.")
            % {"number": item.issue.tracking_number, "kind": item.get_kind_display()},
        )
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def issue_escalate_view(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    form = EscalateForm(request.POST)
    prefix = f"{issue.tracking_number}: "
    if not form.is_valid():
        _form_errors(request, form, prefix=prefix)
        return redirect("coordination:dispatch")
    try:
        workflow.issue_escalate(
            issue_id=issue.pk, actor=request.user, note=form.cleaned_data["note"]
        )
    except (TransitionNotAllowed, ValueError) as error:
        messages.error(request, f"{prefix}{error}")
    else:
        messages.success(
            request,
            _("%(number)s is under supervision (督办).") % {"number": issue.tracking_number},
        )
    return redirect("coordination:dispatch")


@require_POST
@dispatcher_required
def issue_merge_view(request: HttpRequest) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("coordination:dispatch")
    duplicate, survivor = form.cleaned_data["issue"], form.cleaned_data["into"]
    try:
        workflow.issue_merge(issue_id=duplicate.pk, into_id=survivor.pk, actor=request.user)
    except (TransitionNotAllowed, ValueError, Issue.DoesNotExist) as error:
        messages.error(request, str(error) or _("No such issue."))
    else:
        messages.success(
            request,
            _("%(duplicate)s merged into %(survivor)s.")
            % {"duplicate": duplicate.tracking_number, "survivor": survivor.tracking_number},
        )
    return redirect("coordination:dispatch")


# ------------------------------------------------------------------ the resident's follow-up
# These answer the forms on issues' tracking page; they live here because issues never
# imports coordination (DESIGN.md), while the services they call are coordination's.


def _back_to_tracking(issue: Issue) -> HttpResponse:
    response = redirect("issues:track", access_token=issue.access_token)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _resident_act(
    request: HttpRequest,
    access_token: str,
    form_class: type[forms.Form],
    act: Callable[[Issue, dict], object],
    success: str,
) -> HttpResponse:
    issue = issue_by_access_token(token=access_token)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            act(issue, form.cleaned_data)
        except (TransitionNotAllowed, ValueError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, success)
    return _back_to_tracking(issue)


@require_POST
def track_feedback_view(request: HttpRequest, access_token: str) -> HttpResponse:
    return _resident_act(
        request,
        access_token,
        FeedbackForm,
        lambda issue, data: workflow.issue_feedback(
            issue_id=issue.pk, rating=data["rating"], comment=data["comment"]
        ),
        _("Thank you for your rating."),
    )


@require_POST
def track_reopen_view(request: HttpRequest, access_token: str) -> HttpResponse:
    return _resident_act(
        request,
        access_token,
        ReopenForm,
        lambda issue, data: workflow.issue_reopen(issue_id=issue.pk, reason=data["reason"]),
        _("Your issue was reopened and sent back to the organisation that handled it."),
    )
