"""What the resident's follow-up (回访) sets in motion.

The resident's acts are the issues app's (``issues.services.issue_feedback`` and
``issue_reopen``): they record the rating or the reopening and announce it, inside their
transaction, with the ``issue_rated`` and ``issue_reopened`` signals. This module is what the
dispatcher does about it (``dispatch.receivers`` connects them): a rating of 3–5 closes the
issue; 1–2, or a reopening within the window, sends it back to the same lead as new work,
counted as redo (返工). Unrated issues close by themselves after ``FEEDBACK_CLOSE_AFTER``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from issues.models import Feedback, Issue, Update
from issues.services import issue_add_update
from platform_gov.errors import WorkflowError

from ..models import Assignment, Handoff
from ..transitions import ISSUE
from .common import assign, end_active_work, locked_issue, require_text


def _lead_done(issue: Issue) -> Assignment | None:
    return (
        issue.assignments.filter(role=Assignment.Role.LEAD, status=Assignment.Status.DONE)
        .select_related("agency")
        .order_by("-done_at", "-id")
        .first()
    )


def _redo(
    *, issue: Issue, now: datetime, reason: str, by: str, handoff_kind: str, details: dict
) -> Assignment:
    """Send a resolved (or closed) issue back to its last lead as new work, counted as redo;
    ``handoff_kind`` is the one Handoff of the resident's act (feedback or reopened)."""
    previous = _lead_done(issue)
    if previous is None:
        raise WorkflowError(_("This issue has no lead to send it back to."), code="no_lead")
    issue.status = ISSUE.move(
        issue.status, Issue.Status.DISPATCHED, by=by, refused=_("This issue cannot be reopened.")
    )
    issue.redo_count += 1
    issue.resolved_at = None
    issue.closed_at = None
    issue.save(update_fields=["status", "redo_count", "resolved_at", "closed_at", "updated_at"])
    redo = assign(
        issue=issue, agency=previous.agency, role=Assignment.Role.LEAD, now=now, redo=True
    )
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


def _close(issue: Issue, *, now: datetime, by: str) -> None:
    """Close a resolved issue and end the work still open on it (co-handlers the lead outran)."""
    issue.status = ISSUE.move(
        issue.status, Issue.Status.CLOSED, by=by, refused=_("Only a resolved issue closes.")
    )
    issue.closed_at = now
    issue.save(update_fields=["status", "closed_at", "updated_at"])
    end_active_work(issue, Assignment.Status.CANCELLED, by=by, now=now)


def issue_followup_rated(*, issue: Issue, feedback: Feedback) -> None:
    """The resident rated the resolution: 1–2 sends it back to the lead (redo), 3–5 closes it.

    Runs inside the rating's transaction, on the locked issue; writes the ``feedback``
    Handoff and the resident's public update.
    """
    details = {"feedback": feedback.pk, "rating": feedback.rating}
    if feedback.rating <= 2:
        _redo(
            issue=issue,
            now=feedback.at,
            reason=feedback.comment or _("Rated %(n)d/5") % {"n": feedback.rating},
            by="issue_feedback",
            handoff_kind=Handoff.Kind.FEEDBACK,
            details={**details, "outcome": "redo"},
        )
        issue_add_update(issue=issue, kind=Update.Kind.REOPENED)
    else:
        _close(issue, now=feedback.at, by="issue_feedback")
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.FEEDBACK,
            note=feedback.comment,
            details={**details, "outcome": "closed"},
            at=feedback.at,
        )
        issue_add_update(issue=issue, kind=Update.Kind.CLOSED)


def issue_followup_reopened(*, issue: Issue, reason: str) -> Assignment:
    """The resident reopened the issue within the window: back to its last lead as redo."""
    return _redo(
        issue=issue,
        now=timezone.now(),
        reason=reason,
        by="issue_reopen",
        handoff_kind=Handoff.Kind.REOPENED,
        details={"why": "reopened by the resident"},
    )


def issues_close_unrated(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Close issues resolved longer than ``FEEDBACK_CLOSE_AFTER`` ago with no rating."""
    now = now or timezone.now()
    stale = Issue.objects.filter(
        status=Issue.Status.RESOLVED, resolved_at__lt=now - settings.FEEDBACK_CLOSE_AFTER
    ).values_list("pk", flat=True)
    closed = 0
    for issue_id in list(stale[:limit]):
        with transaction.atomic():
            issue = locked_issue(issue_id)
            if issue.status != Issue.Status.RESOLVED:
                continue  # rated or reopened meanwhile
            _close(issue, now=now, by="issues_close_unrated")
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.CLOSED,
                details={"why": "no answer to the follow-up"},
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.CLOSED)
            closed += 1
    return closed


def issue_answer_on_the_spot(
    *, issue_id: int, actor: AbstractBaseUser, answer: str, details: dict | None = None
) -> Issue:
    """The call-taker answered the caller's question at once (直接办结): the issue, just
    filed, closes without being routed, marked ``answered_at_first_contact``, the answer its
    resolution. ``details`` (e.g. the knowledge article used) go on the closing Handoff.

    Routing, enqueued by the filing, finds the issue no longer ``submitted`` and leaves it.
    """
    answer = require_text(answer, _("Say what the caller was told."))
    now = timezone.now()
    with transaction.atomic():
        issue = locked_issue(issue_id)
        issue.status = ISSUE.move(
            issue.status,
            Issue.Status.CLOSED,
            by="issue_answer_on_the_spot",
            refused=_("Only an issue just filed can be answered on the spot."),
        )
        issue.answered_at_first_contact = True
        issue.resolution = answer
        issue.resolved_at = now
        issue.closed_at = now
        issue.save(
            update_fields=[
                "status",
                "answered_at_first_contact",
                "resolution",
                "resolved_at",
                "closed_at",
                "updated_at",
            ]
        )
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.CLOSED,
            actor=actor,
            note=answer,
            details={"why": "answered at first contact", **(details or {})},
            at=now,
        )
        issue_add_update(issue=issue, kind=Update.Kind.CLOSED, note=answer)
    return issue
