"""The dispatcher's workflow through its services and selectors, on the real database.

Routing runs the way production runs it: ``issue_submit`` commits, the on-commit hook
enqueues the Celery task, and the task (eager in tests) calls ``issue_route``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from agencies.models import Agency, Membership
from agencies.services import membership_set
from coordination.deadlines.selectors import work_calendar
from coordination.dispatch import tasks as dispatch_tasks
from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.permissions import issue_for_user, issues_visible_to
from coordination.dispatch.selectors import agency_queue
from coordination.dispatch.services import assignments, routing
from coordination.dispatch.tasks import issues_route_stale
from coordination.rules.models import RuleSet
from issues.models import Issue, Update
from issues.services import issue_submit
from platform_gov.celery import app as celery_app
from platform_gov.celery import enqueue
from platform_gov.errors import WorkflowError
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CategoryFactory,
    IssueFactory,
    RoutingRuleFactory,
    SLAPolicyFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


# ------------------------------------------------------------------------- fixtures


@pytest.fixture
def dispatch_centre():
    return AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def dispatcher(dispatch_centre):
    return member(dispatch_centre)


@pytest.fixture
def noise():
    parent = CategoryFactory(code="noise")
    return CategoryFactory(code="night-noise", parent=parent)


@pytest.fixture
def environment_bureau():
    return AgencyFactory(code="env")


@pytest.fixture
def police():
    return AgencyFactory(code="police")


@pytest.fixture
def street_office():
    return AgencyFactory(code="street", kind=Agency.Kind.STREET_OFFICE)


@pytest.fixture
def noise_rule(dispatch_centre, noise, environment_bureau, police, street_office):
    """Night noise (and anything under 'noise') goes to the bureau, with two co-handlers."""
    return RoutingRuleFactory(
        name="噪声 → 环保局",
        category=noise.parent,
        lead=environment_bureau,
        co_handlers=[police, street_office],
    )


def submit(**overrides) -> Issue:
    """File an issue as a resident would (without running the on-commit hooks)."""
    fields = {
        "title": "Building site drilling after midnight",
        "description": "Every night since Monday, from 1 a.m. to 4 a.m.",
        "lat": 39.9,
        "lon": 116.4,
        "contact_email": "resident@example.org",
        **overrides,
    }
    return issue_submit(**fields)


@pytest.fixture
def submit_and_route(django_capture_on_commit_callbacks):
    """File an issue and let the on-commit hook route it, as after a real commit."""

    def run(**overrides) -> Issue:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            issue = submit(**overrides)
        # Routing first; the notifications it causes are enqueued after it.
        assert callbacks
        issue.refresh_from_db()
        return issue

    return run


def kinds(issue: Issue) -> list[str]:
    return list(issue.handoffs.order_by("at", "id").values_list("kind", flat=True))


def update_kinds(issue: Issue) -> list[str]:
    return list(issue.updates.order_by("at", "id").values_list("kind", flat=True))


def lead_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.LEAD, status__in=Assignment.ACTIVE_STATUSES)


# ------------------------------------------------------------------------- submission


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"title": ""}, "title", id="empty-title"),
        pytest.param({"title": "   "}, "title", id="blank-title"),
        pytest.param({"title": "x" * 201}, "title", id="long-title"),
        pytest.param({"description": ""}, "description", id="empty-description"),
        pytest.param({"contact_email": "not-an-email"}, "contact_email", id="bad-email"),
        pytest.param({"lat": 90.5}, "lat", id="lat-above-90"),
        pytest.param({"lat": -91.0}, "lat", id="lat-below-minus-90"),
        pytest.param({"lon": 180.5}, "lon", id="lon-above-180"),
        pytest.param({"priority": "whenever"}, "priority", id="unknown-priority"),
        pytest.param({"channel": "fax"}, "channel", id="unknown-channel"),
    ],
)
def test_submission_with_an_invalid_field_is_refused_naming_the_field(overrides, field):
    with pytest.raises(ValidationError) as caught:
        submit(**overrides)

    assert field in caught.value.error_dict
    assert not Issue.objects.exists()
    assert not Handoff.objects.exists()


def test_submitted_issue_waits_with_one_handoff_and_a_public_update(noise):
    issue = submit(title="  Drilling at night  ", category=noise)

    issue.refresh_from_db()
    assert issue.status == Issue.Status.SUBMITTED
    assert issue.title == "Drilling at night"
    assert kinds(issue) == [Handoff.Kind.SUBMITTED]
    assert issue.handoffs.get().details == {"channel": Issue.Channel.WEB}
    assert update_kinds(issue) == [Update.Kind.SUBMITTED]
    assert not issue.assignments.exists()


def test_anonymous_visitor_is_not_recorded_as_reporter():
    issue = submit(reporter=AnonymousUser())

    assert issue.reporter is None


def test_signed_in_resident_is_recorded_as_reporter():
    resident = UserFactory()

    issue = submit(reporter=resident)

    assert issue.reporter == resident


# ---------------------------------------------------------------------------- routing


def test_submitted_issue_is_routed_to_the_rule_lead_with_its_co_handlers(
    submit_and_route,
    noise,
    noise_rule,
    environment_bureau,
    police,
    street_office,
    dispatch_centre,
):
    issue = submit_and_route(category=noise)

    assert issue.status == Issue.Status.DISPATCHED
    assert issue.routed_at is not None
    active = issue.assignments.filter(status=Assignment.Status.PENDING)
    assert {(a.agency.code, a.role) for a in active} == {
        ("env", Assignment.Role.LEAD),
        ("police", Assignment.Role.CO_HANDLER),
        ("street", Assignment.Role.CO_HANDLER),
    }
    assert issue.assignments.count() == 3
    assert kinds(issue) == [Handoff.Kind.SUBMITTED, Handoff.Kind.ROUTED]
    routed = issue.handoffs.get(kind=Handoff.Kind.ROUTED)
    assert routed.details["rule"] == {"id": noise_rule.pk, "name": "噪声 → 环保局"}
    assert routed.details["routed_by"] == "eager"
    assert routed.details["lead"] == "env"
    assert sorted(routed.details["co_handlers"]) == ["police", "street"]
    assert routed.details["reasons"]
    assert routed.to_agency == environment_bureau
    assert routed.from_agency == dispatch_centre
    assert update_kinds(issue) == [Update.Kind.SUBMITTED, Update.Kind.DISPATCHED]


def test_routed_assignments_get_deadlines_from_the_sla_policy(submit_and_route, noise, noise_rule):
    SLAPolicyFactory(category=noise, priority="", response_hours=4, resolution_hours=24)

    issue = submit_and_route(category=noise)

    lead = lead_of(issue)
    calendar = work_calendar()  # working hours: weekends, nights and holidays do not count
    assert lead.response_due_at == calendar.add(lead.created_at, timedelta(hours=4))
    assert lead.due_at == calendar.add(lead.created_at, timedelta(hours=24))


def test_a_round_the_clock_policy_counts_calendar_hours(submit_and_route, noise, noise_rule):
    SLAPolicyFactory(
        category=noise, priority="", response_hours=1, resolution_hours=24, round_the_clock=True
    )

    lead = lead_of(submit_and_route(category=noise))

    assert lead.response_due_at - lead.created_at == timedelta(hours=1)
    assert lead.due_at - lead.created_at == timedelta(hours=24)


def test_routed_assignments_without_a_policy_get_the_default_deadlines(
    submit_and_route, noise, noise_rule
):
    issue = submit_and_route(category=noise)

    lead = lead_of(issue)
    calendar = work_calendar()
    assert lead.response_due_at == calendar.add(lead.created_at, timedelta(hours=2))
    assert lead.due_at == calendar.add(lead.created_at, timedelta(hours=72))


def test_assigned_agencies_members_may_view_the_issue_and_others_may_not(
    submit_and_route, noise, noise_rule, environment_bureau, police
):
    bureau_staff = member(environment_bureau)
    police_officer = member(police)
    outsider = member(AgencyFactory(code="water"))

    issue = submit_and_route(category=noise)

    assert bureau_staff.has_perm("issues.view_issue", issue)
    assert police_officer.has_perm("issues.view_issue", issue)
    assert not outsider.has_perm("issues.view_issue", issue)
    assert not UserFactory().has_perm("issues.view_issue", issue)


def test_rule_on_the_exact_sub_category_wins_over_a_later_parent_rule(
    submit_and_route, noise, noise_rule, police
):
    RoutingRuleFactory(category=noise, lead=police, position=noise_rule.position - 1)

    issue = submit_and_route(category=noise)

    assert lead_of(issue).agency == police


def test_rule_that_excludes_sub_categories_does_not_route_a_child(
    submit_and_route, noise, dispatch_centre, environment_bureau
):
    RoutingRuleFactory(category=noise.parent, lead=environment_bureau, include_subcategories=False)

    issue = submit_and_route(category=noise)

    assert issue.status == Issue.Status.TRIAGE


def test_issue_no_rule_covers_waits_in_triage_with_reasons(
    submit_and_route, noise_rule, dispatch_centre
):
    issue = submit_and_route(category=CategoryFactory(code="wages"))

    assert issue.status == Issue.Status.TRIAGE
    assert not issue.assignments.exists()
    assert kinds(issue) == [Handoff.Kind.SUBMITTED, Handoff.Kind.TRIAGED]
    triaged = issue.handoffs.get(kind=Handoff.Kind.TRIAGED)
    assert triaged.details["reasons"]
    assert any("no rule matched" in reason for reason in triaged.details["reasons"])
    assert triaged.details["facts"]["category_path"] == ["wages"]
    assert triaged.details["rule"] is None
    assert triaged.note
    assert triaged.to_agency == dispatch_centre
    assert update_kinds(issue) == [Update.Kind.SUBMITTED, Update.Kind.TRIAGED]


def test_issue_without_a_category_waits_in_triage(submit_and_route, noise_rule, dispatch_centre):
    issue = submit_and_route(category=None)

    assert issue.status == Issue.Status.TRIAGE
    assert issue.handoffs.get(kind=Handoff.Kind.TRIAGED).details["reasons"]


def test_a_rule_only_in_a_draft_is_not_used(submit_and_route, noise, dispatch_centre):
    draft = RuleSet.objects.create(version=99, status=RuleSet.Status.DRAFT)
    RoutingRuleFactory(category=noise, ruleset=draft)

    issue = submit_and_route(category=noise)

    assert issue.status == Issue.Status.TRIAGE
    assert not issue.assignments.exists()


def test_rule_with_an_inactive_lead_sends_the_issue_to_triage_with_a_reason(
    submit_and_route, noise, noise_rule, environment_bureau, dispatch_centre
):
    Agency.objects.filter(pk=environment_bureau.pk).update(active=False)

    issue = submit_and_route(category=noise)

    assert issue.status == Issue.Status.TRIAGE
    assert not issue.assignments.exists()
    triaged = issue.handoffs.get(kind=Handoff.Kind.TRIAGED)
    assert triaged.details["lead"] is None
    assert triaged.details["reasons"]


def test_inactive_co_handler_gets_no_assignment(
    submit_and_route, noise, noise_rule, police, environment_bureau
):
    Agency.objects.filter(pk=police.pk).update(active=False)

    issue = submit_and_route(category=noise)

    assert issue.status == Issue.Status.DISPATCHED
    assert {a.agency.code for a in issue.assignments.all()} == {"env", "street"}


def test_routing_an_issue_twice_makes_one_set_of_assignments(noise, noise_rule):
    issue = submit(category=noise)

    first = routing.issue_route(issue_id=issue.pk)
    second = routing.issue_route(issue_id=issue.pk)

    assert first is not None
    assert first.decision.lead == "env"
    assert first.issue_id == issue.pk
    assert second is None
    assert issue.assignments.count() == 3
    assert issue.assignments.filter(role=Assignment.Role.LEAD).count() == 1
    assert kinds(issue) == [Handoff.Kind.SUBMITTED, Handoff.Kind.ROUTED]


def test_routing_an_issue_in_triage_again_does_nothing(noise_rule, dispatch_centre):
    issue = submit(category=None)
    routing.issue_route(issue_id=issue.pk)

    assert routing.issue_route(issue_id=issue.pk) is None
    assert kinds(issue) == [Handoff.Kind.SUBMITTED, Handoff.Kind.TRIAGED]


def test_routing_a_missing_issue_does_nothing():
    assert routing.issue_route(issue_id=987654) is None
    assert not Handoff.objects.exists()


def test_routing_writes_exactly_one_handoff(noise, noise_rule):
    issue = submit(category=noise)
    before = Handoff.objects.count()

    routing.issue_route(issue_id=issue.pk, routed_by="worker-1")

    assert Handoff.objects.count() == before + 1
    assert issue.handoffs.get(kind=Handoff.Kind.ROUTED).details["routed_by"] == "worker-1"


# ------------------------------------------------------------------- dispatch by hand


@pytest.fixture
def triaged_issue(submit_and_route, dispatch_centre):
    issue = submit_and_route(category=CategoryFactory(code="wages"))
    assert issue.status == Issue.Status.TRIAGE
    return issue


def test_dispatcher_dispatches_an_issue_in_triage_by_hand(
    triaged_issue, dispatcher, environment_bureau, police, dispatch_centre
):
    bureau_staff = member(environment_bureau)
    before = Handoff.objects.count()

    issue = routing.issue_dispatch(
        issue_id=triaged_issue.pk,
        lead=environment_bureau,
        co_handlers=[police, police, environment_bureau],
        actor=dispatcher,
        note="wage arrears on a building site",
    )

    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert {(a.agency.code, a.role) for a in issue.assignments.all()} == {
        ("env", Assignment.Role.LEAD),
        ("police", Assignment.Role.CO_HANDLER),
    }
    assert Handoff.objects.count() == before + 1
    dispatched = issue.handoffs.get(kind=Handoff.Kind.DISPATCHED)
    assert dispatched.actor == dispatcher
    assert dispatched.to_agency == environment_bureau
    assert dispatched.from_agency == dispatch_centre
    assert dispatched.note == "wage arrears on a building site"
    assert dispatched.details == {"lead": "env", "co_handlers": ["police"], "by": "hand"}
    assert update_kinds(issue)[-1] == Update.Kind.DISPATCHED
    assert bureau_staff.has_perm("issues.view_issue", issue)


def test_dispatcher_may_dispatch_an_issue_still_submitted(noise, dispatcher, police):
    issue = submit(category=noise)

    routing.issue_dispatch(issue_id=issue.pk, lead=police, actor=dispatcher)

    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert issue.routed_at is not None
    # The routing task that arrives later finds nothing left to do.
    assert routing.issue_route(issue_id=issue.pk) is None
    assert issue.assignments.count() == 1


@pytest.mark.parametrize(
    "status",
    [
        Issue.Status.DISPATCHED,
        Issue.Status.IN_PROGRESS,
        Issue.Status.RESOLVED,
        Issue.Status.CLOSED,
        Issue.Status.MERGED,
        Issue.Status.REJECTED,
    ],
)
def test_dispatch_is_refused_when_the_issue_is_not_waiting_for_the_dispatcher(
    status, dispatcher, police
):
    issue = IssueFactory(status=status)

    with pytest.raises(WorkflowError):
        routing.issue_dispatch(issue_id=issue.pk, lead=police, actor=dispatcher)

    issue.refresh_from_db()
    assert issue.status == status
    assert not issue.assignments.exists()
    assert not issue.handoffs.exists()


def test_dispatch_to_the_dispatch_centre_itself_is_refused(
    triaged_issue, dispatcher, dispatch_centre
):
    before = Handoff.objects.count()

    with pytest.raises(WorkflowError):
        routing.issue_dispatch(issue_id=triaged_issue.pk, lead=dispatch_centre, actor=dispatcher)

    triaged_issue.refresh_from_db()
    assert triaged_issue.status == Issue.Status.TRIAGE
    assert Handoff.objects.count() == before


def test_dispatch_to_an_inactive_organisation_is_refused(triaged_issue, dispatcher):
    closed = AgencyFactory(active=False)

    with pytest.raises(WorkflowError):
        routing.issue_dispatch(issue_id=triaged_issue.pk, lead=closed, actor=dispatcher)

    assert not triaged_issue.assignments.exists()


# ----------------------------------------------------------- accepting and resolving


@pytest.fixture
def routed_issue(submit_and_route, noise, noise_rule):
    issue = submit_and_route(category=noise)
    assert issue.status == Issue.Status.DISPATCHED
    return issue


def test_lead_accepting_moves_the_issue_in_progress(routed_issue, environment_bureau):
    staff = member(environment_bureau)
    lead = lead_of(routed_issue)
    before = Handoff.objects.count()

    accepted = assignments.assignment_accept(assignment_id=lead.pk, actor=staff)

    routed_issue.refresh_from_db()
    assert routed_issue.status == Issue.Status.IN_PROGRESS
    assert accepted.status == Assignment.Status.ACCEPTED
    assert accepted.accepted_by == staff
    assert accepted.accepted_at is not None
    assert Handoff.objects.count() == before + 1
    handoff = routed_issue.handoffs.get(kind=Handoff.Kind.ACCEPTED)
    assert handoff.assignment == lead
    assert handoff.actor == staff
    assert handoff.details == {"role": Assignment.Role.LEAD, "in_time": True}
    assert update_kinds(routed_issue)[-1] == Update.Kind.ACCEPTED


def test_accepting_after_the_response_deadline_is_recorded_as_late(
    routed_issue, environment_bureau
):
    lead = lead_of(routed_issue)
    Assignment.objects.filter(pk=lead.pk).update(
        response_due_at=timezone.now() - timedelta(minutes=1)
    )

    assignments.assignment_accept(assignment_id=lead.pk, actor=member(environment_bureau))

    assert routed_issue.handoffs.get(kind=Handoff.Kind.ACCEPTED).details["in_time"] is False


def test_second_accept_is_refused(routed_issue, environment_bureau):
    staff = member(environment_bureau)
    lead = lead_of(routed_issue)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    before = Handoff.objects.count()

    with pytest.raises(WorkflowError):
        assignments.assignment_accept(assignment_id=lead.pk, actor=member(environment_bureau))

    lead.refresh_from_db()
    assert lead.accepted_by == staff
    assert Handoff.objects.count() == before


def test_co_handler_accepting_leaves_the_issue_status(routed_issue, police):
    co_handler = routed_issue.assignments.get(agency=police)
    before = Handoff.objects.count()

    assignments.assignment_accept(assignment_id=co_handler.pk, actor=member(police))

    routed_issue.refresh_from_db()
    co_handler.refresh_from_db()
    assert routed_issue.status == Issue.Status.DISPATCHED
    assert co_handler.status == Assignment.Status.ACCEPTED
    assert Handoff.objects.count() == before + 1
    assert Update.Kind.ACCEPTED not in update_kinds(routed_issue)


def test_resolving_a_pending_assignment_is_refused(routed_issue, environment_bureau):
    lead = lead_of(routed_issue)
    before = Handoff.objects.count()

    with pytest.raises(WorkflowError):
        assignments.assignment_resolve(
            assignment_id=lead.pk, actor=member(environment_bureau), resolution="Fixed."
        )

    lead.refresh_from_db()
    assert lead.status == Assignment.Status.PENDING
    assert Handoff.objects.count() == before


@pytest.mark.parametrize("resolution", ["", "   \n"])
def test_resolving_without_saying_how_is_refused(routed_issue, environment_bureau, resolution):
    staff = member(environment_bureau)
    lead = lead_of(routed_issue)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    before = Handoff.objects.count()

    with pytest.raises(WorkflowError) as refused:
        assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution=resolution)

    assert refused.value.code == "reason_required"

    lead.refresh_from_db()
    assert lead.status == Assignment.Status.ACCEPTED
    assert Handoff.objects.count() == before


def test_lead_resolving_resolves_the_issue(routed_issue, environment_bureau):
    staff = member(environment_bureau)
    lead = lead_of(routed_issue)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    before = Handoff.objects.count()

    assignments.assignment_resolve(
        assignment_id=lead.pk, actor=staff, resolution="  Site told to stop at 22:00.  "
    )

    routed_issue.refresh_from_db()
    lead.refresh_from_db()
    assert lead.status == Assignment.Status.DONE
    assert lead.done_at is not None
    assert lead.resolution == "Site told to stop at 22:00."
    assert routed_issue.status == Issue.Status.RESOLVED
    assert routed_issue.resolution == "Site told to stop at 22:00."
    assert routed_issue.resolved_at is not None
    assert Handoff.objects.count() == before + 1
    resolved = routed_issue.handoffs.get(kind=Handoff.Kind.RESOLVED)
    assert resolved.from_agency == environment_bureau
    assert resolved.details == {"role": Assignment.Role.LEAD, "in_time": True}
    assert update_kinds(routed_issue)[-1] == Update.Kind.RESOLVED


def test_co_handler_resolving_its_share_leaves_the_issue_open(routed_issue, police):
    officer = member(police)
    co_handler = routed_issue.assignments.get(agency=police)
    assignments.assignment_accept(assignment_id=co_handler.pk, actor=officer)
    before = Handoff.objects.count()

    assignments.assignment_resolve(
        assignment_id=co_handler.pk, actor=officer, resolution="Patrolled at 1 a.m."
    )

    routed_issue.refresh_from_db()
    co_handler.refresh_from_db()
    assert co_handler.status == Assignment.Status.DONE
    assert routed_issue.status == Issue.Status.DISPATCHED
    assert routed_issue.resolution == ""
    assert routed_issue.resolved_at is None
    assert Handoff.objects.count() == before + 1


def test_resolving_twice_is_refused(routed_issue, environment_bureau):
    staff = member(environment_bureau)
    lead = lead_of(routed_issue)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution="Fixed.")

    with pytest.raises(WorkflowError):
        assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution="Again.")


def test_each_step_of_an_issue_life_writes_exactly_one_handoff(
    django_capture_on_commit_callbacks, noise, noise_rule, environment_bureau
):
    staff = member(environment_bureau)
    counts = [Handoff.objects.count()]

    issue = submit(category=noise)
    counts.append(Handoff.objects.count())
    routing.issue_route(issue_id=issue.pk)
    counts.append(Handoff.objects.count())
    lead = lead_of(issue)
    assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
    counts.append(Handoff.objects.count())
    assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution="Fixed.")
    counts.append(Handoff.objects.count())

    assert counts == [0, 1, 2, 3, 4]
    assert kinds(issue) == ["submitted", "routed", "accepted", "resolved"]


# ------------------------------------------------------------------------- selectors


def test_agency_queue_puts_the_soonest_deadline_first_and_none_last():
    bureau = AgencyFactory()
    staff = member(bureau)
    now = timezone.now()
    later = AssignmentFactory(agency=bureau, due_at=now + timedelta(hours=30))
    undated = AssignmentFactory(agency=bureau, due_at=None)
    soon = AssignmentFactory(agency=bureau, due_at=now + timedelta(hours=1))
    middle = AssignmentFactory(
        agency=bureau,
        due_at=now + timedelta(hours=5),
        status=Assignment.Status.ACCEPTED,
        accepted_at=now,
    )

    assert list(agency_queue(user=staff)) == [soon, middle, later, undated]


def test_agency_queue_shows_only_the_active_assignments_of_the_users_agencies():
    bureau, street = AgencyFactory(), AgencyFactory()
    staff = member(bureau)
    Membership.objects.create(user=staff, agency=AgencyFactory(active=False))
    mine = AssignmentFactory(agency=bureau)
    done = AssignmentFactory(
        agency=bureau, status=Assignment.Status.DONE, accepted_at=timezone.now()
    )
    AssignmentFactory(agency=bureau, status=Assignment.Status.RETURNED)
    AssignmentFactory(agency=bureau, status=Assignment.Status.CANCELLED)
    AssignmentFactory(agency=street)

    assert list(agency_queue(user=staff)) == [mine]
    assert set(agency_queue(user=staff, include_done=True)) == {mine, done}


def test_agency_queue_of_someone_in_two_agencies_holds_both():
    bureau, street = AgencyFactory(), AgencyFactory()
    staff = member(bureau)
    membership_set(user=staff, agency=street, role=Membership.Role.STAFF)
    ours = {AssignmentFactory(agency=bureau), AssignmentFactory(agency=street)}
    AssignmentFactory()

    assert set(agency_queue(user=staff)) == ours


def test_agency_queue_of_an_anonymous_user_is_empty():
    AssignmentFactory()

    assert list(agency_queue(user=AnonymousUser())) == []


def test_staff_see_their_agencys_issues_and_not_anothers():
    bureau, street = AgencyFactory(), AgencyFactory()
    staff = member(bureau)
    ours = AssignmentFactory(agency=bureau).issue
    theirs = AssignmentFactory(agency=street).issue
    IssueFactory()  # routed to nobody yet

    assert list(issues_visible_to(staff)) == [ours]
    assert issue_for_user(user=staff, issue_id=ours.pk) == ours
    with pytest.raises(Http404):
        issue_for_user(user=staff, issue_id=theirs.pk)


def test_missing_and_forbidden_issues_look_the_same():
    staff = member(AgencyFactory())
    forbidden = AssignmentFactory().issue
    missing_id = forbidden.pk + 1000

    with pytest.raises(Http404) as for_forbidden:
        issue_for_user(user=staff, issue_id=forbidden.pk)
    with pytest.raises(Http404) as for_missing:
        issue_for_user(user=staff, issue_id=missing_id)

    assert str(for_forbidden.value) == str(for_missing.value)


@pytest.mark.parametrize(
    "user_factory",
    [AnonymousUser, UserFactory],
    ids=["anonymous", "user-of-no-agency"],
)
def test_outsiders_see_no_issue(user_factory):
    issue = AssignmentFactory().issue

    assert list(issues_visible_to(user_factory())) == []
    with pytest.raises(Http404):
        issue_for_user(user=user_factory(), issue_id=issue.pk)


def test_dispatcher_sees_every_issue(dispatcher):
    issues = {AssignmentFactory().issue, IssueFactory(), IssueFactory(status=Issue.Status.TRIAGE)}

    assert set(issues_visible_to(dispatcher)) == issues
    for issue in issues:
        assert issue_for_user(user=dispatcher, issue_id=issue.pk) == issue
    with pytest.raises(Http404):
        issue_for_user(user=dispatcher, issue_id=max(i.pk for i in issues) + 1000)


def test_member_of_an_inactive_dispatch_centre_is_not_a_dispatcher():
    centre = AgencyFactory(kind=Agency.Kind.DISPATCH_CENTRE, active=False)
    former = member(centre)
    IssueFactory()

    assert list(issues_visible_to(former)) == []


def test_superuser_sees_every_issue():
    issue = IssueFactory()
    admin = UserFactory(is_superuser=True, is_staff=True)

    assert issue_for_user(user=admin, issue_id=issue.pk) == issue


# ------------------------------------------------------------------ the broker is down


class BrokerOutage:
    """Celery pointed at a closed port with eager mode off, until ``end()``.

    Celery keeps its broker connection and producer pools once made, so they are set aside
    for the outage (and put back at its end) to make the new broker URL take effect. The
    settings are saved and restored by hand: Celery's ``conf`` keeps its values in a mapping
    that ``monkeypatch`` does not restore.
    """

    def __init__(self) -> None:
        conf = celery_app.conf
        self._saved = (conf.task_always_eager, conf.broker_url, celery_app._pool)
        self._saved_producers = celery_app.amqp._producer_pool
        self.ended = False
        conf.task_always_eager = False
        conf.broker_url = CLOSED_PORT_BROKER
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def end(self) -> None:
        if self.ended:
            return
        self.ended = True
        outage_pool = celery_app._pool
        conf = celery_app.conf
        conf.task_always_eager, conf.broker_url, celery_app._pool = self._saved
        celery_app.amqp._producer_pool = self._saved_producers
        if outage_pool is not None:
            outage_pool.force_close_all()


@pytest.fixture
def broker_down():
    outage = BrokerOutage()
    yield outage
    outage.end()


def test_submission_succeeds_while_the_broker_is_down(
    broker_down, django_capture_on_commit_callbacks, noise, noise_rule, caplog
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issue = submit(category=noise)

    # One routing enqueued (other rooms may follow the filing too: hot issues do).
    routing = [c for c in callbacks if c.func is dispatch_tasks.issue_route_enqueue]
    assert [c.args for c in routing] == [(issue.pk,)]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SUBMITTED
    assert kinds(issue) == [Handoff.Kind.SUBMITTED]
    assert not issue.assignments.exists()
    assert "broker unavailable" in caplog.text
    assert enqueue(dispatch_tasks.issue_route, issue_id=issue.pk) is False


def test_sweep_routes_an_issue_left_submitted_and_spares_a_young_one(
    broker_down, django_capture_on_commit_callbacks, noise, noise_rule
):
    with django_capture_on_commit_callbacks(execute=True):
        stale = submit(category=noise)
        young = submit(category=noise)
    broker_down.end()
    assert celery_app.conf.task_always_eager is True
    Issue.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - settings.ROUTING_STALE_AFTER - timedelta(seconds=5)
    )

    swept = issues_route_stale()

    stale.refresh_from_db()
    young.refresh_from_db()
    assert swept == 1
    assert stale.status == Issue.Status.DISPATCHED
    assert lead_of(stale).agency.code == "env"
    assert young.status == Issue.Status.SUBMITTED
    assert not young.assignments.exists()
    assert issues_route_stale() == 0
