"""An issue's way in: its submission recorded, routed by the rules, or dispatched by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.deadlines.models import SLAPolicy
from coordination.deadlines.selectors import (
    deadlines_for,
    sla_policy_for,
    sla_policy_named,
    work_calendar,
)
from coordination.deadlines.worktime import WorkCalendar
from coordination.learning import selectors as learning
from coordination.learning.loaded import LoadedClassifier, active_classifier
from coordination.learning.selectors import CategoryGuess
from coordination.learning.services import issue_predictions_record
from coordination.routing import CompiledRuleSet, Decision, IssueFacts, decide
from coordination.rules.compiled import decide_for, facts_as_json, issue_facts, ruleset_compiled
from coordination.rules.models import RuleSet
from coordination.rules.selectors import active_ruleset
from issues.models import Category, Issue, Update
from issues.services import issue_add_update, issues_add_updates
from platform_gov.errors import WorkflowError

from ..events import Event, publish, publish_many
from ..models import Assignment, Handoff
from ..selectors import dispatch_centre
from ..transitions import ISSUE
from .common import assign, issue_view_grant_many


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
    """Route one submitted issue (see :func:`issues_route`); None when it was not waiting."""
    outcomes = issues_route(issue_ids=[issue_id], routed_by=routed_by)
    return outcomes[0] if outcomes else None


@dataclass
class _Shared:
    """What every routing of a batch reads once: the rule set and its compiled form, the
    classifier (with the categories it may name), the dispatch centre, the organisations
    and deadline policies the decisions name, and the working calendar."""

    ruleset: RuleSet | None
    compiled: CompiledRuleSet | None
    classifier: LoadedClassifier | None
    categories: dict[str, Category] | None
    centre: Agency | None
    agencies: dict[str, Agency] = field(default_factory=dict)
    policies: dict[str, SLAPolicy | None] = field(default_factory=dict)
    calendar: WorkCalendar | None = None

    @classmethod
    def read(cls) -> _Shared:
        ruleset = active_ruleset()
        classifier = active_classifier()
        return cls(
            ruleset=ruleset,
            compiled=ruleset_compiled(ruleset=ruleset) if ruleset else None,
            classifier=classifier,
            categories=(
                {c.code: c for c in Category.objects.select_related("parent").filter(active=True)}
                if classifier
                else None
            ),
            centre=dispatch_centre(),
        )

    def decide(self, facts: IssueFacts) -> Decision:
        if self.compiled is None:
            return decide_for(facts, None)
        return decide(facts, self.compiled)

    def policy(self, code: str | None, issue: Issue) -> SLAPolicy | None:
        """The policy a rule named, else the most specific one for the issue (cached by what
        it depends on)."""
        key = f"named:{code}" if code else f"for:{issue.category_id}:{issue.priority}"
        if key not in self.policies:
            self.policies[key] = (
                sla_policy_named(code)
                if code
                else sla_policy_for(category=issue.category, priority=issue.priority)
            )
        return self.policies[key]

    def deadlines(self, start: datetime, policy: SLAPolicy | None) -> tuple[datetime, datetime]:
        if self.calendar is None and not (policy and policy.round_the_clock):
            self.calendar = work_calendar()
        return deadlines_for(start=start, policy=policy, calendar=self.calendar)


@dataclass
class _Routed:
    """One issue's routing in a batch, before its rows are written."""

    issue: Issue
    decision: Decision
    guess: CategoryGuess | None
    details: dict
    note: str
    assignments: list[Assignment] = field(default_factory=list)


def issues_route(*, issue_ids: Sequence[int], routed_by: str = "eager") -> list[RoutingOutcome]:
    """Route the issues of ``issue_ids`` still submitted by the active rule set: dispatch
    each, or send it to triage. Returns an outcome per issue routed, in id order.

    One transaction and a fixed number of queries for the whole batch, however many issues
    it holds (more only for organisations that listen by webhook): under load a worker
    routes fifty issues for the price of one. The issues are locked (the first waited for,
    the others skipped when another transaction holds them) and only an issue still
    ``submitted`` is routed, so delivering the same ids twice, or to two workers at once,
    routes each issue once; a second run returns nothing for it.

    For each issue: one Handoff (``routed`` or ``triaged``) carrying the decision with its
    reasons, the facts it was made on and the rule set version; the version recorded on the
    issue; a priority the rules set; the chosen organisations given the work (and the view of
    the issue), publishing ``assignment.created`` for each and ``issue.dispatched``; what the
    classifier said, when one is active.
    """
    if not issue_ids:
        return []
    first, *others = issue_ids
    waiting = Issue.objects.select_related("category__parent").filter(status=Issue.Status.SUBMITTED)
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        # The first issue is waited for, should another transaction hold it (a dispatcher
        # sending it by hand, say); the others are skipped when held: their holder routes
        # them, or their own message will. Waiting only before holding anything, a worker
        # never waits for one that waits for it.
        issues = list(waiting.select_for_update(of=("self",)).filter(pk=first))
        if others:
            issues += waiting.select_for_update(of=("self",), skip_locked=skip_locked).filter(
                pk__in=[pk for pk in others if pk != first]
            )
        issues.sort(key=lambda issue: issue.pk)
        if not issues:
            return []
        shared = _Shared.read()
        routed = [_decide(issue, shared, routed_by) for issue in issues]
        codes = {
            code for r in routed for code in (r.decision.lead, *r.decision.co_handlers) if code
        }
        shared.agencies = {a.code: a for a in Agency.objects.filter(code__in=codes, active=True)}
        now = timezone.now()
        for r in routed:
            _apply(r, shared, now)
        _write(routed, shared, now)
    return [
        RoutingOutcome(issue_id=r.issue.pk, decision=r.decision, routed_by=routed_by)
        for r in routed
    ]


def _decide(issue: Issue, shared: _Shared, routed_by: str) -> _Routed:
    """The rules' decision for one issue, on the classifier's category when it applies."""
    facts = issue_facts(issue)
    # The classifier (coordination.learning): with no category from the resident (or
    # "other"), a confident prediction is the category the rules route on.
    guess = None
    if shared.classifier is not None:
        guess = learning.category_guess(
            issue=issue, classifier=shared.classifier, categories=shared.categories
        )
    if guess is not None and guess.applies:
        facts = replace(facts, category_path=learning.category_path(guess.category))
        issue.category = guess.category
    decision = shared.decide(facts)
    details = {
        **decision.as_details(),
        "ruleset": (
            {"id": shared.ruleset.pk, "version": shared.ruleset.version} if shared.ruleset else None
        ),
        "facts": facts_as_json(facts),
        "routed_by": routed_by,
        "prediction": guess.as_details() if guess is not None else None,
    }
    return _Routed(issue=issue, decision=decision, guess=guess, details=details, note="")


def _apply(r: _Routed, shared: _Shared, now: datetime) -> None:
    """Settle one issue's routing in memory: its status and fields, and its assignments."""
    decision, issue = r.decision, r.issue
    if decision.lead and decision.lead not in shared.agencies:
        decision = r.decision = Decision(
            lead=None,
            matched=decision.matched,
            areas=decision.areas,
            reasons=(*decision.reasons, f"lead {decision.lead} is not an active organisation"),
        )
        r.details.update(decision.as_details())
    guess = r.guess
    r.note = "; ".join(
        ([guess.note] if guess is not None and (guess.applies or guess.disagrees) else [])
        + list(decision.reasons)
    )
    issue.routed_at = now
    issue.updated_at = now
    issue.routing_version = shared.ruleset.version if shared.ruleset else None
    if decision.priority:
        issue.priority = decision.priority
    refused = _("This issue is no longer waiting to be routed.")
    if decision.to_triage:
        issue.status = ISSUE.move(
            issue.status, Issue.Status.TRIAGE, by="issue_route", refused=refused
        )
        return
    issue.status = ISSUE.move(
        issue.status, Issue.Status.DISPATCHED, by="issue_route", refused=refused
    )
    policy = shared.policy(decision.deadline_policy, issue)
    response_due, resolution_due = shared.deadlines(now, policy)
    roles = [(decision.lead, Assignment.Role.LEAD)] + [
        (code, Assignment.Role.CO_HANDLER)
        for code in decision.co_handlers
        if code in shared.agencies and code != decision.lead
    ]
    for code, role in roles:
        assignment = Assignment(
            issue=issue,
            agency=shared.agencies[code],
            role=role,
            created_at=now,
            sla_policy=policy,
            # The resolution deadline is provisional: its clock starts at the signing for.
            response_due_at=response_due,
            due_at=resolution_due,
        )
        # Fields only: the rows it points to are the ones just read, and the database
        # enforces the constraints at once.
        assignment.full_clean(exclude=["issue", "agency", "sla_policy"], validate_constraints=False)
        r.assignments.append(assignment)


def _write(routed: list[_Routed], shared: _Shared, now: datetime) -> None:
    """Write the batch's rows in bulk, then announce what happened, issue by issue."""
    # One UPDATE per outcome (status, priority, category): a handful for a batch, cheaper to
    # build than bulk_update's CASE per row.
    by_outcome: dict[tuple, list[int]] = {}
    for r in routed:
        key = (r.issue.status, r.issue.priority, r.issue.category_id, r.issue.routing_version)
        by_outcome.setdefault(key, []).append(r.issue.pk)
    for (status, priority, category_id, version), pks in by_outcome.items():
        Issue.objects.filter(pk__in=pks).update(
            status=status,
            priority=priority,
            category_id=category_id,
            routing_version=version,
            routed_at=now,
            updated_at=now,
        )
    assignments = Assignment.objects.bulk_create([a for r in routed for a in r.assignments])
    issue_view_grant_many((a.agency, a.issue) for a in assignments)
    handoffs, updates = [], []
    for r in routed:
        issue, lead = r.issue, r.decision.lead and shared.agencies[r.decision.lead]
        if r.decision.to_triage:
            handoffs.append(
                Handoff(
                    issue=issue,
                    kind=Handoff.Kind.TRIAGED,
                    to_agency=shared.centre,
                    note=r.note,
                    details=r.details,
                    at=now,
                )
            )
            updates.append(Update(issue=issue, kind=Update.Kind.TRIAGED))
        else:
            handoffs.append(
                Handoff(
                    issue=issue,
                    kind=Handoff.Kind.ROUTED,
                    from_agency=shared.centre,
                    to_agency=lead,
                    note=r.note,
                    details=r.details,
                    at=now,
                )
            )
            updates.append(Update(issue=issue, kind=Update.Kind.DISPATCHED, agency=lead))
    Handoff.objects.bulk_create(handoffs)
    issues_add_updates(updates)
    publish_many(
        Event.ASSIGNMENT_CREATED,
        [
            {"assignment_id": a.pk, "issue_id": a.issue_id, "agency_id": a.agency_id}
            for a in assignments
        ],
    )
    publish_many(
        Event.ISSUE_DISPATCHED,
        [
            {"issue_id": r.issue.pk, "agency_id": shared.agencies[r.decision.lead].pk}
            for r in routed
            if not r.decision.to_triage
        ],
    )
    issue_predictions_record([(r.issue, r.guess) for r in routed if r.guess is not None])


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
