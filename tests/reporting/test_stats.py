"""The rates by which agencies are measured, computed from hand-built records.

Each test writes the history it needs (assignments, ratings, bounce-backs) with fixed times,
and reads the rates at a fixed ``now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agencies.models import Agency
from coordination.dispatch.models import Assignment, CoordinationRequest
from coordination.reporting.selectors import AgencyRates, agency_rates
from issues.models import Feedback, Issue
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=SHANGHAI)
JUNE = datetime(2025, 6, 1, tzinfo=SHANGHAI)
JULY = datetime(2025, 7, 1, tzinfo=SHANGHAI)
H = timedelta(hours=1)
D = timedelta(days=1)


def rates_of(code: str, **window) -> AgencyRates:
    (found,) = [r for r in agency_rates(now=NOW, **window) if r.agency == code]
    return found


def received(agency: Agency, when: datetime = JUNE + D, **fields) -> Assignment:
    """An assignment received at ``when`` (pending, with a response deadline 2 h later)."""
    fields.setdefault("response_due_at", when + 2 * H)
    fields.setdefault("due_at", when + 5 * D)
    return AssignmentFactory(agency=agency, created_at=when, **fields)


def accepted(agency: Agency, when: datetime = JUNE + D, *, after: timedelta = H, **fields):
    return received(
        agency, when, status=Assignment.Status.ACCEPTED, accepted_at=when + after, **fields
    )


def done(agency: Agency, when: datetime = JUNE + D, *, issue: Issue | None = None, **fields):
    extra = {"issue": issue} if issue else {}
    return received(
        agency,
        when,
        status=Assignment.Status.DONE,
        accepted_at=when + H,
        done_at=when + D,
        **extra,
        **fields,
    )


def rate(issue: Issue, rating: int, at: datetime, *, excluded: bool = False, round: int = 0):
    return Feedback.objects.create(
        issue=issue, rating=rating, at=at, excluded=excluded, round=round
    )


@pytest.fixture
def dept():
    return AgencyFactory(code="roads")


# ------------------------------------------------------------------------ response rate


def test_response_rate_is_the_share_signed_for_by_the_deadline(dept):
    accepted(dept, after=H)  # in time
    accepted(dept, after=3 * H)  # late
    accepted(dept, after=2 * H)  # exactly on the deadline: in time
    received(dept)  # pending, deadline long passed: counts against
    received(dept, NOW - H)  # pending, deadline still to come: not yet measured

    assert rates_of("roads").response_rate == 0.5
    assert rates_of("roads").assigned == 5


def test_response_rate_is_none_while_no_deadline_has_come(dept):
    received(dept, NOW - H)

    rates = rates_of("roads")
    assert rates.assigned == 1
    assert rates.response_rate is None


def test_cancelled_assignments_are_not_measured(dept):
    received(dept, status=Assignment.Status.CANCELLED, done_at=JUNE + 2 * D)

    rates = rates_of("roads")
    assert rates.assigned == 1
    assert rates.response_rate is None
    assert rates.redo_rate is None


# ---------------------------------------------------------------------- resolution rate


def test_resolution_rate_leaves_out_resolutions_sent_back_by_a_redo(dept):
    done(dept)  # resolved, stays resolved
    sent_back = done(dept)
    received(dept, sent_back.done_at + D, issue=sent_back.issue, redo=True)  # rated low or reopened
    other_agency_redo = done(dept)
    received(AgencyFactory(), other_agency_redo.done_at + D, issue=other_agency_redo.issue)
    co_share = done(dept, role=Assignment.Role.CO_HANDLER)
    assert co_share.role == Assignment.Role.CO_HANDLER

    assert rates_of("roads").resolution_rate == round(2 / 3, 3)


def test_a_redo_resolved_again_counts_as_resolved(dept):
    first = done(dept)
    received(
        dept,
        first.done_at + D,
        issue=first.issue,
        redo=True,
        status=Assignment.Status.DONE,
        accepted_at=first.done_at + D + H,
        done_at=first.done_at + 2 * D,
    )

    # The first resolution was sent back; the redo's resolution stands.
    assert rates_of("roads").resolution_rate == 0.5


def test_resolution_rate_is_none_without_resolutions(dept):
    accepted(dept)

    assert rates_of("roads").resolution_rate is None


# -------------------------------------------------------------------- satisfaction rate


def test_satisfaction_counts_four_and_five_of_the_ratings_and_leaves_out_appealed_ones(dept):
    for rating in (5, 4, 3, 2):
        lead = done(dept)
        rate(lead.issue, rating, lead.done_at + H)
    appealed = done(dept)
    rate(appealed.issue, 1, appealed.done_at + H, excluded=True)
    done(dept)  # not rated: not measured

    assert rates_of("roads").satisfaction_rate == 0.5


def test_a_rating_belongs_to_the_lead_whose_resolution_it_rated(dept):
    water = AgencyFactory(code="water")
    first = done(dept)
    rate(first.issue, 1, first.done_at + H)
    # The issue was transferred later and resolved again by another agency, rated 5.
    second = done(water, first.done_at + 2 * D, issue=first.issue)
    rate(first.issue, 5, second.done_at + H, round=1)

    assert rates_of("roads").satisfaction_rate == 0.0
    assert rates_of("water").satisfaction_rate == 1.0


def test_satisfaction_is_none_when_nothing_is_rated(dept):
    done(dept)

    assert rates_of("roads").satisfaction_rate is None


# ---------------------------------------------------------------- bounce and redo rates


def test_bounce_rate_counts_approved_bounce_backs_per_assignment(dept):
    approved, rejected, waiting, _ = (received(dept) for _ in range(4))
    for assignment, status in [
        (approved, CoordinationRequest.Status.APPROVED),
        (rejected, CoordinationRequest.Status.REJECTED),
        (waiting, CoordinationRequest.Status.OPEN),
    ]:
        CoordinationRequest.objects.create(
            issue=assignment.issue,
            assignment=assignment,
            kind=CoordinationRequest.Kind.BOUNCE,
            status=status,
            reason="Not ours.",
        )
    transfer = received(dept)
    CoordinationRequest.objects.create(
        issue=transfer.issue,
        assignment=transfer,
        kind=CoordinationRequest.Kind.TRANSFER,
        status=CoordinationRequest.Status.APPROVED,
        reason="Elsewhere.",
    )
    Assignment.objects.filter(pk=approved.pk).update(status=Assignment.Status.RETURNED)

    assert rates_of("roads").bounce_rate == 0.2


def test_redo_rate_is_redo_assignments_per_lead_assignment(dept):
    first = done(dept)
    received(dept, first.done_at + D, issue=first.issue, redo=True)
    done(dept)
    done(dept)
    received(dept, role=Assignment.Role.CO_HANDLER)

    assert rates_of("roads").redo_rate == 0.25


def test_overdue_counts_active_late_work_now(dept):
    received(dept, NOW - 3 * H)  # pending, late to sign for
    accepted(dept, NOW - 10 * D, due_at=NOW - H)  # accepted, late to resolve
    accepted(dept, NOW - 10 * D, due_at=NOW + H)  # accepted, in time
    done(dept, NOW - 10 * D, due_at=NOW - 5 * D)  # done late: no longer overdue
    received(dept, NOW - H)  # pending, in time

    assert rates_of("roads").overdue == 2


def test_every_rate_is_none_for_an_agency_with_nothing_to_measure(dept):
    assert rates_of("roads") == AgencyRates(
        agency="roads",
        name=dept.name,
        kind=dept.kind,
        assigned=0,
        response_rate=None,
        resolution_rate=None,
        satisfaction_rate=None,
        bounce_rate=None,
        redo_rate=None,
        overdue=0,
    )


def test_the_dispatch_centre_and_inactive_agencies_are_not_measured(dept):
    AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)
    AgencyFactory(code="closed", active=False)

    assert [r.agency for r in agency_rates(now=NOW)] == ["roads"]


# ------------------------------------------------------------------------- the period


def test_the_period_is_start_inclusive_and_end_exclusive_by_receipt(dept):
    received(dept, JUNE - H)  # May
    accepted(dept, JUNE, after=H)  # first moment of June: in
    accepted(dept, JULY - H, after=3 * H)  # last hour of June, signed for late: in
    accepted(dept, JULY, after=H)  # July: out

    june = rates_of("roads", start=JUNE, end=JULY)
    assert june.assigned == 2
    assert june.response_rate == 0.5
    assert rates_of("roads", start=JULY).assigned == 1
    assert rates_of("roads", end=JUNE).assigned == 1
    assert rates_of("roads").assigned == 4


def test_a_bounce_counts_in_the_period_the_assignment_was_received(dept):
    may = received(dept, JUNE - D)
    CoordinationRequest.objects.create(
        issue=may.issue,
        assignment=may,
        kind=CoordinationRequest.Kind.BOUNCE,
        status=CoordinationRequest.Status.APPROVED,
        reason="Not ours.",
        requested_at=JUNE + D,
    )
    received(dept, JUNE + D)

    assert rates_of("roads", start=JUNE, end=JULY).bounce_rate == 0.0
    assert rates_of("roads", end=JUNE).bounce_rate == 1.0


def test_rates_take_a_bounded_number_of_queries_whatever_the_number_of_agencies(
    django_assert_max_num_queries,
):
    agencies = [AgencyFactory(code=f"agency-{n:02d}") for n in range(30)]
    for agency in agencies:
        lead = done(agency)
        rate(lead.issue, 4, lead.done_at + H)
        received(agency, lead.done_at + D, issue=lead.issue, redo=True)
        bounced = received(agency)
        CoordinationRequest.objects.create(
            issue=bounced.issue,
            assignment=bounced,
            kind=CoordinationRequest.Kind.BOUNCE,
            status=CoordinationRequest.Status.APPROVED,
            reason="Not ours.",
        )
    IssueFactory()

    with django_assert_max_num_queries(8):
        rates = agency_rates(now=NOW, start=JUNE, end=JULY)

    assert len(rates) == 30
    assert {r.satisfaction_rate for r in rates} == {1.0}
    assert {r.bounce_rate for r in rates} == {round(1 / 3, 3)}
    assert {r.redo_rate for r in rates} == {round(1 / 3, 3)}
    assert {r.resolution_rate for r in rates} == {0.0}
