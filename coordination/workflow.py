"""The 12345 workflow beyond accepting and resolving, always through the dispatcher.

Agencies ask (bounce-back 退单, transfer 转办, co-handling 协办, extension 延期, appeal of a
rating); the dispatcher decides. A street office may whistle (吹哨报到) departments to a
place directly. Handlers reply to the resident or note for each other. Residents rate the
resolution (回访) or reopen it; the dispatcher merges duplicates (并单) and supervises (督办).

Every service checks that its transition is allowed (raising ``TransitionNotAllowed`` with a
message for people), changes its rows in one transaction under row locks, writes exactly one
Handoff, adds the resident's public update where the resident should know, keeps object
permissions in step, and notifies after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from agencies.models import Agency
from agencies.services import agency_group
from issues.models import Feedback, Issue, Update
from issues.services import issue_add_update

from .deadlines import work_calendar
from .models import Assignment, CoordinationRequest, Handoff
from .notifications import notify_agency_after_commit, notify_resident_after_commit
from .services import TransitionNotAllowed, _assign, dispatch_centre

Kind = CoordinationRequest.Kind


def _locked(assignment_id: int) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("issue", "agency")
        .get(pk=assignment_id)
    )


def _require_active(assignment: Assignment) -> None:
    if not assignment.is_active:
        raise TransitionNotAllowed(_("This assignment is no longer active."))


def _require_text(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TransitionNotAllowed(message)
    return text


def _agencies(codes: Sequence[str], *, exclude: Sequence[int] = ()) -> list[Agency]:
    """Active, non-dispatch agencies by code; TransitionNotAllowed naming unknown codes."""
    codes = list(dict.fromkeys(c for c in codes if c))
    found = {
        a.code: a
        for a in Agency.objects.filter(code__in=codes, active=True).exclude(
            kind=Agency.Kind.DISPATCH_CENTRE
        )
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise TransitionNotAllowed(
            _("Unknown or inactive organisation: %(codes)s") % {"codes": ", ".join(unknown)}
        )
    return [found[c] for c in codes if found[c].pk not in exclude]


def _request(
    *,
    assignment: Assignment,
    kind: str,
    actor: AbstractBaseUser,
    reason: str,
    payload: dict,
    handoff_kind: str,
    to_agency: Agency | None = None,
) -> CoordinationRequest:
    try:
        with transaction.atomic():
            request = CoordinationRequest.objects.create(
                issue=assignment.issue,
                assignment=assignment,
                kind=kind,
                reason=reason,
                payload=payload,
                requested_by=actor,
            )
    except IntegrityError as error:
        raise TransitionNotAllowed(
            _("A request of this kind is already waiting for the dispatcher.")
        ) from error
    Handoff.objects.create(
        issue=assignment.issue,
        kind=handoff_kind,
        assignment=assignment,
        from_agency=assignment.agency,
        to_agency=to_agency or dispatch_centre(),
        actor=actor,
        note=reason,
        details={"request": request.pk, **payload},
    )
    return request


# ------------------------------------------------------------------- an agency's requests


def assignment_request_bounce(
    *, assignment_id: int, actor: AbstractBaseUser, reason: str
) -> CoordinationRequest:
    """Ask to return an assignment (退单) within the bounce window of receiving it.

    The window is ``settings.BOUNCE_WINDOW`` of working time. Raises TransitionNotAllowed
    when the assignment is no longer active, the window has passed or no reason is given.
    """
    reason = _require_text(reason, _("Say why the assignment should be returned."))
    with transaction.atomic():
        assignment = _locked(assignment_id)
        _require_active(assignment)
        if work_calendar().between(assignment.created_at, timezone.now()) > settings.BOUNCE_WINDOW:
            raise TransitionNotAllowed(
                _("The time to return this assignment has passed; ask for a transfer instead.")
            )
        return _request(
            assignment=assignment,
            kind=Kind.BOUNCE,
            actor=actor,
            reason=reason,
            payload={},
            handoff_kind=Handoff.Kind.BOUNCE_REQUESTED,
        )


def assignment_request_transfer(
    *, assignment_id: int, actor: AbstractBaseUser, reason: str, suggested_agency: str = ""
) -> CoordinationRequest:
    """Ask the dispatcher to move the lead elsewhere (转办), never straight to another agency."""
    reason = _require_text(reason, _("Say why the issue should be transferred."))
    suggested = _agencies([suggested_agency])[0].code if suggested_agency else ""
    with transaction.atomic():
        assignment = _locked(assignment_id)
        _require_active(assignment)
        if assignment.role != Assignment.Role.LEAD:
            raise TransitionNotAllowed(_("Only the lead can ask for a transfer."))
        return _request(
            assignment=assignment,
            kind=Kind.TRANSFER,
            actor=actor,
            reason=reason,
            payload={"suggested_agency": suggested},
            handoff_kind=Handoff.Kind.TRANSFER_REQUESTED,
        )


def assignment_request_cohandlers(
    *, assignment_id: int, actor: AbstractBaseUser, agencies: Sequence[str], reason: str
) -> CoordinationRequest:
    """The lead asks the dispatcher for co-handlers (协办)."""
    reason = _require_text(reason, _("Say why co-handlers are needed."))
    with transaction.atomic():
        assignment = _locked(assignment_id)
        _require_active(assignment)
        if assignment.role != Assignment.Role.LEAD:
            raise TransitionNotAllowed(_("Only the lead can ask for co-handlers."))
        chosen = _agencies(agencies, exclude=[assignment.agency_id])
        if not chosen:
            raise TransitionNotAllowed(_("Name at least one other organisation."))
        return _request(
            assignment=assignment,
            kind=Kind.COHANDLE,
            actor=actor,
            reason=reason,
            payload={"agencies": [a.code for a in chosen]},
            handoff_kind=Handoff.Kind.COHANDLING_REQUESTED,
        )


def assignment_request_extension(
    *, assignment_id: int, actor: AbstractBaseUser, until: datetime, reason: str
) -> CoordinationRequest:
    """Ask for more time (延期), before the deadline, to a later moment."""
    reason = _require_text(reason, _("Say why more time is needed."))
    with transaction.atomic():
        assignment = _locked(assignment_id)
        _require_active(assignment)
        now = timezone.now()
        if assignment.due_at is None or now >= assignment.due_at:
            raise TransitionNotAllowed(_("An extension must be asked for before the deadline."))
        if until <= assignment.due_at:
            raise TransitionNotAllowed(_("The new deadline must be later than the current one."))
        return _request(
            assignment=assignment,
            kind=Kind.EXTENSION,
            actor=actor,
            reason=reason,
            payload={"until": until.isoformat(), "due_at": assignment.due_at.isoformat()},
            handoff_kind=Handoff.Kind.EXTENSION_REQUESTED,
        )


def feedback_appeal(
    *, assignment_id: int, actor: AbstractBaseUser, reason: str
) -> CoordinationRequest:
    """The lead appeals the latest rating of its resolution as unfair; the dispatcher decides."""
    reason = _require_text(reason, _("Say why the rating is unfair."))
    with transaction.atomic():
        assignment = _locked(assignment_id)
        if assignment.role != Assignment.Role.LEAD:
            raise TransitionNotAllowed(_("Only the lead can appeal a rating."))
        feedback = assignment.issue.feedback.order_by("-at", "-id").first()
        if feedback is None:
            raise TransitionNotAllowed(_("There is no rating to appeal."))
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
            raise TransitionNotAllowed(_("Only the organisation whose work was rated can appeal."))
        already = CoordinationRequest.objects.filter(
            kind=Kind.APPEAL, payload__feedback=feedback.pk
        ).exclude(status=CoordinationRequest.Status.OPEN)
        if feedback.excluded or already.exists():
            raise TransitionNotAllowed(_("This rating has been appealed already."))
        return _request(
            assignment=assignment,
            kind=Kind.APPEAL,
            actor=actor,
            reason=reason,
            payload={"feedback": feedback.pk, "rating": feedback.rating},
            handoff_kind=Handoff.Kind.APPEAL_REQUESTED,
        )


# --------------------------------------------------------------------- the whistle


def assignment_whistle(
    *, assignment_id: int, actor: AbstractBaseUser, agencies: Sequence[str], reason: str
) -> list[Assignment]:
    """A street office summons departments to a place (吹哨报到).

    Only a street office holding an active assignment may whistle. Each summoned department
    gets a co-handling assignment that must be accepted within ``WHISTLE_RESPONSE``; their
    acceptance time is its response time. One ``whistle`` Handoff names them all.
    """
    reason = _require_text(reason, _("Say what the departments are summoned for."))
    with transaction.atomic():
        assignment = _locked(assignment_id)
        _require_active(assignment)
        if assignment.agency.kind != Agency.Kind.STREET_OFFICE:
            raise TransitionNotAllowed(_("Only a street office can blow the whistle."))
        issue = Issue.objects.select_for_update().get(pk=assignment.issue_id)
        holding = set(
            issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).values_list(
                "agency_id", flat=True
            )
        )
        summoned = _agencies(agencies, exclude=list(holding))
        if not summoned:
            raise TransitionNotAllowed(_("Name at least one department not already on the case."))
        now = timezone.now()
        created = []
        for agency in summoned:
            summons = _assign(issue=issue, agency=agency, role=Assignment.Role.CO_HANDLER, now=now)
            summons.summoned = True
            summons.response_due_at = now + settings.WHISTLE_RESPONSE
            summons.save(update_fields=["summoned", "response_due_at"])
            created.append(summons)
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.WHISTLE,
            assignment=assignment,
            from_agency=assignment.agency,
            actor=actor,
            note=reason,
            details={
                "summoned": [a.code for a in summoned],
                "respond_by": (now + settings.WHISTLE_RESPONSE).isoformat(),
            },
            at=now,
        )
    return created


# ------------------------------------------------------------------- the dispatcher decides


def _end_assignment(assignment: Assignment, status: str) -> None:
    """Return or cancel an assignment and take the agency's view of the issue away."""
    assignment.status = status
    assignment.done_at = timezone.now()
    assignment.save(update_fields=["status", "done_at"])
    still_holds = Assignment.objects.filter(
        issue_id=assignment.issue_id,
        agency_id=assignment.agency_id,
        status__in=[*Assignment.ACTIVE_STATUSES, Assignment.Status.DONE],
    ).exists()
    if not still_holds:
        remove_perm("issues.view_issue", agency_group(agency=assignment.agency), assignment.issue)


def _move_lead(*, issue: Issue, old: Assignment, to: Agency | None, now) -> Assignment | None:
    _end_assignment(old, Assignment.Status.RETURNED)
    if to is None:
        issue.status = Issue.Status.TRIAGE
        issue.save(update_fields=["status", "updated_at"])
        issue_add_update(issue=issue, kind=Update.Kind.TRIAGED)
        return None
    Assignment.objects.filter(issue=issue, agency=to, status__in=Assignment.ACTIVE_STATUSES).update(
        status=Assignment.Status.CANCELLED, done_at=now
    )  # a co-handler promoted to lead
    new = _assign(issue=issue, agency=to, role=Assignment.Role.LEAD, now=now)
    issue.status = Issue.Status.DISPATCHED
    issue.save(update_fields=["status", "updated_at"])
    issue_add_update(issue=issue, kind=Update.Kind.DISPATCHED, agency=to)
    return new


def request_approve(
    *, request_id: int, actor: AbstractBaseUser, note: str = "", reassign_to: str = ""
) -> CoordinationRequest:
    """The dispatcher approves a request; what follows depends on its kind.

    - bounce: the assignment is returned; a lead goes to ``reassign_to`` or back to triage
      (a co-handler simply leaves the case);
    - transfer: the lead moves to ``reassign_to`` (or the suggested agency), both ends
      recorded; without either it goes back to triage;
    - co-handling: each named agency gets its own co-handling assignment and deadline;
    - extension: the deadline moves to the asked time and the record says why;
    - appeal: the rating stays on record but is left out of the agency's rates.

    Raises TransitionNotAllowed when the request was decided already (someone got there
    first) or its assignment has ended meanwhile.
    """
    target = _agencies([reassign_to])[0] if reassign_to else None
    with transaction.atomic():
        request = (
            CoordinationRequest.objects.select_for_update(of=("self",))
            .select_related("issue", "assignment__agency")
            .get(pk=request_id)
        )
        if request.status != CoordinationRequest.Status.OPEN:
            raise TransitionNotAllowed(_("This request has been decided already."))
        assignment = _locked(request.assignment_id)
        issue = Issue.objects.select_for_update().get(pk=request.issue_id)
        now = timezone.now()
        details: dict = {"request": request.pk, "approved": True}
        to_agency = None
        if request.kind in (Kind.BOUNCE, Kind.TRANSFER):
            _require_active(assignment)
            if (
                request.kind == Kind.TRANSFER
                and target is None
                and request.payload.get("suggested_agency")
            ):
                target = _agencies([request.payload["suggested_agency"]])[0]
            if target is not None and target.pk == assignment.agency_id:
                raise TransitionNotAllowed(_("Choose another organisation."))
            if assignment.role == Assignment.Role.LEAD:
                _move_lead(issue=issue, old=assignment, to=target, now=now)
            else:
                _end_assignment(assignment, Assignment.Status.RETURNED)
                if target is not None:  # another agency co-handles in its place
                    _assign(issue=issue, agency=target, role=Assignment.Role.CO_HANDLER, now=now)
            to_agency = target
            kind = (
                Handoff.Kind.BOUNCE_APPROVED
                if request.kind == Kind.BOUNCE
                else Handoff.Kind.TRANSFERRED
            )
            details["to"] = target.code if target else "triage"
        elif request.kind == Kind.COHANDLE:
            _require_active(assignment)
            holding = set(
                issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).values_list(
                    "agency_id", flat=True
                )
            )
            added = _agencies(request.payload.get("agencies", []), exclude=list(holding))
            for agency in added:
                _assign(issue=issue, agency=agency, role=Assignment.Role.CO_HANDLER, now=now)
            kind = Handoff.Kind.COHANDLER_ADDED
            details["added"] = [a.code for a in added]
        elif request.kind == Kind.EXTENSION:
            _require_active(assignment)
            until = datetime.fromisoformat(request.payload["until"])
            details["from"], details["until"] = assignment.due_at.isoformat(), until.isoformat()
            assignment.due_at = until
            assignment.extended = True
            assignment.save(update_fields=["due_at", "extended"])
            kind = Handoff.Kind.EXTENSION_GRANTED
        else:  # appeal
            Feedback.objects.filter(pk=request.payload.get("feedback")).update(excluded=True)
            kind = Handoff.Kind.APPEAL_UPHELD
        request.status = CoordinationRequest.Status.APPROVED
        request.decided_by, request.decided_at, request.decision_note = actor, now, note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        Handoff.objects.create(
            issue=issue,
            kind=kind,
            assignment=assignment,
            from_agency=assignment.agency,
            to_agency=to_agency,
            actor=actor,
            note=note or request.reason,
            details=details,
            at=now,
        )
        notify_agency_after_commit(
            agency_id=assignment.agency_id, issue_id=issue.pk, event="request_decided"
        )
    return request


def request_reject(*, request_id: int, actor: AbstractBaseUser, note: str) -> CoordinationRequest:
    """The dispatcher rejects a request: the assignment stays with its agency as it was."""
    note = _require_text(note, _("Say why the request is rejected."))
    with transaction.atomic():
        request = (
            CoordinationRequest.objects.select_for_update(of=("self",))
            .select_related("issue", "assignment__agency")
            .get(pk=request_id)
        )
        if request.status != CoordinationRequest.Status.OPEN:
            raise TransitionNotAllowed(_("This request has been decided already."))
        now = timezone.now()
        request.status = CoordinationRequest.Status.REJECTED
        request.decided_by, request.decided_at, request.decision_note = actor, now, note
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        kind = {
            Kind.BOUNCE: Handoff.Kind.BOUNCE_REJECTED,
            Kind.TRANSFER: Handoff.Kind.TRANSFER_REJECTED,
            Kind.COHANDLE: Handoff.Kind.COHANDLING_REJECTED,
            Kind.EXTENSION: Handoff.Kind.EXTENSION_DENIED,
            Kind.APPEAL: Handoff.Kind.APPEAL_REJECTED,
        }[request.kind]
        Handoff.objects.create(
            issue=request.issue,
            kind=kind,
            assignment=request.assignment,
            from_agency=dispatch_centre(),
            to_agency=request.assignment.agency,
            actor=actor,
            note=note,
            details={"request": request.pk, "approved": False, "kind": request.kind},
            at=now,
        )
        notify_agency_after_commit(
            agency_id=request.assignment.agency_id,
            issue_id=request.issue_id,
            event="request_decided",
        )
    return request


# --------------------------------------------------------------------- replies and notes


def assignment_reply(
    *, assignment_id: int, actor: AbstractBaseUser, message: str, public: bool
) -> Handoff:
    """A reply to the resident (public: on the tracking page, and by email) or a note that
    only the handlers of the issue see."""
    message = _require_text(message, _("Write the message."))
    with transaction.atomic():
        assignment = _locked(assignment_id)
        if assignment.status not in (*Assignment.ACTIVE_STATUSES, Assignment.Status.DONE):
            raise TransitionNotAllowed(_("This assignment is no longer active."))
        handoff = Handoff.objects.create(
            issue=assignment.issue,
            kind=Handoff.Kind.REPLIED,
            assignment=assignment,
            from_agency=assignment.agency,
            actor=actor,
            note=message,
            details={"public": public},
        )
        if public:
            issue_add_update(
                issue=assignment.issue,
                kind=Update.Kind.REPLIED,
                note=message,
                agency=assignment.agency,
            )
            notify_resident_after_commit(issue_id=assignment.issue_id, event="replied")
    return handoff


# ----------------------------------------------------------------- the resident's follow-up


def _lead_done(issue: Issue) -> Assignment | None:
    return (
        issue.assignments.filter(role=Assignment.Role.LEAD, status=Assignment.Status.DONE)
        .select_related("agency")
        .order_by("-done_at", "-id")
        .first()
    )


def _redo(*, issue: Issue, now, reason: str, handoff_kind: str, details: dict) -> Assignment:
    # ``handoff_kind``: the one Handoff of the resident's act (feedback or reopened).
    """Send a resolved issue back to the same lead as new work, counted as redo (返工)."""
    previous = _lead_done(issue)
    if previous is None:
        raise TransitionNotAllowed(_("This issue has no lead to send it back to."))
    issue.status = Issue.Status.DISPATCHED
    issue.redo_count += 1
    issue.resolved_at = None
    issue.closed_at = None
    issue.save(update_fields=["status", "redo_count", "resolved_at", "closed_at", "updated_at"])
    redo = _assign(issue=issue, agency=previous.agency, role=Assignment.Role.LEAD, now=now)
    redo.redo = True
    redo.save(update_fields=["redo"])
    Handoff.objects.create(
        issue=issue,
        kind=handoff_kind,
        assignment=redo,
        to_agency=previous.agency,
        note=reason,
        details={**details, "redo": issue.redo_count},
        at=now,
    )
    return redo


def _close(issue: Issue, now) -> None:
    """Close the issue and end the work still open on it (co-handlers the lead outran)."""
    issue.status = Issue.Status.CLOSED
    issue.closed_at = now
    issue.save(update_fields=["status", "closed_at", "updated_at"])
    for assignment in issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES):
        _end_assignment(assignment, Assignment.Status.CANCELLED)


def issue_feedback(*, issue_id: int, rating: int, comment: str = "") -> Feedback:
    """The resident rates the resolution (回访), once per resolution.

    1–2 sends the issue back to the same lead (counted as redo); 3–5 closes it. Raises
    TransitionNotAllowed unless the issue is resolved, ValueError for a rating outside 1–5.
    """
    if rating not in range(1, 6):
        raise ValueError(_("A rating is from 1 to 5."))
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        if issue.status != Issue.Status.RESOLVED:
            raise TransitionNotAllowed(_("You can rate an issue once it is resolved."))
        now = timezone.now()
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    issue=issue,
                    rating=rating,
                    comment=comment.strip(),
                    round=issue.redo_count,
                    at=now,
                )
        except IntegrityError as error:
            raise TransitionNotAllowed(_("This resolution has been rated already.")) from error
        issue_add_update(issue=issue, kind=Update.Kind.FEEDBACK, note=f"{rating}/5")
        if rating <= 2:
            _redo(
                issue=issue,
                now=now,
                reason=comment or _("Rated %(n)d/5") % {"n": rating},
                handoff_kind=Handoff.Kind.FEEDBACK,
                details={"feedback": feedback.pk, "rating": rating, "outcome": "redo"},
            )
            issue_add_update(issue=issue, kind=Update.Kind.REOPENED)
        else:
            _close(issue, now)
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.FEEDBACK,
                note=comment,
                details={"feedback": feedback.pk, "rating": rating, "outcome": "closed"},
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.CLOSED)
    return feedback


def issue_reopen(*, issue_id: int, reason: str) -> Assignment:
    """The resident reopens a resolved (or closed) issue within the reopen window."""
    reason = _require_text(reason, _("Say what is still wrong."))
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        if issue.status not in (Issue.Status.RESOLVED, Issue.Status.CLOSED):
            raise TransitionNotAllowed(_("Only a resolved issue can be reopened."))
        now = timezone.now()
        done = _lead_done(issue)
        resolved_at = issue.resolved_at or (done.done_at if done else None)
        if resolved_at is None or now - resolved_at > settings.REOPEN_WINDOW:
            raise TransitionNotAllowed(_("The time to reopen this issue has passed."))
        redo = _redo(
            issue=issue,
            now=now,
            reason=reason,
            handoff_kind=Handoff.Kind.REOPENED,
            details={"why": "reopened by the resident"},
        )
        issue_add_update(issue=issue, kind=Update.Kind.REOPENED, note=reason)
    return redo


def issues_close_unrated(*, now: datetime | None = None) -> int:
    """Close issues resolved longer than ``FEEDBACK_CLOSE_AFTER`` ago with no rating."""
    now = now or timezone.now()
    closed = 0
    stale = Issue.objects.filter(
        status=Issue.Status.RESOLVED, resolved_at__lt=now - settings.FEEDBACK_CLOSE_AFTER
    ).values_list("pk", flat=True)
    for issue_id in list(stale[:1000]):
        with transaction.atomic():
            issue = Issue.objects.select_for_update().get(pk=issue_id)
            if issue.status != Issue.Status.RESOLVED:
                continue  # rated or reopened meanwhile
            issue.status = Issue.Status.CLOSED
            issue.closed_at = now
            issue.save(update_fields=["status", "closed_at", "updated_at"])
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.CLOSED,
                details={"why": "no answer to the follow-up"},
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.CLOSED)
            closed += 1
    return closed


# ------------------------------------------------------------- the dispatcher's own acts


def issue_escalate(*, issue_id: int, actor: AbstractBaseUser, note: str) -> Handoff:
    """Supervise (督办): put an open issue before its handlers' managers, on the record."""
    note = _require_text(note, _("Say what is expected."))
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        if not issue.is_open:
            raise TransitionNotAllowed(_("Only an open issue can be supervised."))
        handoff = Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.ESCALATED,
            from_agency=dispatch_centre(),
            actor=actor,
            note=note,
            details={"by": "dispatcher"},
        )
        for agency_id in issue.assignments.filter(
            status__in=Assignment.ACTIVE_STATUSES
        ).values_list("agency_id", flat=True):
            notify_agency_after_commit(
                agency_id=agency_id, issue_id=issue.pk, event="escalated", managers_only=True
            )
    return handoff


def issue_merge(*, issue_id: int, into_id: int, actor: AbstractBaseUser) -> Issue:
    """Merge a duplicate into the issue that continues (并单).

    The duplicate's open assignments are cancelled and it ends as ``merged``; its resident
    is told and its tracking page follows the surviving issue. Raises TransitionNotAllowed
    for merging an issue into itself, into a merged or closed issue, or a closed one.
    """
    if issue_id == into_id:
        raise TransitionNotAllowed(_("An issue cannot be merged into itself."))
    with transaction.atomic():
        first, second = sorted([issue_id, into_id])  # lock in one order: no deadlock
        locked = {i.pk: i for i in Issue.objects.select_for_update().filter(pk__in=[first, second])}
        duplicate, survivor = locked.get(issue_id), locked.get(into_id)
        if duplicate is None or survivor is None:
            raise Issue.DoesNotExist
        if duplicate.status in (Issue.Status.MERGED, Issue.Status.CLOSED, Issue.Status.REJECTED):
            raise TransitionNotAllowed(_("This issue has ended already."))
        if survivor.status in (Issue.Status.MERGED, Issue.Status.REJECTED, Issue.Status.CLOSED):
            raise TransitionNotAllowed(_("Merge into an issue that is still being handled."))
        for assignment in duplicate.assignments.filter(status__in=Assignment.ACTIVE_STATUSES):
            _end_assignment(assignment, Assignment.Status.CANCELLED)
        duplicate.status = Issue.Status.MERGED
        duplicate.merged_into = survivor
        duplicate.closed_at = timezone.now()
        duplicate.save(update_fields=["status", "merged_into", "closed_at", "updated_at"])
        Handoff.objects.create(
            issue=duplicate,
            kind=Handoff.Kind.MERGED,
            from_agency=dispatch_centre(),
            actor=actor,
            details={"into": survivor.pk, "tracking_number": survivor.tracking_number},
        )
        issue_add_update(issue=duplicate, kind=Update.Kind.MERGED, note=survivor.tracking_number)
        # The survivor's resident learns that others reported the same problem.
        issue_add_update(issue=survivor, kind=Update.Kind.MERGED, note=duplicate.tracking_number)
        notify_resident_after_commit(issue_id=duplicate.pk, event="merged")
    return duplicate
