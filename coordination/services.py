"""Every change in the dispatcher's workflow: routing, dispatching, accepting, resolving.

Each service checks that its transition is allowed, changes the rows inside one
transaction, writes exactly one Handoff for the change of state, adds the resident's public
update where the resident should know, and grants or keeps object permissions in step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from agencies.models import Agency
from agencies.services import agency_group
from issues.models import Issue, Update
from issues.services import issue_add_update

from .deadlines import deadlines_for
from .models import Assignment, Handoff, SLAPolicy
from .notifications import notify_agency_after_commit, notify_resident_after_commit
from .routing.model import Decision
from .rulesets import active_ruleset, decide_for, facts_as_json, issue_facts
from .selectors import dispatch_centre, sla_policy_for

logger = logging.getLogger(__name__)


class TransitionNotAllowed(Exception):
    """The requested change does not fit the current state (or someone got there first)."""


@dataclass(frozen=True)
class RoutingOutcome:
    issue_id: int
    decision: Decision
    routed_by: str


# ---------------------------------------------------------------------------- submission


def issue_record_submission(*, issue: Issue) -> Handoff:
    """Record a new issue's submission and enqueue its routing once the transaction commits.

    Called (through the ``issue_submitted`` signal) inside the submitting transaction.
    """
    handoff = Handoff.objects.create(
        issue=issue,
        kind=Handoff.Kind.SUBMITTED,
        at=issue.created_at,
        details={"channel": issue.channel},
    )
    issue_id = issue.pk
    transaction.on_commit(lambda: enqueue_routing(issue_id=issue_id))
    return handoff


def enqueue_routing(*, issue_id: int) -> bool:
    """Put the issue's routing on the broker; False (and the row kept) when it is down.

    An issue is a row before it is a message: when the broker cannot take the message, the
    issue stays ``submitted`` and the periodic sweep enqueues it again later.
    """
    from .tasks import issue_route as issue_route_task

    try:
        issue_route_task.delay(issue_id)
    except Exception:  # the broker being down must never lose the resident's issue
        logger.warning(
            "broker unavailable: issue %s stays submitted until the sweep",
            issue_id,
            exc_info=True,
        )
        return False
    return True


# ------------------------------------------------------------------------------- routing


def issue_route(*, issue_id: int, routed_by: str = "eager") -> RoutingOutcome | None:
    """Route a submitted issue by the active rule set: dispatch it, or send it to triage.

    Idempotent: the issue row is locked and only an issue still ``submitted`` is routed, so
    running it twice, or twice at once, makes one set of assignments; the second run returns
    None. Writes one Handoff (``routed`` or ``triaged``) carrying the decision with its
    reasons, the facts it was made on and the rule set version, records that version on the
    issue, applies a priority the rules set, and grants the assigned agencies' groups
    permission to view the issue.
    """
    with transaction.atomic():
        issue = (
            Issue.objects.select_for_update(of=("self",))
            .select_related("category__parent")
            .filter(pk=issue_id)
            .first()
        )
        if issue is None or issue.status != Issue.Status.SUBMITTED:
            return None  # gone, or another worker got there first
        ruleset = active_ruleset()
        facts = issue_facts(issue)
        decision = decide_for(facts, ruleset)
        codes = [decision.lead, *decision.co_handlers] if decision.lead else []
        agencies = {a.code: a for a in Agency.objects.filter(code__in=codes, active=True)}
        if decision.lead and decision.lead not in agencies:
            decision = Decision(
                lead=None,
                matched=decision.matched,
                areas=decision.areas,
                reasons=(*decision.reasons, f"lead {decision.lead} is not an active organisation"),
            )
        details = {
            **decision.as_details(),
            "ruleset": {"id": ruleset.pk, "version": ruleset.version} if ruleset else None,
            "facts": facts_as_json(facts),
            "routed_by": routed_by,
        }
        now = timezone.now()
        issue.routed_at = now
        issue.routing_version = ruleset.version if ruleset else None
        if decision.priority:
            issue.priority = decision.priority
        changed = ["status", "routed_at", "routing_version", "priority", "updated_at"]
        if decision.to_triage:
            issue.status = Issue.Status.TRIAGE
            issue.save(update_fields=changed)
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.TRIAGED,
                to_agency=dispatch_centre(),
                note="; ".join(decision.reasons),
                details=details,
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.TRIAGED)
        else:
            policy = _named_policy(decision.deadline_policy)
            lead = agencies[decision.lead]
            _assign(issue=issue, agency=lead, role=Assignment.Role.LEAD, now=now, policy=policy)
            for code in decision.co_handlers:
                if code in agencies:
                    _assign(
                        issue=issue,
                        agency=agencies[code],
                        role=Assignment.Role.CO_HANDLER,
                        now=now,
                        policy=policy,
                    )
            issue.status = Issue.Status.DISPATCHED
            issue.save(update_fields=changed)
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.ROUTED,
                from_agency=dispatch_centre(),
                to_agency=lead,
                note="; ".join(decision.reasons),
                details=details,
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.DISPATCHED, agency=lead)
            notify_resident_after_commit(issue_id=issue.pk, event="dispatched")
    return RoutingOutcome(issue_id=issue_id, decision=decision, routed_by=routed_by)


def _named_policy(code: str | None) -> SLAPolicy | None:
    return SLAPolicy.objects.filter(code=code).first() if code else None


def issues_stale_submitted(*, older_than) -> list[int]:
    """Ids of issues still ``submitted`` since before ``older_than`` (a datetime)."""
    return list(
        Issue.objects.filter(status=Issue.Status.SUBMITTED, created_at__lt=older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )


def _assign(
    *, issue: Issue, agency: Agency, role: str, now, policy: SLAPolicy | None = None
) -> Assignment:
    """Create one assignment with its deadlines and let the agency's group see the issue.

    ``policy`` is the deadline policy a routing rule named; otherwise the most specific
    policy for the issue's category and priority applies.
    """
    policy = policy or sla_policy_for(category=issue.category, priority=issue.priority)
    response_due, resolution_due = deadlines_for(start=now, policy=policy)
    assignment = Assignment(
        issue=issue,
        agency=agency,
        role=role,
        created_at=now,
        sla_policy=policy,
        response_due_at=response_due,
        # Provisional: the resolution clock starts when the agency signs for it.
        due_at=resolution_due,
    )
    assignment.full_clean(validate_constraints=False)  # the database enforces them at once
    assignment.save()
    assign_perm("issues.view_issue", agency_group(agency=agency), issue)
    notify_agency_after_commit(agency_id=agency.pk, issue_id=issue.pk, event="assigned")
    return assignment


# ------------------------------------------------------------------- dispatch by hand


def issue_dispatch(
    *,
    issue_id: int,
    lead: Agency,
    co_handlers: Sequence[Agency] = (),
    actor: AbstractBaseUser,
    note: str = "",
) -> Issue:
    """The dispatcher sends an issue in triage (or still submitted) to a lead and co-handlers.

    Raises TransitionNotAllowed when the issue is no longer waiting for a dispatcher, or the
    lead is the dispatch centre itself. Writes one ``dispatched`` Handoff.
    """
    if lead.kind == Agency.Kind.DISPATCH_CENTRE or not lead.active:
        raise TransitionNotAllowed(_("Choose an active organisation to lead."))
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        if issue.status not in (Issue.Status.TRIAGE, Issue.Status.SUBMITTED):
            raise TransitionNotAllowed(_("This issue is no longer waiting to be dispatched."))
        now = timezone.now()
        _assign(issue=issue, agency=lead, role=Assignment.Role.LEAD, now=now)
        others = [a for a in dict.fromkeys(co_handlers) if a.pk != lead.pk and a.active]
        for agency in others:
            _assign(issue=issue, agency=agency, role=Assignment.Role.CO_HANDLER, now=now)
        issue.status = Issue.Status.DISPATCHED
        issue.routed_at = issue.routed_at or now
        issue.save(update_fields=["status", "routed_at", "updated_at"])
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.DISPATCHED,
            from_agency=dispatch_centre(),
            to_agency=lead,
            actor=actor,
            note=note,
            details={"lead": lead.code, "co_handlers": [a.code for a in others], "by": "hand"},
            at=now,
        )
        issue_add_update(issue=issue, kind=Update.Kind.DISPATCHED, agency=lead)
        notify_resident_after_commit(issue_id=issue.pk, event="dispatched")
    return issue


# --------------------------------------------------------------- the agency's own work


def _locked_assignment(assignment_id: int) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("issue", "agency")
        .get(pk=assignment_id)
    )


def assignment_accept(*, assignment_id: int, actor: AbstractBaseUser) -> Assignment:
    """Sign for an assignment (签收): pending → accepted; the resolution clock runs from now.

    Accepting the lead assignment moves the issue to ``in_progress``. Raises
    TransitionNotAllowed when the assignment is not pending (someone got there first).
    """
    with transaction.atomic():
        assignment = _locked_assignment(assignment_id)
        if assignment.status != Assignment.Status.PENDING:
            raise TransitionNotAllowed(_("This assignment has already been accepted or closed."))
        now = timezone.now()
        assignment.status = Assignment.Status.ACCEPTED
        assignment.accepted_at = now
        assignment.accepted_by = actor
        if not assignment.extended:
            # The response clock stops; the resolution clock runs from now.
            assignment.due_at = deadlines_for(start=now, policy=assignment.sla_policy)[1]
        assignment.save(update_fields=["status", "accepted_at", "accepted_by", "due_at"])
        issue = assignment.issue
        if assignment.role == Assignment.Role.LEAD and issue.status == Issue.Status.DISPATCHED:
            issue.status = Issue.Status.IN_PROGRESS
            issue.save(update_fields=["status", "updated_at"])
            issue_add_update(issue=issue, kind=Update.Kind.ACCEPTED, agency=assignment.agency)
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.ACCEPTED,
            assignment=assignment,
            to_agency=assignment.agency,
            actor=actor,
            details={
                "role": assignment.role,
                "in_time": not _late(assignment.response_due_at, now),
            },
            at=now,
        )
    return assignment


def assignment_resolve(
    *, assignment_id: int, actor: AbstractBaseUser, resolution: str
) -> Assignment:
    """Record an agency's resolution: accepted → done.

    The issue is resolved when its lead assignment is; a co-handler's resolution is its own
    share only. Raises TransitionNotAllowed unless the assignment is accepted, and
    ValueError when the resolution is empty.
    """
    resolution = resolution.strip()
    if not resolution:
        raise ValueError(_("Say how the issue was resolved."))
    with transaction.atomic():
        assignment = _locked_assignment(assignment_id)
        if assignment.status != Assignment.Status.ACCEPTED:
            raise TransitionNotAllowed(_("Only an accepted assignment can be resolved."))
        now = timezone.now()
        assignment.status = Assignment.Status.DONE
        assignment.done_at = now
        assignment.resolution = resolution
        assignment.save(update_fields=["status", "done_at", "resolution"])
        issue = assignment.issue
        if assignment.role == Assignment.Role.LEAD:
            issue.status = Issue.Status.RESOLVED
            issue.resolution = resolution
            issue.resolved_at = now
            issue.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
            issue_add_update(issue=issue, kind=Update.Kind.RESOLVED, note=resolution)
            notify_resident_after_commit(issue_id=issue.pk, event="resolved")
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.RESOLVED,
            assignment=assignment,
            from_agency=assignment.agency,
            actor=actor,
            note=resolution,
            details={"role": assignment.role, "in_time": not _late(assignment.due_at, now)},
            at=now,
        )
    return assignment


def _late(due, now) -> bool:
    return due is not None and now > due
