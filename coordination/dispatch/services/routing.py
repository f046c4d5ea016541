"""An issue's way in: its submission recorded, routed by the rules, or dispatched by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.deadlines.selectors import sla_policy_named
from coordination.learning import selectors as learning
from coordination.learning.services import duplicates_find, issue_prediction_record
from coordination.routing.model import Decision
from coordination.rules.compiled import decide_for, facts_as_json, issue_facts
from coordination.rules.selectors import active_ruleset
from issues.models import Issue, Update
from issues.services import issue_add_update
from platform_gov.errors import WorkflowError

from ..events import Event, publish
from ..models import Assignment, Handoff
from ..selectors import dispatch_centre
from ..transitions import ISSUE
from .common import assign


@dataclass(frozen=True)
class RoutingOutcome:
    issue_id: int
    decision: Decision
    routed_by: str


def issue_record_submission(*, issue: Issue) -> Handoff:
    """Record a new issue's submission (its first Handoff), inside the submitting transaction.

    Called by the receiver of ``issues.signals.issue_submitted``, which then enqueues the
    issue's routing once the transaction commits.
    """
    return Handoff.objects.create(
        issue=issue,
        kind=Handoff.Kind.SUBMITTED,
        at=issue.created_at,
        details={"channel": issue.channel},
    )


def issue_route(*, issue_id: int, routed_by: str = "eager") -> RoutingOutcome | None:
    """Route a submitted issue by the active rule set: dispatch it, or send it to triage.

    Idempotent: the issue row is locked and only an issue still ``submitted`` is routed, so
    running it twice, or twice at once, makes one set of assignments; the second run returns
    None. Writes one Handoff (``routed`` or ``triaged``) carrying the decision with its
    reasons, the facts it was made on and the rule set version, records that version on the
    issue, applies a priority the rules set, and gives the chosen organisations the work
    (publishing ``assignment.created`` for each, and ``issue.dispatched``).
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
        # The classifier (coordination.learning): with no category from the resident (or
        # "other"), a confident prediction is the category the rules route on.
        guess = learning.category_guess(issue=issue)
        if guess is not None and guess.applies:
            facts = replace(facts, category_path=learning.category_path(guess.category))
            issue.category = guess.category
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
            "prediction": guess.as_details() if guess is not None else None,
        }
        note = "; ".join(
            ([guess.note] if guess is not None and (guess.applies or guess.disagrees) else [])
            + list(decision.reasons)
        )
        now = timezone.now()
        issue.routed_at = now
        issue.routing_version = ruleset.version if ruleset else None
        if decision.priority:
            issue.priority = decision.priority
        changed = ["status", "routed_at", "routing_version", "priority", "category", "updated_at"]
        refused = _("This issue is no longer waiting to be routed.")
        if decision.to_triage:
            issue.status = ISSUE.move(
                issue.status, Issue.Status.TRIAGE, by="issue_route", refused=refused
            )
            issue.save(update_fields=changed)
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.TRIAGED,
                to_agency=dispatch_centre(),
                note=note,
                details=details,
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.TRIAGED)
        else:
            issue.status = ISSUE.move(
                issue.status, Issue.Status.DISPATCHED, by="issue_route", refused=refused
            )
            policy = sla_policy_named(decision.deadline_policy)
            lead = agencies[decision.lead]
            assign(issue=issue, agency=lead, role=Assignment.Role.LEAD, now=now, policy=policy)
            for code in decision.co_handlers:
                if code in agencies:
                    assign(
                        issue=issue,
                        agency=agencies[code],
                        role=Assignment.Role.CO_HANDLER,
                        now=now,
                        policy=policy,
                    )
            issue.save(update_fields=changed)
            Handoff.objects.create(
                issue=issue,
                kind=Handoff.Kind.ROUTED,
                from_agency=dispatch_centre(),
                to_agency=lead,
                note=note,
                details=details,
                at=now,
            )
            issue_add_update(issue=issue, kind=Update.Kind.DISPATCHED, agency=lead)
            publish(Event.ISSUE_DISPATCHED, issue_id=issue.pk, agency_id=lead.pk)
        if guess is not None:
            issue_prediction_record(issue=issue, guess=guess)
        duplicates_find(issue=issue)
    return RoutingOutcome(issue_id=issue_id, decision=decision, routed_by=routed_by)


def issue_dispatch(
    *,
    issue_id: int,
    lead: Agency,
    co_handlers: Sequence[Agency] = (),
    actor: AbstractBaseUser,
    note: str = "",
    details: dict | None = None,
) -> Issue:
    """The dispatcher sends an issue in triage (or still submitted) to a lead and co-handlers.

    Raises WorkflowError when the issue is no longer waiting for a dispatcher, or the lead is
    the dispatch centre itself or inactive. Writes one ``dispatched`` Handoff (``details``
    adds to what it records, e.g. the category it was dispatched as).
    """
    if lead.kind == Agency.Kind.DISPATCH_CENTRE or not lead.active:
        raise WorkflowError(_("Choose an active organisation to lead."), code="invalid_lead")
    with transaction.atomic():
        issue = Issue.objects.select_for_update(of=("self",)).get(pk=issue_id)
        issue.status = ISSUE.move(
            issue.status,
            Issue.Status.DISPATCHED,
            by="issue_dispatch",
            refused=_("This issue is no longer waiting to be dispatched."),
        )
        now = timezone.now()
        assign(issue=issue, agency=lead, role=Assignment.Role.LEAD, now=now)
        others = [a for a in dict.fromkeys(co_handlers) if a.pk != lead.pk and a.active]
        for agency in others:
            assign(issue=issue, agency=agency, role=Assignment.Role.CO_HANDLER, now=now)
        issue.routed_at = issue.routed_at or now
        issue.save(update_fields=["status", "routed_at", "updated_at"])
        Handoff.objects.create(
            issue=issue,
            kind=Handoff.Kind.DISPATCHED,
            from_agency=dispatch_centre(),
            to_agency=lead,
            actor=actor,
            note=note,
            details={
                "lead": lead.code,
                "co_handlers": [a.code for a in others],
                "by": "hand",
                **(details or {}),
            },
            at=now,
        )
        issue_add_update(issue=issue, kind=Update.Kind.DISPATCHED, agency=lead)
        publish(Event.ISSUE_DISPATCHED, issue_id=issue.pk, agency_id=lead.pk)
    return issue
