"""Two workers on one issue at the same moment, on PostgreSQL: one wins, the other steps back.

Each thread has its own database connection, so these tests commit for real
(``transaction=True``) and close their connections when they finish.
"""

from __future__ import annotations

import pytest

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
