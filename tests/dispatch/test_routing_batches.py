"""Routing in batches: under load one message routes the issues waiting behind it, in one
transaction and a fixed number of queries, each issue once and completely; a bad issue in a
batch holds no other back."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.services.routing import issue_route as route_one
from coordination.dispatch.services.routing import issues_route
from coordination.dispatch.tasks import issue_route
from coordination.learning.models import IssueTrace
from coordination.learning.tasks import duplicates_sweep
from coordination.outbound.models import OutboxMessage
from issues.models import Issue, Update
from tests.factories import AgencyFactory, CategoryFactory, IssueFactory, member, routing_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return AgencyFactory(code="env")


@pytest.fixture
def noise(lead):
    category = CategoryFactory(code="noise")
    routing_rule(category=category, lead=lead)
    return category


def waiting(category, n: int, **fields) -> list[Issue]:
    """Issues whose routing message is in the queue."""
    return [
        IssueFactory(category=category, routing_enqueued_at=timezone.now(), **fields)
        for _ in range(n)
    ]


def test_one_message_routes_the_issues_waiting_behind_it_each_once_and_whole(noise, lead, settings):
    settings.ROUTING_BATCH = 10
    staff = member(lead)
    issues = waiting(noise, 4, contact_email="resident@example.org")
    filed_while_the_broker_was_down = IssueFactory(category=noise, routing_enqueued_at=None)

    outcome = issue_route.delay(issue_id=issues[0].pk).get()

    assert outcome["batch"] == 4 and outcome["lead"] == "env"
    for issue in issues:
        issue.refresh_from_db()
        assert issue.status == Issue.Status.DISPATCHED and issue.routed_at is not None
        assert issue.handoffs.filter(kind=Handoff.Kind.ROUTED, to_agency=lead).count() == 1
        assert issue.assignments.get().role == Assignment.Role.LEAD
        assert issue.updates.filter(kind=Update.Kind.DISPATCHED, agency=lead).count() == 1
        assert staff.has_perm("issues.view_issue", issue)
        assert IssueTrace.objects.filter(issue=issue).exists()  # indexed for duplicates
        owed = {m.payload["audience"] for m in OutboxMessage.objects.all()
                if m.payload.get("issue_id") == issue.pk}  # fmt: skip
        assert owed == {"staff", "resident"}
    # The sweep's issue was not in the queue: it is left to the sweep.
    filed_while_the_broker_was_down.refresh_from_db()
    assert filed_while_the_broker_was_down.status == Issue.Status.SUBMITTED
    # The messages of the issues the batch took find nothing left to do.
    assert issue_route.delay(issue_id=issues[2].pk).get() is None
    assert Handoff.objects.filter(kind=Handoff.Kind.ROUTED).count() == 4
    assert Assignment.objects.count() == 4


def test_a_batch_costs_the_same_queries_for_forty_issues_as_for_three(noise):
    route_one(issue_id=IssueFactory(category=noise).pk)  # compiles the rule set once
    few = [IssueFactory(category=noise).pk for _ in range(3)]
    many = [IssueFactory(category=noise).pk for _ in range(40)]

    with CaptureQueriesContext(connection) as three:
        assert len(issues_route(issue_ids=few)) == 3
    with CaptureQueriesContext(connection) as forty:
        assert len(issues_route(issue_ids=many)) == 40

    assert len(forty.captured_queries) == len(three.captured_queries) <= 25


def test_routing_the_same_ids_again_routes_nothing(noise):
    ids = [IssueFactory(category=noise).pk for _ in range(3)]
    assert len(issues_route(issue_ids=ids)) == 3
    assert issues_route(issue_ids=ids) == []
    assert Handoff.objects.filter(kind=Handoff.Kind.ROUTED).count() == 3


def test_a_batch_mixes_triage_and_dispatch(noise):
    unruled = CategoryFactory(code="unruled")
    routed = IssueFactory(category=noise)
    triaged = IssueFactory(category=unruled)
    dispatcher_centre = AgencyFactory(code="dispatch", kind="dispatch_centre")

    outcomes = issues_route(issue_ids=[routed.pk, triaged.pk])

    assert [o.decision.lead for o in outcomes] == ["env", None]
    triaged.refresh_from_db()
    assert triaged.status == Issue.Status.TRIAGE
    handoff = triaged.handoffs.get(kind=Handoff.Kind.TRIAGED)
    assert handoff.to_agency == dispatcher_centre
    assert not triaged.assignments.exists()


def test_a_bad_issue_in_a_batch_holds_no_other_back(noise, lead, settings):
    settings.ROUTING_BATCH = 10
    good, bad = waiting(noise, 2)
    # A damaged row: still submitted, yet already holding an active lead with the same
    # organisation, so writing its routing breaks a constraint.
    Assignment.objects.create(
        issue=bad, agency=lead, role=Assignment.Role.LEAD, created_at=timezone.now()
    )

    assert issue_route.delay(issue_id=good.pk).get()["batch"] == 1

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == Issue.Status.DISPATCHED
    assert bad.status == Issue.Status.SUBMITTED
    with pytest.raises(IntegrityError):
        issue_route.apply(kwargs={"issue_id": bad.pk}).get()


def test_the_sweep_pairs_routed_issues_whose_pairing_was_lost(noise):
    routed = IssueFactory(category=noise)
    route_one(issue_id=routed.pk)  # the service alone: no pairing message follows
    still_waiting = IssueFactory(category=noise)
    assert not IssueTrace.objects.filter(issue=routed).exists()

    assert duplicates_sweep() == 1
    assert IssueTrace.objects.filter(issue=routed).exists()
    assert not IssueTrace.objects.filter(issue=still_waiting).exists()
    assert duplicates_sweep() == 0
