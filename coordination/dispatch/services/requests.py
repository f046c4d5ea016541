"""What an organisation asks of the dispatcher, and the dispatcher's decision on it.

Bounce-back (退单), transfer (转办), co-handling (协办), extension (延期) and an appeal of an
unfair rating are *coordination requests*: they wait, ``open``, until the dispatcher (the
obligatory passage point) approves or rejects them. Both the request and the decision are
handoffs; a transfer never goes straight from one organisation to another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.deadlines.selectors import work_calendar
from issues.models import Feedback, Issue, Update
from issues.services import issue_add_update
from platform_gov.errors import WorkflowError

from ..events import Event, publish
from ..models import Assignment, CoordinationRequest, Handoff
from ..selectors import dispatch_centre
from ..transitions import ISSUE
from .common import (
    active_agency_ids,
    agencies_by_code,
    assign,
    end_assignment,
    locked_assignment,
    locked_issue,
    require_active,
    require_text,
)

Kind = CoordinationRequest.Kind

REQUESTED = {
    Kind.BOUNCE: Handoff.Kind.BOUNCE_REQUESTED,
    Kind.TRANSFER: Handoff.Kind.TRANSFER_REQUESTED,
    Kind.COHANDLE: Handoff.Kind.COHANDLING_REQUESTED,
    Kind.EXTENSION: Handoff.Kind.EXTENSION_REQUESTED,
    Kind.APPEAL: Handoff.Kind.APPEAL_REQUESTED,
}
APPROVED = {
    Kind.BOUNCE: Handoff.Kind.BOUNCE_APPROVED,
    Kind.TRANSFER: Handoff.Kind.TRANSFERRED,
    Kind.COHANDLE: Handoff.Kind.COHANDLER_ADDED,
    Kind.EXTENSION: Handoff.Kind.EXTENSION_GRANTED,
    Kind.APPEAL: Handoff.Kind.APPEAL_UPHELD,
}
REJECTED = {
    Kind.BOUNCE: Handoff.Kind.BOUNCE_REJECTED,
    Kind.TRANSFER: Handoff.Kind.TRANSFER_REJECTED,
    Kind.COHANDLE: Handoff.Kind.COHANDLING_REJECTED,
    Kind.EXTENSION: Handoff.Kind.EXTENSION_DENIED,
    Kind.APPEAL: Handoff.Kind.APPEAL_REJECTED,
}


def _request(
    *,
    assignment_id: int,
    actor: AbstractBaseUser,
    kind: str,
    reason: str,
    payload: Callable[[Assignment], dict],
    lead_only: str = "",
    active: bool = True,
) -> CoordinationRequest:
    """Open a request of ``kind`` on the locked assignment, and its one Handoff.

    ``payload`` checks what the kind needs (raising WorkflowError) and returns what the
    request carries. ``lead_only`` is the refusal when a co-handler asks; ``active`` whether
    the assignment must still be active. One open request per kind and assignment (a
    constraint); a second answers WorkflowError.
    """
    with transaction.atomic():
        assignment = locked_assignment(assignment_id)
        if active:
            require_active(assignment)
        if lead_only and assignment.role != Assignment.Role.LEAD:
            raise WorkflowError(lead_only, code="lead_only")
        data = payload(assignment)
        try:
            with transaction.atomic():
                request = CoordinationRequest.objects.create(
                    issue=assignment.issue,
                    assignment=assignment,
                    kind=kind,
                    reason=reason,
                    payload=data,
                    requested_by=actor,
                )
        except IntegrityError as error:
            raise WorkflowError(
                _("A request of this kind is already waiting for the dispatcher."),
                code="request_waiting",
            ) from error
        Handoff.objects.create(
            issue=assignment.issue,
            kind=REQUESTED[kind],
            assignment=assignment,
            from_agency=assignment.agency,
            to_agency=dispatch_centre(),
            actor=actor,
            note=reason,
            details={"request": request.pk, **data},
        )
    return request


def assignment_request_bounce(
    *, assignment_id: int, actor: AbstractBaseUser, reason: str
) -> CoordinationRequest:
    """Ask to return an assignment (退单) within ``BOUNCE_WINDOW`` working time of receiving it."""

    def within_window(assignment: Assignment) -> dict:
        if work_calendar().between(assignment.created_at, timezone.now()) > settings.BOUNCE_WINDOW:
            raise WorkflowError(
                _("The time to return this assignment has passed; ask for a transfer instead."),
                code="bounce_window_passed",
            )
        return {}

    return _request(
        assignment_id=assignment_id,
        actor=actor,
        kind=Kind.BOUNCE,
        reason=require_text(reason, _("Say why the assignment should be returned.")),
        payload=within_window,
    )


def assignment_request_transfer(
    *, assignment_id: int, actor: AbstractBaseUser, reason: str, suggested_agency: str = ""
) -> CoordinationRequest:
    """The lead asks the dispatcher to move the lead elsewhere (转办), never straight to
    another organisation; ``suggested_agency`` is a code the dispatcher may follow."""
    reason = require_text(reason, _("Say why the issue should be transferred."))
    suggested = agencies_by_code([suggested_agency])[0].code if suggested_agency else ""
    return _request(
        assignment_id=assignment_id,
        actor=actor,
        kind=Kind.TRANSFER,
        reason=reason,
        payload=lambda _assignment: {"suggested_agency": suggested},
        lead_only=_("Only the lead can ask for a transfer."),
    )


def assignment_request_cohandlers(
    *, assignment_id: int, actor: AbstractBaseUser, agencies: Sequence[str], reason: str
) -> CoordinationRequest:
    """The lead asks the dispatcher for co-handlers (协办)."""

    def others(assignment: Assignment) -> dict:
        chosen = agencies_by_code(agencies, exclude=[assignment.agency_id])
        if not chosen:
            raise WorkflowError(
                _("Name at least one other organisation."), code="agencies_required"
            )
        return {"agencies": [a.code for a in chosen]}

    return _request(
        assignment_id=assignment_id,
        actor=actor,
        kind=Kind.COHANDLE,
        reason=require_text(reason, _("Say why co-handlers are needed.")),
        payload=others,
        lead_only=_("Only the lead can ask for co-handlers."),
    )


def assignment_request_extension(
    *, assignment_id: int, actor: AbstractBaseUser, until: datetime, reason: str
) -> CoordinationRequest:
    """Ask for more time (延期), before the deadline, to a later moment."""

    def later(assignment: Assignment) -> dict:
        if assignment.due_at is None or timezone.now() >= assignment.due_at:
            raise WorkflowError(
                _("An extension must be asked for before the deadline."),
                code="deadline_passed",
            )
        if until <= assignment.due_at:
            raise WorkflowError(
                _("The new deadline must be later than the current one."),
                code="not_later",
            )
        return {"until": until.isoformat(), "due_at": assignment.due_at.isoformat()}

    return _request(
        assignment_id=assignment_id,
        actor=actor,
        kind=Kind.EXTENSION,
        reason=require_text(reason, _("Say why more time is needed.")),
        payload=later,
    )


def feedback_appeal(
    *, assignment_id: int, actor: AbstractBaseUser, reason: str
) -> CoordinationRequest:
    """The lead appeals the latest rating of its resolution as unfair; the dispatcher decides."""

    def rated_work(assignment: Assignment) -> dict:
        feedback = assignment.issue.feedback.order_by("-at", "-id").first()
        if feedback is None:
            raise WorkflowError(_("There is no rating to appeal."), code="no_rating")
        rated = (
            assignment.issue.assignments.filter(
                role=Assignment.Role.LEAD,
                status=Assignment.Status.DONE,
                done_at__lte=feedback.at,
            )
            .order_by("-done_at", "-id")
            .first()
        )
        if rated is None or rated.agency_id != assignment.agency_id:
            raise WorkflowError(
                _("Only the organisation whose work was rated can appeal."), code="not_rated"
            )
        decided = CoordinationRequest.objects.filter(
            kind=Kind.APPEAL, payload__feedback=feedback.pk
        ).exclude(status=CoordinationRequest.Status.OPEN)
        if feedback.excluded or decided.exists():
            raise WorkflowError(_("This rating has been appealed already."), code="appealed")
        return {"feedback": feedback.pk, "rating": feedback.rating}

    return _request(
        assignment_id=assignment_id,
        actor=actor,
        kind=Kind.APPEAL,
        reason=require_text(reason, _("Say why the rating is unfair.")),
        payload=rated_work,
        lead_only=_("Only the lead can appeal a rating."),
        active=False,
    )


# ------------------------------------------------------------------- the dispatcher decides


def _locked_open_request(request_id: int) -> CoordinationRequest:
    request = (
        CoordinationRequest.objects.select_for_update(of=("self",))
        .select_related("issue", "assignment__agency")
        .get(pk=request_id)
    )
    if request.status != CoordinationRequest.Status.OPEN:
        raise WorkflowError(_("This request has been decided already."), code="decided")
    return request


def _move_lead(*, issue: Issue, old: Assignment, to: Agency | None, now) -> None:
    """Take the lead from ``old``: to ``to`` (a co-handler there is promoted), or to triage."""
    end_assignment(old, Assignment.Status.RETURNED, by="request_approve", now=now)
    if to is None:
        issue.status = ISSUE.move(
            issue.status,
            Issue.Status.TRIAGE,
            by="request_approve",
            refused=_("This issue is no longer being handled."),
        )
        issue.save(update_fields=["status", "updated_at"])
        issue_add_update(issue=issue, kind=Update.Kind.TRIAGED)
        return
    # A co-handler promoted to lead: its co-handling ends, and the lead's begins.
    for cohandling in issue.assignments.filter(agency=to, status__in=Assignment.ACTIVE_STATUSES):
        end_assignment(cohandling, Assignment.Status.CANCELLED, by="request_approve", now=now)
    assign(issue=issue, agency=to, role=Assignment.Role.LEAD, now=now)
    issue.status = ISSUE.move(
        issue.status,
        Issue.Status.DISPATCHED,
        by="request_approve",
        refused=_("This issue is no longer being handled."),
    )
    issue.save(update_fields=["status", "updated_at"])
    issue_add_update(issue=issue, kind=Update.Kind.DISPATCHED, agency=to)


def _decide(
    request: CoordinationRequest, *, actor, now, status: str, note: str, handoff: dict
) -> None:
    """Record the decision on the request, its one Handoff, and publish it."""
    request.status = status
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    Handoff.objects.create(
        issue_id=request.issue_id, assignment=request.assignment, actor=actor, at=now, **handoff
    )
    publish(
        Event.REQUEST_DECIDED,
        request_id=request.pk,
        assignment_id=request.assignment_id,
        issue_id=request.issue_id,
        agency_id=request.assignment.agency_id,
        approved=status == CoordinationRequest.Status.APPROVED,
    )


def request_approve(
    *, request_id: int, actor: AbstractBaseUser, note: str = "", reassign_to: str = ""
) -> CoordinationRequest:
    """The dispatcher approves a request; what follows depends on its kind.

    - bounce: the assignment is returned; a lead goes to ``reassign_to`` or back to triage
      (a co-handler simply leaves the case, or ``reassign_to`` co-handles in its place);
    - transfer: the lead moves to ``reassign_to`` (or the suggested agency), both ends
      recorded; without either it goes back to triage;
    - co-handling: each named agency gets its own co-handling assignment and deadline;
    - extension: the deadline moves to the asked time and the record says why;
    - appeal: the rating stays on record but is left out of the agency's rates.

    Raises WorkflowError when the request was decided already (someone got there first) or
    its assignment has ended meanwhile.
    """
    target = agencies_by_code([reassign_to])[0] if reassign_to else None
    with transaction.atomic():
        request = _locked_open_request(request_id)
        assignment = locked_assignment(request.assignment_id)
        issue = locked_issue(request.issue_id)
        now = timezone.now()
        details: dict = {"request": request.pk, "approved": True}
        to_agency = None
        if request.kind in (Kind.BOUNCE, Kind.TRANSFER):
            require_active(assignment)
            suggested = request.payload.get("suggested_agency")
            if request.kind == Kind.TRANSFER and target is None and suggested:
                target = agencies_by_code([suggested])[0]
            if target is not None and target.pk == assignment.agency_id:
                raise WorkflowError(_("Choose another organisation."), code="same_agency")
            if assignment.role == Assignment.Role.LEAD:
                _move_lead(issue=issue, old=assignment, to=target, now=now)
            else:
                end_assignment(
                    assignment, Assignment.Status.RETURNED, by="request_approve", now=now
                )
                if target is not None:  # another agency co-handles in its place
                    assign(issue=issue, agency=target, role=Assignment.Role.CO_HANDLER, now=now)
            to_agency = target
            details["to"] = target.code if target else "triage"
        elif request.kind == Kind.COHANDLE:
            require_active(assignment)
            added = agencies_by_code(
                request.payload.get("agencies", []), exclude=list(active_agency_ids(issue))
            )
            for agency in added:
                assign(issue=issue, agency=agency, role=Assignment.Role.CO_HANDLER, now=now)
            details["added"] = [a.code for a in added]
        elif request.kind == Kind.EXTENSION:
            require_active(assignment)
            until = datetime.fromisoformat(request.payload["until"])
            details["from"], details["until"] = assignment.due_at.isoformat(), until.isoformat()
            assignment.due_at = until
            assignment.extended = True
            assignment.save(update_fields=["due_at", "extended"])
        else:  # appeal
            Feedback.objects.filter(pk=request.payload.get("feedback")).update(excluded=True)
        _decide(
            request,
            actor=actor,
            now=now,
            status=CoordinationRequest.Status.APPROVED,
            note=note,
            handoff={
                "kind": APPROVED[request.kind],
                "from_agency": assignment.agency,
                "to_agency": to_agency,
                "note": note or request.reason,
                "details": details,
            },
        )
    return request


def request_reject(*, request_id: int, actor: AbstractBaseUser, note: str) -> CoordinationRequest:
    """The dispatcher rejects a request: the assignment stays with its agency as it was."""
    note = require_text(note, _("Say why the request is rejected."))
    with transaction.atomic():
        request = _locked_open_request(request_id)
        _decide(
            request,
            actor=actor,
            now=timezone.now(),
            status=CoordinationRequest.Status.REJECTED,
            note=note,
            handoff={
                "kind": REJECTED[request.kind],
                "from_agency": dispatch_centre(),
                "to_agency": request.assignment.agency,
                "note": note,
                "details": {"request": request.pk, "approved": False, "kind": request.kind},
            },
        )
    return request
