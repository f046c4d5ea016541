"""Two people acting on one request, one deadline or one issue at once, on PostgreSQL.

Each thread has its own database connection, so these tests commit for real
(``transaction=True``) and close their connections when they finish.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Agency
from coordination.dispatch.models import Assignment, CoordinationRequest, DeadlineEvent, Handoff
from coordination.dispatch.services import assignments, requests, routing
from coordination.dispatch.services.supervision import deadlines_sweep
from issues import services
from issues.models import Feedback, Issue
from platform_gov.errors import WorkflowError
from tests.concurrency import run_at_once
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, member, routing_rule

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def one_winner(results) -> int:
    """The one worker that succeeded; the other must have been told why it could not."""
    winners = [n for n, (kind, _) in enumerate(results) if kind == "ok"]
    losers = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1, results
    assert len(losers) == 1
    assert isinstance(losers[0], WorkflowError), repr(losers[0])
    assert str(losers[0])
    return winners[0]


@pytest.fixture
def centre():
    return AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)


def routed_lead(agency) -> Assignment:
    rule = routing_rule(lead=agency)
    issue = IssueFactory(category=rule.category)
    routing.issue_route(issue_id=issue.pk)
    return Assignment.objects.get(issue=issue, role=Assignment.Role.LEAD)


def test_two_dispatchers_approving_one_bounce_at_once_approve_it_once(centre):
    housing, water, street = AgencyFactory(), AgencyFactory(), AgencyFactory()
    dispatchers = [member(centre), member(centre)]
    lead = routed_lead(housing)
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=member(housing), reason="Not ours."
    )
    targets = [water, street]

    results = run_at_once(
        lambda n: requests.request_approve(
            request_id=request.pk, actor=dispatchers[n], reassign_to=targets[n].code
        )
    )

    winner = one_winner(results)
    request.refresh_from_db()
    assert request.status == CoordinationRequest.Status.APPROVED
    assert request.decided_by == dispatchers[winner]
    approvals = Handoff.objects.filter(issue=lead.issue, kind=Handoff.Kind.BOUNCE_APPROVED)
    assert approvals.count() == 1
    assert approvals.get().to_agency == targets[winner]
    active = Assignment.objects.filter(issue=lead.issue, status__in=Assignment.ACTIVE_STATUSES)
    assert [a.agency for a in active] == [targets[winner]]
    lead.refresh_from_db()
    assert lead.status == Assignment.Status.RETURNED


def test_approving_and_rejecting_one_request_at_once_decides_it_once(centre):
    housing = AgencyFactory()
    dispatchers = [member(centre), member(centre)]
    staff = member(housing)
    lead = routed_lead(housing)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    lead.refresh_from_db()
    due = lead.due_at
    request = requests.assignment_request_extension(
        assignment_id=lead.pk, actor=staff, until=due + timedelta(days=2), reason="Parts."
    )

    def decide(n: int):
        if n == 0:
            return requests.request_approve(request_id=request.pk, actor=dispatchers[n])
        return requests.request_reject(request_id=request.pk, actor=dispatchers[n], note="No.")

    winner = one_winner(run_at_once(decide))

    request.refresh_from_db()
    lead.refresh_from_db()
    decisions = Handoff.objects.filter(
        issue=lead.issue,
        kind__in=[Handoff.Kind.EXTENSION_GRANTED, Handoff.Kind.EXTENSION_DENIED],
    )
    assert decisions.count() == 1
    if winner == 0:
        assert request.status == CoordinationRequest.Status.APPROVED
        assert (lead.due_at, lead.extended) == (due + timedelta(days=2), True)
    else:
        assert request.status == CoordinationRequest.Status.REJECTED
        assert (lead.due_at, lead.extended) == (due, False)


def test_two_deadline_sweeps_at_once_record_each_step_once(centre):
    member(centre)
    roads = AgencyFactory()
    member(roads)
    now = timezone.now()
    late = AssignmentFactory(
        agency=roads,
        status=Assignment.Status.ACCEPTED,
        created_at=now - timedelta(days=30),
        accepted_at=now - timedelta(days=30),
        response_due_at=now - timedelta(days=30),
        due_at=now - timedelta(days=20),  # long past: every step is due
    )

    results = run_at_once(lambda n: deadlines_sweep(now=now))

    assert [kind for kind, _ in results] == ["ok", "ok"], results
    totals = {
        step: sum(taken[step] for _, taken in results)
        for step in ("warning", "reminder", "managers", "dispatcher")
    }
    assert totals == {"warning": 0, "reminder": 1, "managers": 1, "dispatcher": 1}
    assert sorted(late.deadline_events.values_list("step", flat=True)) == [
        "dispatcher",
        "managers",
        "reminder",
    ]
    assert DeadlineEvent.objects.count() == 3
    assert sorted(Handoff.objects.filter(assignment=late).values_list("kind", flat=True)) == [
        Handoff.Kind.ESCALATED,
        Handoff.Kind.ESCALATED,
        Handoff.Kind.REMINDED,
    ]


def test_two_ratings_of_one_resolution_at_once_record_one(centre):
    roads = AgencyFactory()
    staff = member(roads)
    lead = routed_lead(roads)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution="Patched.")
    ratings = [5, 2]

    results = run_at_once(
        lambda n: services.issue_feedback(issue_id=lead.issue_id, rating=ratings[n])
    )

    winner = one_winner(results)
    issue = Issue.objects.get(pk=lead.issue_id)
    assert list(Feedback.objects.filter(issue=issue).values_list("rating", flat=True)) == [
        ratings[winner]
    ]
    assert Handoff.objects.filter(issue=issue, kind=Handoff.Kind.FEEDBACK).count() == 1
    if ratings[winner] == 5:
        assert issue.status == Issue.Status.CLOSED
        assert issue.redo_count == 0
    else:
        assert issue.status == Issue.Status.DISPATCHED
        assert issue.redo_count == 1
        assert Assignment.objects.filter(issue=issue, redo=True).count() == 1
