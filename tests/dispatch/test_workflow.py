"""The 12345 workflow beyond accept and resolve: every coordination service, allowed and refused.

Each service is driven the way production drives it: issues are filed with ``issue_submit`` and
routed by the on-commit hook, agencies ask, the dispatcher decides. A refused transition must
raise ``WorkflowError`` with a message for people, leave every row as it was and write no
Handoff. The clock is frozen (``time_machine``) so that windows and deadlines are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from agencies.models import Agency, Membership
from coordination.deadlines.models import CalendarDay
from coordination.dispatch.models import Assignment, CoordinationRequest, DeadlineEvent, Handoff
from coordination.dispatch.services import assignments, followup, merge, requests, supervision
from coordination.dispatch.services.supervision import deadlines_sweep
from issues import services
from issues.models import Feedback, Issue, Update
from issues.services import issue_submit
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, CategoryFactory, SLAPolicyFactory, member, routing_rule

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = "resident@example.org"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


WEDNESDAY_10 = at(2025, 5, 28, 10, 0)
FRIDAY_16 = at(2025, 5, 30, 16, 0)  # the Friday before the Dragon Boat holiday
HOLIDAY = date(2025, 6, 2)  # Monday
TUESDAY_10 = at(2025, 6, 3, 10, 0)
WEDNESDAY_AFTER_10 = at(2025, 6, 4, 10, 0)


# ------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _english_and_locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The terms these tests count on, whatever the environment says.
    settings.WORK_CALENDAR = {
        "timezone": "Asia/Shanghai",
        "day_start": "09:00",
        "day_end": "18:00",
        "breaks": [["12:00", "13:30"]],
        "weekend": [5, 6],
    }
    settings.BOUNCE_WINDOW = timedelta(hours=8)
    settings.WHISTLE_RESPONSE = timedelta(minutes=30)
    settings.REOPEN_WINDOW = timedelta(days=7)
    settings.FEEDBACK_CLOSE_AFTER = timedelta(days=7)
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock():
    """A frozen clock on an ordinary working morning; tests move it as they need."""
    with time_machine.travel(WEDNESDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def holiday():
    return CalendarDay.objects.create(date=HOLIDAY, kind=CalendarDay.Kind.HOLIDAY, name="端午节")


@pytest.fixture
def centre():
    return AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def dispatcher(centre):
    return member(centre, username="dispatcher")


@pytest.fixture
def dept_a():
    return AgencyFactory(code="housing", name_en="Housing bureau")


@pytest.fixture
def dept_b():
    return AgencyFactory(code="water", name_en="Water bureau")


@pytest.fixture
def street():
    return AgencyFactory(code="street", kind=Agency.Kind.STREET_OFFICE)


@pytest.fixture
def a_staff(dept_a):
    return member(dept_a, username="a-staff")


@pytest.fixture
def b_staff(dept_b):
    return member(dept_b, username="b-staff")


@pytest.fixture
def street_staff(street):
    return member(street, username="street-staff")


@pytest.fixture
def world(centre, dispatcher, dept_a, dept_b, street):
    """Potholes go to department A; lanes to the street office; a city-wide deadline policy."""
    SLAPolicyFactory(category=None, priority="", response_hours=2, resolution_hours=16)
    potholes = CategoryFactory(code="potholes")
    lanes = CategoryFactory(code="lanes")
    routing_rule(category=potholes, lead=dept_a)
    routing_rule(category=lanes, lead=street)
    return {"potholes": potholes, "lanes": lanes}


@pytest.fixture
def file_issue(world, django_capture_on_commit_callbacks):
    """File an issue as a resident does and let the on-commit hook route it."""

    def run(category: str = "potholes", **overrides) -> Issue:
        fields = {
            "title": "Deep pothole outside No. 5",
            "description": "A cyclist fell into it last night.",
            "category": world[category],
            "contact_email": RESIDENT,
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            issue = issue_submit(**fields)
        issue.refresh_from_db()
        return issue

    return run


def lead_of(issue: Issue) -> Assignment:
    return issue.assignments.get(role=Assignment.Role.LEAD, status__in=Assignment.ACTIVE_STATUSES)


def kinds(issue: Issue) -> list[str]:
    return list(issue.handoffs.order_by("at", "id").values_list("kind", flat=True))


def update_kinds(issue: Issue) -> list[str]:
    return list(issue.updates.order_by("at", "id").values_list("kind", flat=True))


def fresh(user):
    """The user loaded again: guardian caches permissions on the user object."""
    return get_user_model().objects.get(pk=user.pk)


def _snapshot() -> dict:
    return {
        "handoffs": Handoff.objects.count(),
        "updates": Update.objects.count(),
        "events": DeadlineEvent.objects.count(),
        "issues": list(
            Issue.objects.order_by("pk").values_list(
                "pk", "status", "redo_count", "merged_into_id", "resolved_at", "closed_at"
            )
        ),
        "assignments": list(
            Assignment.objects.order_by("pk").values_list(
                "pk", "agency_id", "role", "status", "due_at", "extended", "done_at", "redo"
            )
        ),
        "requests": list(
            CoordinationRequest.objects.order_by("pk").values_list("pk", "status", "decided_at")
        ),
        "feedback": list(Feedback.objects.order_by("pk").values_list("pk", "rating", "excluded")),
    }


@contextmanager
def refused(match: str) -> Iterator[None]:
    """The block must raise WorkflowError matching ``match`` and change nothing."""
    before = _snapshot()
    with pytest.raises(WorkflowError, match=match):
        yield
    assert _snapshot() == before


@contextmanager
def one_handoff(kind: str) -> Iterator[None]:
    """The block must write exactly one Handoff, of ``kind``."""
    before = set(Handoff.objects.values_list("pk", flat=True))
    yield
    new = Handoff.objects.exclude(pk__in=before)
    assert list(new.values_list("kind", flat=True)) == [kind]


def accept(assignment: Assignment, user) -> Assignment:
    return assignments.assignment_accept(assignment_id=assignment.pk, actor=user)


def resolve(assignment: Assignment, user, text: str = "Filled and rolled.") -> Assignment:
    return assignments.assignment_resolve(assignment_id=assignment.pk, actor=user, resolution=text)


@pytest.fixture
def resolved_issue(file_issue, a_staff):
    issue = file_issue()
    lead = lead_of(issue)
    accept(lead, a_staff)
    resolve(lead, a_staff)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED
    return issue


# ------------------------------------------------------------------ accept and resolve


def test_accepting_a_returned_assignment_is_refused(file_issue, a_staff, dispatcher):
    issue = file_issue()
    lead = lead_of(issue)
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours: a city road."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)

    with refused("already been accepted or closed"):
        accept(lead, a_staff)


def test_resolving_a_pending_assignment_is_refused_and_changes_nothing(file_issue, a_staff):
    lead = lead_of(file_issue())

    with refused("Only an accepted assignment"):
        resolve(lead, a_staff)


def test_accept_and_resolve_each_write_one_handoff(file_issue, a_staff):
    lead = lead_of(file_issue())

    with one_handoff(Handoff.Kind.ACCEPTED):
        accept(lead, a_staff)
    with one_handoff(Handoff.Kind.RESOLVED):
        resolve(lead, a_staff)


# ------------------------------------------------------------------------- bounce (退单)


def test_bounce_asked_within_the_window_waits_for_the_dispatcher(
    file_issue, a_staff, dept_a, centre, clock, holiday
):
    clock.move_to(FRIDAY_16)
    lead = lead_of(file_issue())
    # Friday 16:00-18:00 and Tuesday 09:00-10:00: 3 working hours, the holiday not counted.
    clock.move_to(TUESDAY_10)

    with one_handoff(Handoff.Kind.BOUNCE_REQUESTED):
        request = requests.assignment_request_bounce(
            assignment_id=lead.pk, actor=a_staff, reason="  Not ours: a city road.  "
        )

    assert request.kind == CoordinationRequest.Kind.BOUNCE
    assert request.status == CoordinationRequest.Status.OPEN
    assert request.reason == "Not ours: a city road."
    assert request.requested_by == a_staff
    handoff = Handoff.objects.get(kind=Handoff.Kind.BOUNCE_REQUESTED)
    assert (handoff.from_agency, handoff.to_agency, handoff.actor) == (dept_a, centre, a_staff)
    assert handoff.assignment == lead
    assert handoff.details == {"request": request.pk}
    lead.refresh_from_db()
    assert lead.status == Assignment.Status.PENDING


def test_bounce_after_the_window_is_refused(file_issue, a_staff, clock, holiday):
    clock.move_to(FRIDAY_16)
    lead = lead_of(file_issue())
    # Friday 2 h + Tuesday 7.5 h + Wednesday 1 h: past the 8 working hours.
    clock.move_to(WEDNESDAY_AFTER_10)

    with refused("time to return this assignment has passed"):
        requests.assignment_request_bounce(assignment_id=lead.pk, actor=a_staff, reason="Not ours.")
    assert not CoordinationRequest.objects.exists()


def test_without_the_holiday_the_same_bounce_is_already_too_late(file_issue, a_staff, clock):
    clock.move_to(FRIDAY_16)
    lead = lead_of(file_issue())
    # With Monday a working day: 2 h + 7.5 h + 1 h.
    clock.move_to(TUESDAY_10)

    with refused("time to return this assignment has passed"):
        requests.assignment_request_bounce(assignment_id=lead.pk, actor=a_staff, reason="Not ours.")


@pytest.mark.parametrize("reason", ["", "   "])
def test_bounce_without_a_reason_is_refused(file_issue, a_staff, reason):
    lead = lead_of(file_issue())

    with refused("Say why"):
        requests.assignment_request_bounce(assignment_id=lead.pk, actor=a_staff, reason=reason)


def test_a_second_open_bounce_request_is_refused(file_issue, a_staff):
    lead = lead_of(file_issue())
    requests.assignment_request_bounce(assignment_id=lead.pk, actor=a_staff, reason="Not ours.")

    with refused("already waiting for the dispatcher"):
        requests.assignment_request_bounce(
            assignment_id=lead.pk, actor=a_staff, reason="Really not ours."
        )


def test_approved_bounce_with_another_agency_re_dispatches_the_issue(
    file_issue, a_staff, b_staff, dept_a, dept_b, dispatcher
):
    issue = file_issue()
    old = lead_of(issue)
    assert fresh(a_staff).has_perm("issues.view_issue", issue)
    assert not fresh(b_staff).has_perm("issues.view_issue", issue)
    request = requests.assignment_request_bounce(
        assignment_id=old.pk, actor=a_staff, reason="Water main, not the road."
    )

    with one_handoff(Handoff.Kind.BOUNCE_APPROVED):
        decided = requests.request_approve(
            request_id=request.pk, actor=dispatcher, note="Agreed.", reassign_to="water"
        )

    issue.refresh_from_db()
    old.refresh_from_db()
    new = lead_of(issue)
    assert decided.status == CoordinationRequest.Status.APPROVED
    assert decided.decided_by == dispatcher
    assert decided.decision_note == "Agreed."
    assert old.status == Assignment.Status.RETURNED
    assert old.done_at is not None
    assert (new.agency, new.status, new.role) == (
        dept_b,
        Assignment.Status.PENDING,
        Assignment.Role.LEAD,
    )
    assert new.response_due_at is not None
    assert new.due_at is not None
    assert issue.status == Issue.Status.DISPATCHED
    handoff = issue.handoffs.get(kind=Handoff.Kind.BOUNCE_APPROVED)
    assert (handoff.from_agency, handoff.to_agency, handoff.actor) == (dept_a, dept_b, dispatcher)
    assert handoff.details == {"request": request.pk, "approved": True, "to": "water"}
    last = issue.updates.order_by("at", "id").last()
    assert (last.kind, last.agency) == (Update.Kind.DISPATCHED, dept_b)
    assert not fresh(a_staff).has_perm("issues.view_issue", issue)
    assert fresh(b_staff).has_perm("issues.view_issue", issue)


def test_approved_bounce_without_another_agency_sends_the_issue_to_triage(
    file_issue, a_staff, dispatcher
):
    issue = file_issue()
    old = lead_of(issue)
    request = requests.assignment_request_bounce(
        assignment_id=old.pk, actor=a_staff, reason="Not ours."
    )

    with one_handoff(Handoff.Kind.BOUNCE_APPROVED):
        requests.request_approve(request_id=request.pk, actor=dispatcher)

    issue.refresh_from_db()
    old.refresh_from_db()
    assert issue.status == Issue.Status.TRIAGE
    assert old.status == Assignment.Status.RETURNED
    assert not issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).exists()
    assert issue.handoffs.get(kind=Handoff.Kind.BOUNCE_APPROVED).details["to"] == "triage"
    assert update_kinds(issue)[-1] == Update.Kind.TRIAGED
    assert not fresh(a_staff).has_perm("issues.view_issue", issue)


def test_approving_a_bounce_back_to_the_same_agency_is_refused(file_issue, a_staff, dispatcher):
    lead = lead_of(file_issue())
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )

    with refused("Choose another organisation"):
        requests.request_approve(request_id=request.pk, actor=dispatcher, reassign_to="housing")


def test_approving_a_bounce_to_an_unknown_agency_is_refused(file_issue, a_staff, dispatcher):
    lead = lead_of(file_issue())
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )

    with refused("Unknown or inactive organisation: nowhere"):
        requests.request_approve(request_id=request.pk, actor=dispatcher, reassign_to="nowhere")


def test_rejected_bounce_leaves_the_assignment_with_its_agency(
    file_issue, a_staff, dept_a, centre, dispatcher
):
    issue = file_issue()
    lead = lead_of(issue)
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )

    with one_handoff(Handoff.Kind.BOUNCE_REJECTED):
        decided = requests.request_reject(
            request_id=request.pk, actor=dispatcher, note="Roads are yours."
        )

    assert decided.status == CoordinationRequest.Status.REJECTED
    assert decided.decision_note == "Roads are yours."
    assert lead_of(issue) == lead
    lead.refresh_from_db()
    assert (lead.status, lead.agency) == (Assignment.Status.PENDING, dept_a)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    handoff = issue.handoffs.get(kind=Handoff.Kind.BOUNCE_REJECTED)
    assert (handoff.from_agency, handoff.to_agency) == (centre, dept_a)
    assert handoff.details["approved"] is False
    assert fresh(a_staff).has_perm("issues.view_issue", issue)


def test_rejecting_without_a_reason_is_refused(file_issue, a_staff, dispatcher):
    lead = lead_of(file_issue())
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )

    with refused("Say why the request is rejected"):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note=" ")


def test_deciding_a_decided_request_is_refused(file_issue, a_staff, dispatcher):
    lead = lead_of(file_issue())
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher, reassign_to="water")

    with refused("decided already"):
        requests.request_approve(request_id=request.pk, actor=dispatcher, reassign_to="street")
    with refused("decided already"):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note="Changed my mind.")


def test_a_rejected_request_cannot_be_approved_later(file_issue, a_staff, dispatcher):
    lead = lead_of(file_issue())
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )
    requests.request_reject(request_id=request.pk, actor=dispatcher, note="Yours.")

    with refused("decided already"):
        requests.request_approve(request_id=request.pk, actor=dispatcher)


# ----------------------------------------------------------------------- transfer (转办)


def test_transfer_is_asked_of_the_dispatcher_and_approved_moves_the_lead(
    file_issue, a_staff, dept_a, dept_b, centre, dispatcher
):
    issue = file_issue()
    old = lead_of(issue)
    accept(old, a_staff)

    with one_handoff(Handoff.Kind.TRANSFER_REQUESTED):
        request = requests.assignment_request_transfer(
            assignment_id=old.pk, actor=a_staff, reason="A burst pipe underneath."
        )
    asked = issue.handoffs.get(kind=Handoff.Kind.TRANSFER_REQUESTED)
    assert (asked.from_agency, asked.to_agency) == (dept_a, centre)
    # Nothing moved yet: never straight from agency to agency.
    assert lead_of(issue) == old

    with one_handoff(Handoff.Kind.TRANSFERRED):
        requests.request_approve(request_id=request.pk, actor=dispatcher, reassign_to="water")

    issue.refresh_from_db()
    old.refresh_from_db()
    assert old.status == Assignment.Status.RETURNED
    assert lead_of(issue).agency == dept_b
    assert issue.status == Issue.Status.DISPATCHED
    moved = issue.handoffs.get(kind=Handoff.Kind.TRANSFERRED)
    assert (moved.from_agency, moved.to_agency, moved.actor) == (dept_a, dept_b, dispatcher)
    assert moved.details["to"] == "water"


def test_approved_transfer_goes_to_the_suggested_agency_when_none_is_chosen(
    file_issue, a_staff, dept_b, dispatcher
):
    issue = file_issue()
    request = requests.assignment_request_transfer(
        assignment_id=lead_of(issue).pk,
        actor=a_staff,
        reason="A burst pipe.",
        suggested_agency="water",
    )
    assert request.payload == {"suggested_agency": "water"}

    requests.request_approve(request_id=request.pk, actor=dispatcher)

    assert lead_of(issue).agency == dept_b
    assert issue.handoffs.get(kind=Handoff.Kind.TRANSFERRED).to_agency == dept_b


def test_transfer_suggesting_an_unknown_agency_is_refused(file_issue, a_staff):
    lead = lead_of(file_issue())

    with refused("Unknown or inactive organisation: nowhere"):
        requests.assignment_request_transfer(
            assignment_id=lead.pk, actor=a_staff, reason="Pipe.", suggested_agency="nowhere"
        )


def test_only_the_lead_may_ask_for_a_transfer(file_issue, a_staff, b_staff, dispatcher):
    issue = file_issue()
    lead = lead_of(issue)
    ask = requests.assignment_request_cohandlers(
        assignment_id=lead.pk, actor=a_staff, agencies=["water"], reason="Pipe check."
    )
    requests.request_approve(request_id=ask.pk, actor=dispatcher)
    co_handler = issue.assignments.get(role=Assignment.Role.CO_HANDLER)

    with refused("Only the lead can ask for a transfer"):
        requests.assignment_request_transfer(
            assignment_id=co_handler.pk, actor=b_staff, reason="Should be ours to lead."
        )


def test_rejected_transfer_keeps_the_lead(file_issue, a_staff, dept_a, dispatcher):
    issue = file_issue()
    lead = lead_of(issue)
    request = requests.assignment_request_transfer(
        assignment_id=lead.pk, actor=a_staff, reason="Pipe.", suggested_agency="water"
    )

    with one_handoff(Handoff.Kind.TRANSFER_REJECTED):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note="Road first.")

    assert lead_of(issue) == lead
    assert lead_of(issue).agency == dept_a


# --------------------------------------------------------------------- co-handling (协办)


def test_approved_co_handling_gives_each_agency_its_own_assignment_and_deadlines(
    file_issue, a_staff, dept_b, street, dispatcher
):
    issue = file_issue()
    lead = lead_of(issue)

    with one_handoff(Handoff.Kind.COHANDLING_REQUESTED):
        request = requests.assignment_request_cohandlers(
            assignment_id=lead.pk,
            actor=a_staff,
            agencies=["water", "street", "water", "housing"],
            reason="Pipe and pavement.",
        )
    assert request.payload == {"agencies": ["water", "street"]}
    assert not issue.assignments.filter(role=Assignment.Role.CO_HANDLER).exists()

    with one_handoff(Handoff.Kind.COHANDLER_ADDED):
        requests.request_approve(request_id=request.pk, actor=dispatcher)

    co = {a.agency: a for a in issue.assignments.filter(role=Assignment.Role.CO_HANDLER)}
    assert set(co) == {dept_b, street}
    for assignment in co.values():
        assert assignment.status == Assignment.Status.PENDING
        assert assignment.response_due_at is not None
        assert assignment.due_at is not None
        assert assignment.response_due_at <= assignment.due_at
    assert lead_of(issue) == lead
    added = issue.handoffs.get(kind=Handoff.Kind.COHANDLER_ADDED)
    assert added.details["added"] == ["water", "street"]
    assert added.actor == dispatcher


def test_co_handling_naming_only_the_lead_itself_is_refused(file_issue, a_staff):
    lead = lead_of(file_issue())

    with refused("Name at least one other organisation"):
        requests.assignment_request_cohandlers(
            assignment_id=lead.pk, actor=a_staff, agencies=["housing"], reason="Help."
        )


def test_co_handling_naming_the_dispatch_centre_is_refused(file_issue, a_staff):
    lead = lead_of(file_issue())

    with refused("Unknown or inactive organisation: dispatch"):
        requests.assignment_request_cohandlers(
            assignment_id=lead.pk, actor=a_staff, agencies=["dispatch"], reason="Help."
        )


def test_only_the_lead_may_ask_for_co_handlers(file_issue, a_staff, b_staff, dispatcher):
    issue = file_issue()
    request = requests.assignment_request_cohandlers(
        assignment_id=lead_of(issue).pk, actor=a_staff, agencies=["water"], reason="Pipe."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)
    co_handler = issue.assignments.get(role=Assignment.Role.CO_HANDLER)

    with refused("Only the lead can ask for co-handlers"):
        requests.assignment_request_cohandlers(
            assignment_id=co_handler.pk, actor=b_staff, agencies=["street"], reason="More."
        )


def test_rejected_co_handling_adds_nobody(file_issue, a_staff, dispatcher):
    issue = file_issue()
    request = requests.assignment_request_cohandlers(
        assignment_id=lead_of(issue).pk, actor=a_staff, agencies=["water"], reason="Pipe."
    )

    with one_handoff(Handoff.Kind.COHANDLING_REJECTED):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note="Not needed.")

    assert not issue.assignments.filter(role=Assignment.Role.CO_HANDLER).exists()


def test_co_handler_resolving_its_share_leaves_the_issue_with_the_lead(
    file_issue, a_staff, b_staff, dispatcher
):
    issue = file_issue()
    lead = lead_of(issue)
    accept(lead, a_staff)
    request = requests.assignment_request_cohandlers(
        assignment_id=lead.pk, actor=a_staff, agencies=["water"], reason="Pipe."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)
    co_handler = issue.assignments.get(role=Assignment.Role.CO_HANDLER)
    accept(co_handler, b_staff)
    resolve(co_handler, b_staff, "Pipe repaired.")

    issue.refresh_from_db()
    assert issue.status == Issue.Status.IN_PROGRESS
    resolve(lead, a_staff)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED


# ------------------------------------------------------------------------ whistle (吹哨报到)


def test_street_office_whistle_summons_departments_with_the_short_deadline(
    file_issue, street_staff, dept_a, dept_b, street, clock
):
    issue = file_issue("lanes")
    lead = lead_of(issue)
    now = WEDNESDAY_10

    with one_handoff(Handoff.Kind.WHISTLE):
        summoned = assignments.assignment_whistle(
            assignment_id=lead.pk,
            actor=street_staff,
            agencies=["housing", "water"],
            reason="Collapsed lane wall, come to No. 5.",
        )

    assert {a.agency for a in summoned} == {dept_a, dept_b}
    for assignment in summoned:
        assignment.refresh_from_db()
        assert assignment.role == Assignment.Role.CO_HANDLER
        assert assignment.summoned is True
        assert assignment.status == Assignment.Status.PENDING
        assert assignment.response_due_at == now + settings.WHISTLE_RESPONSE
    whistle = issue.handoffs.get(kind=Handoff.Kind.WHISTLE)
    assert whistle.from_agency == street
    assert whistle.actor == street_staff
    assert whistle.details["summoned"] == ["housing", "water"]
    respond_by = datetime.fromisoformat(whistle.details["respond_by"])
    assert respond_by == now + settings.WHISTLE_RESPONSE


def test_summoned_departments_response_time_is_recorded(
    file_issue, street_staff, a_staff, b_staff, dept_a, dept_b, clock
):
    issue = file_issue("lanes")
    assignments.assignment_whistle(
        assignment_id=lead_of(issue).pk,
        actor=street_staff,
        agencies=["housing", "water"],
        reason="Come now.",
    )
    housing = issue.assignments.get(agency=dept_a)
    water = issue.assignments.get(agency=dept_b)

    clock.shift(timedelta(minutes=20))
    accept(housing, a_staff)
    clock.shift(timedelta(minutes=15))  # 35 minutes after the whistle
    accept(water, b_staff)

    housing.refresh_from_db()
    water.refresh_from_db()
    assert housing.accepted_at == WEDNESDAY_10 + timedelta(minutes=20)
    assert water.accepted_at == WEDNESDAY_10 + timedelta(minutes=35)
    in_time = {
        h.to_agency: h.details["in_time"] for h in issue.handoffs.filter(kind=Handoff.Kind.ACCEPTED)
    }
    assert in_time == {dept_a: True, dept_b: False}


def test_only_a_street_office_may_whistle(file_issue, a_staff):
    lead = lead_of(file_issue("potholes"))

    with refused("Only a street office"):
        assignments.assignment_whistle(
            assignment_id=lead.pk, actor=a_staff, agencies=["water"], reason="Come."
        )


def test_whistle_naming_only_agencies_already_on_the_case_is_refused(file_issue, street_staff):
    lead = lead_of(file_issue("lanes"))

    with refused("Name at least one department not already on the case"):
        assignments.assignment_whistle(
            assignment_id=lead.pk, actor=street_staff, agencies=["street"], reason="Come."
        )


def test_whistle_from_a_finished_assignment_is_refused(file_issue, street_staff):
    lead = lead_of(file_issue("lanes"))
    accept(lead, street_staff)
    resolve(lead, street_staff)

    with refused("no longer active"):
        assignments.assignment_whistle(
            assignment_id=lead.pk, actor=street_staff, agencies=["water"], reason="Come."
        )


# ----------------------------------------------------------------------- extension (延期)


def test_approved_extension_moves_the_deadline_and_says_why(
    file_issue, a_staff, dept_a, centre, dispatcher
):
    issue = file_issue()
    lead = accept(lead_of(issue), a_staff)
    due = lead.due_at
    until = due + timedelta(days=3)

    with one_handoff(Handoff.Kind.EXTENSION_REQUESTED):
        request = requests.assignment_request_extension(
            assignment_id=lead.pk, actor=a_staff, until=until, reason="Asphalt plant closed."
        )
    assert datetime.fromisoformat(request.payload["until"]) == until
    assert datetime.fromisoformat(request.payload["due_at"]) == due
    lead.refresh_from_db()
    assert lead.due_at == due  # nothing moves before the dispatcher decides

    with one_handoff(Handoff.Kind.EXTENSION_GRANTED):
        requests.request_approve(request_id=request.pk, actor=dispatcher)

    lead.refresh_from_db()
    assert lead.due_at == until
    assert lead.extended is True
    granted = issue.handoffs.get(kind=Handoff.Kind.EXTENSION_GRANTED)
    assert granted.note == "Asphalt plant closed."
    assert datetime.fromisoformat(granted.details["from"]) == due
    assert datetime.fromisoformat(granted.details["until"]) == until
    assert (granted.from_agency, granted.actor) == (dept_a, dispatcher)


def test_extension_asked_after_the_deadline_is_refused(file_issue, a_staff, clock):
    lead = accept(lead_of(file_issue()), a_staff)
    clock.move_to(lead.due_at + timedelta(minutes=1))

    with refused("before the deadline"):
        requests.assignment_request_extension(
            assignment_id=lead.pk,
            actor=a_staff,
            until=lead.due_at + timedelta(days=2),
            reason="Late.",
        )


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(hours=-1)])
def test_extension_to_no_later_moment_is_refused(file_issue, a_staff, offset):
    lead = accept(lead_of(file_issue()), a_staff)

    with refused("must be later than the current one"):
        requests.assignment_request_extension(
            assignment_id=lead.pk, actor=a_staff, until=lead.due_at + offset, reason="More time."
        )


def test_a_second_open_extension_request_is_refused(file_issue, a_staff):
    lead = accept(lead_of(file_issue()), a_staff)
    requests.assignment_request_extension(
        assignment_id=lead.pk, actor=a_staff, until=lead.due_at + timedelta(days=1), reason="A."
    )

    with refused("already waiting for the dispatcher"):
        requests.assignment_request_extension(
            assignment_id=lead.pk, actor=a_staff, until=lead.due_at + timedelta(days=2), reason="B"
        )


def test_denied_extension_keeps_the_deadline(file_issue, a_staff, dispatcher):
    lead = accept(lead_of(file_issue()), a_staff)
    due = lead.due_at
    request = requests.assignment_request_extension(
        assignment_id=lead.pk, actor=a_staff, until=due + timedelta(days=1), reason="More."
    )

    with one_handoff(Handoff.Kind.EXTENSION_DENIED):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note="Do it now.")

    lead.refresh_from_db()
    assert (lead.due_at, lead.extended) == (due, False)


def test_extension_of_a_finished_assignment_is_refused(file_issue, a_staff):
    lead = accept(lead_of(file_issue()), a_staff)
    due = lead.due_at
    resolve(lead, a_staff)

    with refused("no longer active"):
        requests.assignment_request_extension(
            assignment_id=lead.pk, actor=a_staff, until=due + timedelta(days=1), reason="More."
        )


# ------------------------------------------------------------------- replies and notes


def test_public_reply_reaches_the_residents_timeline_and_mailbox(
    file_issue, a_staff, dept_a, django_capture_on_commit_callbacks
):
    issue = file_issue()
    lead = lead_of(issue)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), one_handoff(Handoff.Kind.REPLIED):
        assignments.assignment_reply(
            assignment_id=lead.pk, actor=a_staff, message="We come on Friday.", public=True
        )

    update = issue.updates.order_by("at", "id").last()
    assert (update.kind, update.note, update.agency) == (
        Update.Kind.REPLIED,
        "We come on Friday.",
        dept_a,
    )
    assert [m.to for m in mail.outbox] == [[RESIDENT]]
    assert issue.tracking_number in mail.outbox[0].subject
    assert issue.access_token in mail.outbox[0].body
    assert issue.handoffs.get(kind=Handoff.Kind.REPLIED).details == {"public": True}


def test_the_residents_email_is_sent_only_after_commit(file_issue, a_staff):
    issue = file_issue()
    mail.outbox.clear()

    assignments.assignment_reply(
        assignment_id=lead_of(issue).pk, actor=a_staff, message="Soon.", public=True
    )

    assert mail.outbox == []  # the test transaction never commits


def test_internal_note_stays_with_the_handlers(
    file_issue, a_staff, django_capture_on_commit_callbacks
):
    issue = file_issue()
    updates_before = update_kinds(issue)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), one_handoff(Handoff.Kind.REPLIED):
        assignments.assignment_reply(
            assignment_id=lead_of(issue).pk,
            actor=a_staff,
            message="Resident is difficult.",
            public=False,
        )

    assert update_kinds(issue) == updates_before
    assert mail.outbox == []
    note = issue.handoffs.get(kind=Handoff.Kind.REPLIED)
    assert (note.note, note.details) == ("Resident is difficult.", {"public": False})


def test_reply_from_a_returned_assignment_is_refused(file_issue, a_staff, dispatcher):
    lead = lead_of(file_issue())
    request = requests.assignment_request_bounce(
        assignment_id=lead.pk, actor=a_staff, reason="Not ours."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher, reassign_to="water")

    with refused("no longer active"):
        assignments.assignment_reply(
            assignment_id=lead.pk, actor=a_staff, message="Hello.", public=True
        )


def test_empty_reply_is_refused(file_issue, a_staff):
    lead = lead_of(file_issue())

    with refused("Write the message"):
        assignments.assignment_reply(
            assignment_id=lead.pk, actor=a_staff, message="  ", public=True
        )


# ------------------------------------------------------------------- follow-up (回访)


@pytest.mark.parametrize("rating", [1, 2])
def test_a_low_rating_sends_the_issue_back_to_the_same_lead_as_redo(resolved_issue, dept_a, rating):
    done = resolved_issue.assignments.get(role=Assignment.Role.LEAD)

    with one_handoff(Handoff.Kind.FEEDBACK):
        feedback = services.issue_feedback(
            issue_id=resolved_issue.pk, rating=rating, comment="Still a hole."
        )

    resolved_issue.refresh_from_db()
    assert (feedback.rating, feedback.round, feedback.comment) == (rating, 0, "Still a hole.")
    assert resolved_issue.status == Issue.Status.DISPATCHED
    assert resolved_issue.redo_count == 1
    assert resolved_issue.resolved_at is None
    redo = lead_of(resolved_issue)
    assert redo.pk != done.pk
    assert (redo.agency, redo.redo, redo.status) == (dept_a, True, Assignment.Status.PENDING)
    handoff = resolved_issue.handoffs.get(kind=Handoff.Kind.FEEDBACK)
    assert (handoff.assignment, handoff.to_agency) == (redo, dept_a)
    assert handoff.details["outcome"] == "redo"
    assert handoff.details["rating"] == rating
    assert update_kinds(resolved_issue)[-2:] == [Update.Kind.FEEDBACK, Update.Kind.REOPENED]


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_fair_or_good_rating_closes_the_issue(resolved_issue, rating):
    with one_handoff(Handoff.Kind.FEEDBACK):
        services.issue_feedback(issue_id=resolved_issue.pk, rating=rating)

    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.CLOSED
    assert resolved_issue.closed_at == WEDNESDAY_10
    assert resolved_issue.redo_count == 0
    assert not resolved_issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).exists()
    handoff = resolved_issue.handoffs.get(kind=Handoff.Kind.FEEDBACK)
    assert handoff.details["outcome"] == "closed"
    assert update_kinds(resolved_issue)[-2:] == [Update.Kind.FEEDBACK, Update.Kind.CLOSED]


def test_rating_an_issue_not_yet_resolved_is_refused(file_issue, a_staff):
    issue = file_issue()
    accept(lead_of(issue), a_staff)

    with refused("once it is resolved"):
        services.issue_feedback(issue_id=issue.pk, rating=5)


@pytest.mark.parametrize("first", [2, 5])
def test_rating_the_same_resolution_twice_is_refused(resolved_issue, first):
    services.issue_feedback(issue_id=resolved_issue.pk, rating=first)

    with refused("resolved"):
        services.issue_feedback(issue_id=resolved_issue.pk, rating=4)
    assert resolved_issue.feedback.count() == 1


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_one_to_five_is_an_error_naming_the_rating(resolved_issue, rating):
    before = _snapshot()

    with pytest.raises(ValidationError) as error:
        services.issue_feedback(issue_id=resolved_issue.pk, rating=rating)

    assert "1" in error.value.message_dict["rating"][0]
    assert _snapshot() == before


def test_a_resolution_after_a_redo_may_be_rated_again(resolved_issue, a_staff):
    services.issue_feedback(issue_id=resolved_issue.pk, rating=1)
    redo = lead_of(resolved_issue)
    accept(redo, a_staff)
    resolve(redo, a_staff, "Resurfaced properly.")

    second = services.issue_feedback(issue_id=resolved_issue.pk, rating=4)

    assert second.round == 1
    assert list(resolved_issue.feedback.values_list("rating", flat=True)) == [1, 4]


def test_reopen_within_the_window_sends_it_back_to_the_lead(resolved_issue, dept_a, clock):
    clock.shift(settings.REOPEN_WINDOW - timedelta(minutes=1))

    with one_handoff(Handoff.Kind.REOPENED):
        services.issue_reopen(issue_id=resolved_issue.pk, reason="It sank again.")

    resolved_issue.refresh_from_db()
    redo = resolved_issue.assignments.get(status=Assignment.Status.PENDING)
    assert resolved_issue.status == Issue.Status.DISPATCHED
    assert resolved_issue.redo_count == 1
    assert (redo.agency, redo.redo, redo.role) == (dept_a, True, Assignment.Role.LEAD)
    reopened = resolved_issue.handoffs.get(kind=Handoff.Kind.REOPENED)
    assert (reopened.to_agency, reopened.note) == (dept_a, "It sank again.")
    last = resolved_issue.updates.order_by("at", "id").last()
    assert (last.kind, last.note) == (Update.Kind.REOPENED, "It sank again.")


def test_reopen_of_an_issue_closed_by_rating_within_the_window_is_allowed(resolved_issue, clock):
    services.issue_feedback(issue_id=resolved_issue.pk, rating=4)
    clock.shift(timedelta(days=1))

    services.issue_reopen(issue_id=resolved_issue.pk, reason="Sank again.")

    resolved_issue.refresh_from_db()
    assert resolved_issue.status == Issue.Status.DISPATCHED
    assert resolved_issue.closed_at is None


def test_reopen_after_the_window_is_refused(resolved_issue, clock):
    clock.shift(settings.REOPEN_WINDOW + timedelta(minutes=1))

    with refused("time to reopen this issue has passed"):
        services.issue_reopen(issue_id=resolved_issue.pk, reason="It sank again.")


def test_reopen_of_an_open_issue_is_refused(file_issue):
    issue = file_issue()

    with refused("Only a resolved issue"):
        services.issue_reopen(issue_id=issue.pk, reason="Hm.")


def test_reopen_without_a_reason_is_refused(resolved_issue):
    with refused("Say what is still wrong"):
        services.issue_reopen(issue_id=resolved_issue.pk, reason="")


def test_unrated_issues_close_by_themselves_after_the_follow_up_period(file_issue, a_staff, clock):
    def resolved_now() -> Issue:
        issue = file_issue()
        lead = accept(lead_of(issue), a_staff)
        resolve(lead, a_staff)
        return issue

    stale = resolved_now()
    clock.shift(timedelta(days=2))
    recent = resolved_now()
    still_open = file_issue()
    rated = resolved_now()
    services.issue_feedback(issue_id=rated.pk, rating=5)
    clock.shift(settings.FEEDBACK_CLOSE_AFTER - timedelta(days=1))  # stale: 8 days, recent: 6

    with one_handoff(Handoff.Kind.CLOSED):
        closed = followup.issues_close_unrated()

    assert closed == 1
    for issue in (stale, recent, still_open, rated):
        issue.refresh_from_db()
    assert stale.status == Issue.Status.CLOSED
    assert stale.closed_at == WEDNESDAY_10 + timedelta(days=1) + settings.FEEDBACK_CLOSE_AFTER
    assert recent.status == Issue.Status.RESOLVED
    assert still_open.status == Issue.Status.DISPATCHED
    assert update_kinds(stale)[-1] == Update.Kind.CLOSED
    assert stale.handoffs.get(kind=Handoff.Kind.CLOSED).details == {
        "why": "no answer to the follow-up"
    }
    assert followup.issues_close_unrated() == 0


# ---------------------------------------------------------------------- rating appeals


def test_upheld_appeal_leaves_the_rating_out_of_the_rates(
    resolved_issue, a_staff, dept_a, centre, dispatcher
):
    feedback = services.issue_feedback(issue_id=resolved_issue.pk, rating=3)
    lead = resolved_issue.assignments.get(role=Assignment.Role.LEAD)

    with one_handoff(Handoff.Kind.APPEAL_REQUESTED):
        request = requests.feedback_appeal(
            assignment_id=lead.pk, actor=a_staff, reason="Rated the weather, not us."
        )
    assert request.payload == {"feedback": feedback.pk, "rating": 3}
    asked = resolved_issue.handoffs.get(kind=Handoff.Kind.APPEAL_REQUESTED)
    assert (asked.from_agency, asked.to_agency) == (dept_a, centre)

    with one_handoff(Handoff.Kind.APPEAL_UPHELD):
        requests.request_approve(request_id=request.pk, actor=dispatcher)

    feedback.refresh_from_db()
    assert feedback.excluded is True
    assert feedback.rating == 3  # kept on record


def test_rejected_appeal_keeps_the_rating_counted(resolved_issue, a_staff, dispatcher):
    feedback = services.issue_feedback(issue_id=resolved_issue.pk, rating=3)
    lead = resolved_issue.assignments.get(role=Assignment.Role.LEAD)
    request = requests.feedback_appeal(assignment_id=lead.pk, actor=a_staff, reason="Unfair.")

    with one_handoff(Handoff.Kind.APPEAL_REJECTED):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note="Fair enough.")

    feedback.refresh_from_db()
    assert feedback.excluded is False


def test_appeal_without_a_rating_is_refused(resolved_issue, a_staff):
    lead = resolved_issue.assignments.get(role=Assignment.Role.LEAD)

    with refused("no rating to appeal"):
        requests.feedback_appeal(assignment_id=lead.pk, actor=a_staff, reason="Unfair.")


def test_only_the_lead_may_appeal(file_issue, a_staff, b_staff, dispatcher):
    issue = file_issue()
    lead = accept(lead_of(issue), a_staff)
    request = requests.assignment_request_cohandlers(
        assignment_id=lead.pk, actor=a_staff, agencies=["water"], reason="Pipe."
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)
    resolve(lead, a_staff)
    services.issue_feedback(issue_id=issue.pk, rating=3)
    co_handler = issue.assignments.get(role=Assignment.Role.CO_HANDLER)

    with refused("Only the lead can appeal"):
        requests.feedback_appeal(assignment_id=co_handler.pk, actor=b_staff, reason="Unfair.")


# ---------------------------------------------------------------- supervision (督办)


def test_supervision_is_recorded_and_put_before_the_managers(
    file_issue, dept_a, centre, dispatcher, django_capture_on_commit_callbacks
):
    issue = file_issue()
    member(dept_a, username="a-clerk")
    member(dept_a, role=Membership.Role.MANAGER, username="a-boss")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), one_handoff(Handoff.Kind.ESCALATED):
        supervision.issue_escalate(issue_id=issue.pk, actor=dispatcher, note="Fix it this week.")

    handoff = issue.handoffs.get(kind=Handoff.Kind.ESCALATED)
    assert (handoff.from_agency, handoff.actor, handoff.note) == (
        centre,
        dispatcher,
        "Fix it this week.",
    )
    assert [m.to for m in mail.outbox] == [["a-boss@example.org"]]
    assert issue.tracking_number in mail.outbox[0].subject


def test_supervising_a_closed_issue_is_refused(resolved_issue, dispatcher):
    services.issue_feedback(issue_id=resolved_issue.pk, rating=5)

    with refused("Only an open issue"):
        supervision.issue_escalate(issue_id=resolved_issue.pk, actor=dispatcher, note="Hurry.")


# ------------------------------------------------------------------------ merging (并单)


def test_merged_duplicate_ends_and_its_resident_is_told(
    file_issue, a_staff, centre, dispatcher, django_capture_on_commit_callbacks
):
    survivor = file_issue()
    duplicate = file_issue(contact_email="neighbour@example.org")
    old = lead_of(duplicate)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), one_handoff(Handoff.Kind.MERGED):
        merged = merge.issue_merge(issue_id=duplicate.pk, into_id=survivor.pk, actor=dispatcher)

    merged.refresh_from_db()
    old.refresh_from_db()
    assert merged.status == Issue.Status.MERGED
    assert merged.merged_into == survivor
    assert merged.closed_at == WEDNESDAY_10
    assert old.status == Assignment.Status.CANCELLED
    assert not merged.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).exists()
    handoff = merged.handoffs.get(kind=Handoff.Kind.MERGED)
    assert (handoff.from_agency, handoff.actor) == (centre, dispatcher)
    assert handoff.details == {"into": survivor.pk, "tracking_number": survivor.tracking_number}
    last = merged.updates.order_by("at", "id").last()
    assert (last.kind, last.note) == (Update.Kind.MERGED, survivor.tracking_number)
    assert [m.to for m in mail.outbox] == [["neighbour@example.org"]]
    assert duplicate.tracking_number in mail.outbox[0].subject
    # The survivor goes on untouched.
    survivor.refresh_from_db()
    assert survivor.status == Issue.Status.DISPATCHED
    assert lead_of(survivor).status == Assignment.Status.PENDING
    assert fresh(a_staff).has_perm("issues.view_issue", survivor)


def test_merging_an_issue_into_itself_is_refused(file_issue, dispatcher):
    issue = file_issue()

    with refused("into itself"):
        merge.issue_merge(issue_id=issue.pk, into_id=issue.pk, actor=dispatcher)


def test_merging_into_a_merged_issue_is_refused(file_issue, dispatcher):
    survivor, merged, third = file_issue(), file_issue(), file_issue()
    merge.issue_merge(issue_id=merged.pk, into_id=survivor.pk, actor=dispatcher)

    with refused("still being handled"):
        merge.issue_merge(issue_id=third.pk, into_id=merged.pk, actor=dispatcher)


def test_merging_a_merged_issue_again_is_refused(file_issue, dispatcher):
    survivor, merged, other = file_issue(), file_issue(), file_issue()
    merge.issue_merge(issue_id=merged.pk, into_id=survivor.pk, actor=dispatcher)

    with refused("ended already"):
        merge.issue_merge(issue_id=merged.pk, into_id=other.pk, actor=dispatcher)


# ------------------------------------------------------------------------ the scenario


def test_an_issue_walks_through_bounce_co_handling_extension_redo_reopen_and_closure(
    world,
    centre,
    dispatcher,
    dept_a,
    dept_b,
    street,
    a_staff,
    b_staff,
    clock,
    django_capture_on_commit_callbacks,
):
    steps: list[str] = []

    def step(kind: str, action):
        """Run one act; it must write exactly one Handoff, of ``kind``."""
        clock.shift(timedelta(minutes=10))
        with one_handoff(kind):
            result = action()
        steps.append(kind)
        return result

    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(
            title="Deep pothole outside No. 5",
            description="A cyclist fell into it last night.",
            category=world["potholes"],
            contact_email=RESIDENT,
        )
    assert kinds(issue) == ["submitted", "routed"]
    a_lead = lead_of(issue)
    assert a_lead.agency == dept_a

    bounce = step(
        "bounce_requested",
        lambda: requests.assignment_request_bounce(
            assignment_id=a_lead.pk, actor=a_staff, reason="Under the road: a water main."
        ),
    )
    step(
        "bounce_approved",
        lambda: requests.request_approve(
            request_id=bounce.pk, actor=dispatcher, reassign_to="water"
        ),
    )
    b_lead = lead_of(issue)
    assert b_lead.agency == dept_b
    step("accepted", lambda: accept(b_lead, b_staff))
    cohandle = step(
        "cohandling_requested",
        lambda: requests.assignment_request_cohandlers(
            assignment_id=b_lead.pk, actor=b_staff, agencies=["street"], reason="Traffic."
        ),
    )
    step(
        "cohandler_added",
        lambda: requests.request_approve(request_id=cohandle.pk, actor=dispatcher),
    )
    b_lead.refresh_from_db()
    until = b_lead.due_at + timedelta(days=2)
    extension = step(
        "extension_requested",
        lambda: requests.assignment_request_extension(
            assignment_id=b_lead.pk, actor=b_staff, until=until, reason="Pipe parts on order."
        ),
    )
    step(
        "extension_granted",
        lambda: requests.request_approve(request_id=extension.pk, actor=dispatcher),
    )
    b_lead.refresh_from_db()
    assert (b_lead.due_at, b_lead.extended) == (until, True)
    step(
        "replied",
        lambda: assignments.assignment_reply(
            assignment_id=b_lead.pk, actor=b_staff, message="Repair on Friday.", public=True
        ),
    )
    step("resolved", lambda: resolve(b_lead, b_staff, "Main repaired, road patched."))
    step("feedback", lambda: services.issue_feedback(issue_id=issue.pk, rating=2))
    redo = lead_of(issue)
    assert (redo.agency, redo.redo) == (dept_b, True)
    step("accepted", lambda: accept(redo, b_staff))
    step("resolved", lambda: resolve(redo, b_staff, "Patch redone."))
    step("reopened", lambda: services.issue_reopen(issue_id=issue.pk, reason="Sank again."))
    again = lead_of(issue)
    assert (again.agency, again.redo) == (dept_b, True)
    step("accepted", lambda: accept(again, b_staff))
    step("resolved", lambda: resolve(again, b_staff, "Resurfaced."))
    step("feedback", lambda: services.issue_feedback(issue_id=issue.pk, rating=5))

    def code(agency):
        return agency.code if agency else None

    def name(user):
        return user.username if user else None

    record = [
        (h.kind, code(h.from_agency), code(h.to_agency), name(h.actor))
        for h in issue.handoffs.order_by("at", "id").select_related(
            "from_agency", "to_agency", "actor"
        )
    ]
    assert record == [
        ("submitted", None, None, None),
        ("routed", "dispatch", "housing", None),
        ("bounce_requested", "housing", "dispatch", "a-staff"),
        ("bounce_approved", "housing", "water", "dispatcher"),
        ("accepted", None, "water", "b-staff"),
        ("cohandling_requested", "water", "dispatch", "b-staff"),
        ("cohandler_added", "water", None, "dispatcher"),
        ("extension_requested", "water", "dispatch", "b-staff"),
        ("extension_granted", "water", None, "dispatcher"),
        ("replied", "water", None, "b-staff"),
        ("resolved", "water", None, "b-staff"),
        ("feedback", None, "water", None),
        ("accepted", None, "water", "b-staff"),
        ("resolved", "water", None, "b-staff"),
        ("reopened", None, "water", None),
        ("accepted", None, "water", "b-staff"),
        ("resolved", "water", None, "b-staff"),
        ("feedback", None, None, None),
    ]
    assert kinds(issue) == ["submitted", "routed", *steps]
    outcomes = [h.details["outcome"] for h in issue.handoffs.filter(kind=Handoff.Kind.FEEDBACK)]
    assert outcomes == ["redo", "closed"]
    assert issue.handoffs.get(kind=Handoff.Kind.COHANDLER_ADDED).details["added"] == ["street"]

    assert update_kinds(issue) == [
        "submitted",
        "dispatched",
        "dispatched",
        "accepted",
        "replied",
        "resolved",
        "feedback",
        "reopened",
        "accepted",
        "resolved",
        "reopened",
        "accepted",
        "resolved",
        "feedback",
        "closed",
    ]
    dispatched_to = [
        u.agency.code for u in issue.updates.filter(kind=Update.Kind.DISPATCHED).order_by("id")
    ]
    assert dispatched_to == ["housing", "water"]

    issue.refresh_from_db()
    assert issue.status == Issue.Status.CLOSED
    assert issue.redo_count == 2
    assert issue.resolution == "Resurfaced."
    assert issue.closed_at is not None
    leads = list(
        issue.assignments.filter(role=Assignment.Role.LEAD)
        .order_by("created_at", "id")
        .values_list("agency__code", "status", "redo")
    )
    assert leads == [
        ("housing", Assignment.Status.RETURNED, False),
        ("water", Assignment.Status.DONE, False),
        ("water", Assignment.Status.DONE, True),
        ("water", Assignment.Status.DONE, True),
    ]
    assert list(
        issue.assignments.filter(role=Assignment.Role.CO_HANDLER).values_list(
            "agency__code", flat=True
        )
    ) == ["street"]
    assert list(issue.feedback.order_by("at", "id").values_list("rating", "round")) == [
        (2, 0),
        (5, 2),
    ]
    assert list(
        CoordinationRequest.objects.filter(issue=issue).order_by("id").values_list("kind", "status")
    ) == [
        ("bounce", "approved"),
        ("cohandle", "approved"),
        ("extension", "approved"),
    ]
    assert not fresh(a_staff).has_perm("issues.view_issue", issue)
    assert fresh(b_staff).has_perm("issues.view_issue", issue)


def test_closing_an_issue_ends_its_co_handlers_work(file_issue, a_staff, dispatcher, clock):
    issue = file_issue()
    lead = accept(lead_of(issue), a_staff)
    request = requests.assignment_request_cohandlers(
        assignment_id=lead.pk, actor=a_staff, agencies=["water"], reason="pipes"
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)
    resolve(lead, a_staff)
    services.issue_feedback(issue_id=issue.pk, rating=5)
    clock.shift(timedelta(days=30))

    assert not issue.assignments.filter(status__in=Assignment.ACTIVE_STATUSES).exists()
    assert deadlines_sweep() == {"warning": 0, "reminder": 0, "managers": 0, "dispatcher": 0}


def test_a_co_handler_bounce_with_a_new_agency_hands_the_co_handling_over(
    file_issue, a_staff, b_staff, dispatcher, street
):
    issue = file_issue()
    request = requests.assignment_request_cohandlers(
        assignment_id=lead_of(issue).pk, actor=a_staff, agencies=["water"], reason="pipes"
    )
    requests.request_approve(request_id=request.pk, actor=dispatcher)
    co_handler = issue.assignments.get(role="co_handler")
    bounce = requests.assignment_request_bounce(
        assignment_id=co_handler.pk, actor=b_staff, reason="not ours"
    )

    requests.request_approve(request_id=bounce.pk, actor=dispatcher, reassign_to="street")

    handoff = issue.handoffs.get(kind="bounce_approved")
    assert handoff.to_agency.code == "street"
    replacement = issue.assignments.get(agency__code="street")
    assert (replacement.role, replacement.status) == ("co_handler", "pending")
    co_handler.refresh_from_db()
    assert co_handler.status == Assignment.Status.RETURNED
