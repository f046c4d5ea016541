"""Two workers on one issue at the same moment, on PostgreSQL: one wins, the other steps back.

Each thread has its own database connection, so these tests commit for real
(``transaction=True``) and close their connections when they finish.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.services import assignments, routing
from issues.models import Issue
from platform_gov.errors import WorkflowError
from tests.concurrency import run_at_once
from tests.factories import AgencyFactory, IssueFactory, RoutingRuleFactory, member

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _lead_assignment(agency) -> Assignment:
    """A pending lead assignment of a dispatched issue, made by the routing service."""
    rule = RoutingRuleFactory(lead=agency)
    issue = IssueFactory(category=rule.category)
    routing.issue_route(issue_id=issue.pk)
    return Assignment.objects.get(issue=issue, role=Assignment.Role.LEAD)


def test_issue_routed_by_two_workers_at_once_is_routed_once():
    co_handler = AgencyFactory()
    rule = RoutingRuleFactory(co_handlers=[co_handler])
    issue = IssueFactory(category=rule.category)

    results = run_at_once(lambda n: routing.issue_route(issue_id=issue.pk, routed_by=f"worker-{n}"))

    assert [kind for kind, _ in results] == ["ok", "ok"], results
    outcomes = [value for _, value in results if value is not None]
    assert len(outcomes) == 1
    assert outcomes[0].decision.lead == rule.lead.code
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert issue.assignments.filter(role=Assignment.Role.LEAD).count() == 1
    assert issue.assignments.filter(role=Assignment.Role.CO_HANDLER).count() == 1
    routed = Handoff.objects.filter(issue=issue, kind=Handoff.Kind.ROUTED)
    assert routed.count() == 1
    assert routed.get().details["routed_by"] == outcomes[0].routed_by


def test_assignment_accepted_by_two_people_at_once_is_accepted_once():
    agency = AgencyFactory()
    lead = _lead_assignment(agency)
    people = [member(agency), member(agency)]

    results = run_at_once(
        lambda n: assignments.assignment_accept(assignment_id=lead.pk, actor=people[n])
    )

    winners = [n for n, (kind, _) in enumerate(results) if kind == "ok"]
    losers = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1, results
    assert len(losers) == 1
    assert isinstance(losers[0], WorkflowError), losers[0]
    lead.refresh_from_db()
    assert lead.status == Assignment.Status.ACCEPTED
    assert lead.accepted_by == people[winners[0]]
    assert Handoff.objects.filter(assignment=lead, kind=Handoff.Kind.ACCEPTED).count() == 1
    assert Issue.objects.get(pk=lead.issue_id).status == Issue.Status.IN_PROGRESS


def test_two_workers_on_overlapping_batches_route_each_issue_once():
    rule = RoutingRuleFactory()
    ids = [IssueFactory(category=rule.category).pk for _ in range(12)]

    # Each worker's batch starts with an issue of its own and takes the rest along.
    results = run_at_once(
        lambda n: routing.issues_route(issue_ids=[ids[n], *ids], routed_by=f"worker-{n}")
    )

    assert [kind for kind, _ in results] == ["ok", "ok"], results
    routed = sorted(o.issue_id for _, outcomes in results for o in outcomes)
    assert routed == sorted(ids)
    assert Handoff.objects.filter(kind=Handoff.Kind.ROUTED).count() == 12
    assert Assignment.objects.filter(role=Assignment.Role.LEAD).count() == 12


def test_a_batch_skips_an_issue_held_elsewhere_but_waits_for_its_first():
    rule = RoutingRuleFactory()
    first, held = (IssueFactory(category=rule.category) for _ in range(2))
    locked, release = threading.Event(), threading.Event()

    def hold(issue_id: int) -> None:
        try:
            with transaction.atomic():
                Issue.objects.select_for_update().get(pk=issue_id)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold, args=(held.pk,))
    holder.start()
    locked.wait(10)
    try:
        outcomes = routing.issues_route(issue_ids=[first.pk, held.pk])
    finally:
        release.set()
        holder.join(10)
    assert [o.issue_id for o in outcomes] == [first.pk]  # the held one is left to its message
    held.refresh_from_db()
    assert held.status == Issue.Status.SUBMITTED

    # Its own message waits for the holder instead of skipping it.
    locked.clear()
    release.clear()
    holder = threading.Thread(target=hold, args=(held.pk,))
    holder.start()
    locked.wait(10)
    threading.Timer(0.3, release.set).start()
    try:
        outcome = routing.issue_route(issue_id=held.pk)
    finally:
        holder.join(10)
    assert outcome is not None and outcome.issue_id == held.pk
