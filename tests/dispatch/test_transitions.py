"""The transition table is the one statement of the workflow's states, and the services keep it.

Three checks: every service the table names exists; a life of issues that takes every move
of the table changes statuses only by moves the table allows (each status change seen in the
database was asked of the table first, by the service the table names); and each service
refuses to start from a state the table does not list for it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models.signals import pre_save
from django.utils import timezone

from agencies.models import Agency
from coordination.dispatch import transitions
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.dispatch.services import (
    assignments,
    followup,
    merge,
    requests,
    routing,
    supervision,
)
from coordination.dispatch.transitions import ASSIGNMENT, ISSUE, StateMachine
from issues import services as issue_services
from issues.models import Issue
from issues.services import issue_submit
from platform_gov.errors import WorkflowError
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CategoryFactory,
    IssueFactory,
    member,
    routing_rule,
)

pytestmark = pytest.mark.django_db

IS, AS = Issue.Status, Assignment.Status
SERVICE_MODULES = (assignments, followup, merge, requests, routing, supervision, issue_services)


def test_every_service_the_table_names_exists():
    names = ISSUE.services() | ASSIGNMENT.services()
    missing = [n for n in names if not any(hasattr(m, n) for m in SERVICE_MODULES)]
    assert not missing


def test_a_move_the_table_does_not_list_is_refused_with_the_services_message():
    with pytest.raises(WorkflowError) as refused:
        ISSUE.move(IS.CLOSED, IS.IN_PROGRESS, by="assignment_accept", refused="Not now.")
    assert (refused.value.message, refused.value.code) == (
        "Not now.",
        "issue_closed_to_in_progress_not_allowed",
    )


# ------------------------------------------------------------ a life that takes every move


@pytest.fixture
def recorded(monkeypatch):
    """Every move asked of the table, and every status change written to the database."""
    moves: list[tuple[str, str, str, str]] = []
    changes: list[tuple[str, str, str]] = []
    ask = StateMachine.move

    def move(self, source, target, *, by, refused):
        result = ask(self, source, target, by=by, refused=refused)
        moves.append((self.name, source, target, by))
        return result

    def on_save(sender, instance, **kwargs):
        if instance.pk is None:
            return
        before = sender.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
        if before is not None and before != instance.status:
            changes.append((sender.__name__.lower(), before, instance.status))

    monkeypatch.setattr(StateMachine, "move", move)
    for model in (Issue, Assignment):
        pre_save.connect(on_save, sender=model, dispatch_uid=f"transitions-{model.__name__}")
    yield moves, changes
    for model in (Issue, Assignment):
        pre_save.disconnect(sender=model, dispatch_uid=f"transitions-{model.__name__}")


@pytest.fixture
def city(django_capture_on_commit_callbacks):
    centre = AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)
    water, roads, parks = (AgencyFactory(code=c) for c in ("water", "roads", "parks"))
    rule = routing_rule(category=CategoryFactory(code="pipes"), lead=water)

    def file(category=rule.category) -> Issue:
        with django_capture_on_commit_callbacks(execute=True):
            issue = issue_submit(
                title="Burst pipe", description="Water on the road.", category=category
            )
        issue.refresh_from_db()
        return issue

    return {
        "dispatcher": member(centre),
        "water": water,
        "roads": roads,
        "parks": parks,
        "staff": {a: member(a) for a in (water, roads, parks)},
        "file": file,
    }


def _lead(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.LEAD, status__in=Assignment.ACTIVE_STATUSES)


def _work(city, issue: Issue) -> Assignment:
    """Accept and resolve the issue's lead."""
    lead = _lead(issue)
    staff = city["staff"][lead.agency]
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution="Fixed.")
    return lead


def _request(kind: str, assignment: Assignment) -> CoordinationRequest:
    return CoordinationRequest.objects.get(assignment=assignment, kind=kind, status="open")


def test_a_life_of_every_move_changes_statuses_only_as_the_table_allows(city, recorded):
    moves, changes = recorded
    dispatcher, water, roads, parks = (city[k] for k in ("dispatcher", "water", "roads", "parks"))

    # Routed by a rule, worked, rated well: closed.
    issue = city["file"]()
    _work(city, issue)
    issue_services.issue_feedback(issue_id=issue.pk, rating=5)
    # Reopened within the window, worked again, rated badly: back to the lead again.
    issue_services.issue_reopen(issue_id=issue.pk, reason="Leaking again.")
    _work(city, Issue.objects.get(pk=issue.pk))
    issue_services.issue_feedback(issue_id=issue.pk, rating=1)
    _work(city, Issue.objects.get(pk=issue.pk))
    issue_services.issue_reopen(issue_id=issue.pk, reason="Still leaking.")

    # No rule: triage, then by hand; bounced back to triage, dispatched again; a co-handler
    # is promoted to lead by an approved transfer.
    triaged = city["file"](category=None)
    routing.issue_dispatch(issue_id=triaged.pk, lead=roads, actor=dispatcher)
    lead = _lead(triaged)
    requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=city["staff"][roads], reason="Not ours."
    )
    requests.request_approve(request_id=_request("bounce", lead).pk, actor=dispatcher)
    routing.issue_dispatch(issue_id=triaged.pk, lead=roads, actor=dispatcher)
    lead = _lead(triaged)
    assignments.assignment_accept(assignment_id=lead.pk, actor=city["staff"][roads])
    requests.assignment_request_cohandlers(
        assignment_id=lead.pk, actor=city["staff"][roads], agencies=["parks"], reason="Trees."
    )
    requests.request_approve(request_id=_request("cohandle", lead).pk, actor=dispatcher)
    requests.assignment_request_transfer(
        assignment_id=lead.pk,
        actor=city["staff"][roads],
        reason="Parks'.",
        suggested_agency="parks",
    )
    requests.request_approve(request_id=_request("transfer", lead).pk, actor=dispatcher)
    # The new lead resolves while another co-handler is still pending: the rating closes the
    # issue and cancels that work.
    lead = _lead(triaged)
    requests.assignment_request_cohandlers(
        assignment_id=lead.pk, actor=city["staff"][parks], agencies=["water"], reason="Pipes."
    )
    requests.request_approve(request_id=_request("cohandle", lead).pk, actor=dispatcher)
    _work(city, Issue.objects.get(pk=triaged.pk))
    issue_services.issue_feedback(issue_id=triaged.pk, rating=4)

    # Submitted and dispatched by hand before the routing ran; resolved and left unrated
    # with a co-handler still on it: closed by the sweep.
    early = IssueFactory(status=IS.SUBMITTED, category=None)
    routing.issue_dispatch(issue_id=early.pk, lead=water, co_handlers=[parks], actor=dispatcher)
    _work(city, Issue.objects.get(pk=early.pk))
    followup.issues_close_unrated(now=timezone.now() + settings.FEEDBACK_CLOSE_AFTER * 2)

    # A duplicate with work on it merged into an issue being handled.
    survivor, duplicate = city["file"](), city["file"]()
    merge.issue_merge(issue_id=duplicate.pk, into_id=survivor.pk, actor=dispatcher)

    # A caller's question the call-taker answered on the spot (直接办结): closed as filed.
    asked_only = IssueFactory(status=IS.SUBMITTED, category=None)
    followup.issue_answer_on_the_spot(issue_id=asked_only.pk, actor=dispatcher, answer="At 9.")

    # Every status written was a move the table allowed, asked by the service it names…
    asked = Counter((machine, source, target) for machine, source, target, _by in moves)
    assert Counter(changes) - asked == Counter()
    for machine, source, target, by in moves:
        table = {"issue": ISSUE, "assignment": ASSIGNMENT}[machine]
        assert table.allows(source, target, by)
    # … and the life took every move the table lists.
    taken = {(machine, target, by) for machine, _source, target, by in moves}
    listed = {
        (table.name, t.target, service)
        for table in (ISSUE, ASSIGNMENT)
        for t in table.transitions
        for service in t.services
    }
    assert listed - taken == set()


# ------------------------------------------------------------------- refused starting points


def _issue_in(status: str, city) -> Issue:
    issue = IssueFactory(status=status, resolved_at=timezone.now() - timedelta(hours=1))
    AssignmentFactory(issue=issue, agency=city["water"], status=AS.DONE, done_at=timezone.now())
    return issue


ISSUE_SERVICES = {
    "issue_dispatch": lambda issue, city: routing.issue_dispatch(
        issue_id=issue.pk, lead=city["roads"], actor=city["dispatcher"]
    ),
    "issue_feedback": lambda issue, city: issue_services.issue_feedback(
        issue_id=issue.pk, rating=4
    ),
    "issue_reopen": lambda issue, city: issue_services.issue_reopen(
        issue_id=issue.pk, reason="Still wrong."
    ),
    "issue_merge": lambda issue, city: merge.issue_merge(
        issue_id=issue.pk,
        into_id=IssueFactory(status=IS.DISPATCHED).pk,
        actor=city["dispatcher"],
    ),
    "issue_answer_on_the_spot": lambda issue, city: followup.issue_answer_on_the_spot(
        issue_id=issue.pk, actor=city["dispatcher"], answer="Open at nine."
    ),
}
TARGETS = {
    "issue_dispatch": IS.DISPATCHED,
    "issue_feedback": IS.CLOSED,
    "issue_reopen": IS.DISPATCHED,
    "issue_merge": IS.MERGED,
    "issue_answer_on_the_spot": IS.CLOSED,
}


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (service, status)
        for service in ISSUE_SERVICES
        for status in IS.values
        if status not in ISSUE.sources(TARGETS[service], by=service)
    ],
)
def test_an_issue_service_refuses_a_state_the_table_does_not_start_it_from(city, service, status):
    issue = _issue_in(status, city)

    with pytest.raises(WorkflowError):
        ISSUE_SERVICES[service](issue, city)

    issue.refresh_from_db()
    assert issue.status == status


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (service, status)
        for service, target in (
            ("assignment_accept", AS.ACCEPTED),
            ("assignment_resolve", AS.DONE),
        )
        for status in AS.values
        if status not in ASSIGNMENT.sources(target, by=service)
    ],
)
def test_an_assignment_service_refuses_a_state_the_table_does_not_start_it_from(
    city, service, status
):
    assignment = AssignmentFactory(
        agency=city["water"],
        status=status,
        accepted_at=None if status == AS.PENDING else timezone.now(),
    )
    act = {
        "assignment_accept": lambda: assignments.assignment_accept(
            assignment_id=assignment.pk, actor=city["staff"][city["water"]]
        ),
        "assignment_resolve": lambda: assignments.assignment_resolve(
            assignment_id=assignment.pk, actor=city["staff"][city["water"]], resolution="Done."
        ),
    }[service]

    with pytest.raises(WorkflowError):
        act()

    assignment.refresh_from_db()
    assert assignment.status == status


def test_the_tables_are_the_ones_the_services_import():
    assert (routing.ISSUE, assignments.ASSIGNMENT) == (transitions.ISSUE, transitions.ASSIGNMENT)
