"""The staff's pages: their organisations' queue, one case, and what they do with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from issues.photos import photo_response
from issues.publication import REFUSAL_LABELS, public_place, public_summary, publication_refusal
from issues.selectors import issue_photo, issue_public_timeline, issue_shown_photos
from issues.services import contact_access_record
from platform_gov.forms import CheckboxInput
from platform_gov.pages import act

from ..forms import (
    AgenciesForm,
    CohandleForm,
    ExtensionForm,
    PublicationForm,
    ReasonForm,
    ReplyForm,
    ResolveForm,
    TransferForm,
    WhistleForm,
)
from ..models import Assignment, CoordinationRequest
from ..permissions import (
    access_for,
    assignment_for_user,
    can_edit_publication,
    contact_level,
    issue_for_user,
    mask_phone,
    reach_agency_ids,
)
from ..pickers import AgencyPickers, agency_pickers
from ..selectors import (
    agency_queue,
    assignments_overdue,
    issue_active_agency_ids,
    issue_assignments,
    issue_handoffs,
    issues_supervised,
)
from ..services import assignments, requests
from .common import agency_member_required

# A page of the queue: the soonest deadlines first, so the first page is the work to do now.
STAFF_QUEUE_PAGE_SIZE = 50


@agency_member_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The open work of the user's organisations (for managers, also of those below), what is
    due next first, a page at a time: four queries (the count, the page, the overdue count,
    the page's supervisions) whatever its length."""
    now = timezone.now()
    page = Paginator(agency_queue(user=request.user), STAFF_QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    supervised = issues_supervised(issue_ids={a.issue_id for a in page.object_list})
    rows = [(a, a.is_overdue(now), supervised.get(a.issue_id)) for a in page.object_list]
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


def _case_forms(
    assignment: Assignment,
    *,
    has_feedback: bool,
    first: bool,
    on_case: frozenset[int] = frozenset(),
    pickers: AgencyPickers | None = None,
    waiting: frozenset[str] = frozenset(),
    now=None,
) -> dict:
    """The action forms one assignment offers on the case page, by its state and role.

    A request of a kind already ``waiting`` for the dispatcher is not offered again (the
    service would refuse it), nor an extension once the deadline has passed.

    Ids carry the assignment and the action, so several forms live on one page; the first
    assignment's resolution box keeps the plain id the browser test (and a bookmark) uses.
    """
    pk, agency = assignment.pk, assignment.agency
    lead = assignment.role == Assignment.Role.LEAD
    now = now or timezone.now()
    Kind = CoordinationRequest.Kind

    def ids(action: str) -> str:
        return f"id_{action}{pk}_%s"

    found: dict[str, forms.Form] = {"reply": ReplyForm(auto_id=ids("reply"))}
    if assignment.is_active:
        found["resolve"] = ResolveForm(auto_id="id_%s" if first else ids("resolve"))
        if Kind.BOUNCE not in waiting:
            found["bounce"] = ReasonForm(auto_id=ids("bounce"))
        if Kind.EXTENSION not in waiting and assignment.due_at and now < assignment.due_at:
            found["extension"] = ExtensionForm(auto_id=ids("extension"))
        if lead and Kind.TRANSFER not in waiting:
            found["transfer"] = TransferForm(
                auto_id=ids("transfer"), agency=agency, on_case=on_case, pickers=pickers
            )
        if lead and Kind.COHANDLE not in waiting:
            found["cohandle"] = CohandleForm(
                auto_id=ids("cohandle"), agency=agency, on_case=on_case, pickers=pickers
            )
        if agency.kind == Agency.Kind.STREET_OFFICE:
            found["whistle"] = WhistleForm(
                auto_id=ids("whistle"), agency=agency, on_case=on_case, pickers=pickers
            )
    if lead and has_feedback and Kind.APPEAL not in waiting:
        found["appeal"] = ReasonForm(auto_id=ids("appeal"))
    return found


@agency_member_required
def staff_issue(request: HttpRequest, issue_id: int) -> HttpResponse:
    issue = issue_for_user(user=request.user, issue_id=issue_id, photo_flag=True)
    assignments_ = list(issue_assignments(issue=issue))
    mine = set(reach_agency_ids(request.user))
    contact = contact_level(user=request.user, issue=issue, assignments=assignments_)
    contact_access_record(user=request.user, issue=issue, level=contact, via="page")
    feedback = list(issue.feedback.order_by("-at", "-id"))
    # Each of the user's organisations works on its active assignment; once done, it may
    # still reply and (as lead) appeal a rating from its latest finished one.
    current: dict[int, Assignment] = {}
    for assignment in assignments_:
        if assignment.agency_id not in mine:
            continue
        held = current.get(assignment.agency_id)
        if assignment.is_active or (
            assignment.status == Assignment.Status.DONE and not (held and held.is_active)
        ):
            current[assignment.agency_id] = assignment
    now = timezone.now()
    # Organisations already working on the case are never offered again.
    on_case = frozenset(a.agency_id for a in assignments_ if a.is_active)
    # The organisation pickers as of this request, one stamp for every form of the page.
    pickers = agency_pickers() if any(a.is_active for a in current.values()) else None
    case_requests = _requests(issue, assignments_)
    waiting: dict[int, list[CoordinationRequest]] = {}  # by assignment: not decided yet
    for item in case_requests:
        if item.status == CoordinationRequest.Status.OPEN:
            waiting.setdefault(item.assignment_id, []).append(item)
    work = [
        {
            "assignment": a,
            "overdue": a.is_overdue(now),
            "waiting": waiting.get(a.pk, []),
            "forms": _case_forms(
                a,
                has_feedback=bool(feedback),
                first=index == 0,
                on_case=on_case,
                pickers=pickers,
                waiting=frozenset(item.kind for item in waiting.get(a.pk, ())),
                now=now,
            ),
        }
        for index, a in enumerate(current.values())
    ]
    return render(
        request,
        "coordination/staff_issue.html",
        {
            "issue": issue,
            "assignments": [(a, a.is_overdue(now)) for a in assignments_],
            "work": work,
            "requests": case_requests,
            "feedback": feedback,
            "handoffs": issue_handoffs(issue=issue),
            "public_timeline": issue_public_timeline(issue=issue),
            "photos": issue_shown_photos(issue=issue),
            "contact": contact,
            "masked_phone": mask_phone(issue.contact_phone) if contact == "masked" else "",
            "now": now,
            "publication": _publication(request, issue),
        },
    )


def _requests(issue, assignments: list[Assignment]) -> list:
    """The case's requests to the dispatcher, newest first, each with its assignment (and
    organisation) from those the page read already."""
    found = list(issue.coordination_requests.order_by("-requested_at", "-id"))
    by_pk = {a.pk: a for a in assignments}
    for item in found:
        if item.assignment_id in by_pk:
            item.assignment = by_pk[item.assignment_id]
    return found


def _publication(request: HttpRequest, issue) -> dict:
    """What the public sees of the case (``issues.publication``), and for the dispatcher the
    form to approve its summary or withhold it."""
    refusal = publication_refusal(issue)
    return {
        "refusal": REFUSAL_LABELS[refusal] if refusal else "",
        "summary": public_summary(issue),
        "area": public_place(issue).area_name,
        "form": PublicationForm(
            initial={"public_summary": issue.public_summary, "keep_private": issue.keep_private},
            auto_id="id_publication_%s",
        )
        if can_edit_publication(request.user)
        else None,
    }


@login_required
def staff_photo(request: HttpRequest, issue_id: int, photo_id: int) -> FileResponse:
    """One photo of a case the user may see; 404 when the issue is missing or forbidden, and
    when the photo is not that issue's (a photo id alone opens nothing)."""
    issue = issue_for_user(user=request.user, issue_id=issue_id)
    return photo_response(issue_photo(issue=issue, photo_id=photo_id))


# ------------------------------------------------------------- what staff do with a case


def _codes(agencies) -> list[str]:
    return [agency.code for agency in agencies]


@dataclass(frozen=True)
class AssignmentAction:
    """One action of the case page: its form, its one service, and what to say when done
    (``%(number)s`` is the issue's tracking number)."""

    form: type[forms.Form]
    service: Callable[..., object]  # (actor, assignment, cleaned data)
    success: Callable[[HttpRequest], str]


ASSIGNMENT_ACTIONS: dict[str, AssignmentAction] = {
    "accept": AssignmentAction(
        forms.Form,
        lambda actor, a, data: assignments.assignment_accept(assignment_id=a.pk, actor=actor),
        lambda request: _("Accepted %(number)s."),
    ),
    "resolve": AssignmentAction(
        ResolveForm,
        lambda actor, a, data: assignments.assignment_resolve(
            assignment_id=a.pk,
            actor=actor,
            resolution=data["resolution"],
            published=data["published"],
        ),
        lambda request: _("Resolved %(number)s."),
    ),
    "bounce": AssignmentAction(
        ReasonForm,
        lambda actor, a, data: requests.assignment_request_bounce(
            assignment_id=a.pk, actor=actor, reason=data["reason"]
        ),
        lambda request: _("%(number)s: the return was asked for; the dispatcher decides."),
    ),
    "transfer": AssignmentAction(
        TransferForm,
        lambda actor, a, data: requests.assignment_request_transfer(
            assignment_id=a.pk,
            actor=actor,
            reason=data["reason"],
            suggested_agency=data["suggested_agency"].code if data["suggested_agency"] else "",
        ),
        lambda request: _("%(number)s: the transfer was asked for; the dispatcher decides."),
    ),
    "cohandle": AssignmentAction(
        CohandleForm,
        lambda actor, a, data: requests.assignment_request_cohandlers(
            assignment_id=a.pk,
            actor=actor,
            agencies=_codes(data["agencies"]),
            reason=data["reason"],
        ),
        lambda request: _("%(number)s: co-handlers were asked for; the dispatcher decides."),
    ),
    "whistle": AssignmentAction(
        WhistleForm,
        lambda actor, a, data: assignments.assignment_whistle(
            assignment_id=a.pk,
            actor=actor,
            agencies=_codes(data["agencies"]),
            reason=data["reason"],
        ),
        lambda request: _("%(number)s: the departments were summoned (吹哨报到)."),
    ),
    "extension": AssignmentAction(
        ExtensionForm,
        lambda actor, a, data: requests.assignment_request_extension(
            assignment_id=a.pk, actor=actor, until=data["until"], reason=data["reason"]
        ),
        lambda request: _("%(number)s: more time was asked for; the dispatcher decides."),
    ),
    "reply": AssignmentAction(
        ReplyForm,
        lambda actor, a, data: assignments.assignment_reply(
            assignment_id=a.pk,
            actor=actor,
            message=data["message"],
            public=data["public"],
            published=data["published"],
        ),
        lambda request: (
            _("%(number)s: the reply is on the resident's tracking page.")
            if CheckboxInput().value_from_datadict(request.POST, None, "public")
            else _("%(number)s: the note was added for the handlers.")
        ),
    ),
    "appeal": AssignmentAction(
        ReasonForm,
        lambda actor, a, data: requests.feedback_appeal(
            assignment_id=a.pk, actor=actor, reason=data["reason"]
        ),
        lambda request: _("%(number)s: the rating was appealed; the dispatcher decides."),
    ),
}


@require_POST
@agency_member_required
def assignment_act(request: HttpRequest, assignment_id: int, action: str) -> HttpResponse:
    """One action of the case page on one assignment: parse its form, call its service, say
    what happened and go back to the case (post/redirect/get)."""
    spec = ASSIGNMENT_ACTIONS[action]
    assignment = assignment_for_user(user=request.user, assignment_id=assignment_id)
    # The organisation's own forms leave the organisation itself out of their choices.
    takes_agency = issubclass(spec.form, (TransferForm, AgenciesForm))
    extra = (
        {
            "agency": assignment.agency,
            "on_case": issue_active_agency_ids(issue_id=assignment.issue_id),
        }
        if takes_agency
        else {}
    )
    form = spec.form(request.POST, **extra)
    act(
        request,
        form,
        lambda data: spec.service(request.user, assignment, data),
        spec.success(request) % {"number": assignment.issue.tracking_number},
    )
    return redirect("coordination:staff_issue", issue_id=assignment.issue_id)
