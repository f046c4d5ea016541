"""The queue shows what is due next: a summoned department's sign-for deadline first, the
resolution deadline once accepted, and supervised (督办) cases with the instruction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from coordination.dispatch.models import Assignment, Handoff
from tests.factories import AgencyFactory, AssignmentFactory, member

pytestmark = pytest.mark.django_db


def test_a_summoned_sign_for_deadline_sorts_before_later_resolution_deadlines(client):
    agency = AgencyFactory(code="urban")
    now = timezone.now()
    accepted = AssignmentFactory(
        agency=agency,
        status=Assignment.Status.ACCEPTED,
        accepted_at=now,
        due_at=now + timedelta(hours=2),
    )
    summoned = AssignmentFactory(
        agency=agency,
        role=Assignment.Role.CO_HANDLER,
        summoned=True,
        response_due_at=now + timedelta(minutes=30),
        due_at=now + timedelta(days=3),
    )
    client.force_login(member(agency))

    response = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")

    rows = [a for a, _late, _supervised in response.context["rows"]]
    assert rows == [summoned, accepted]
    body = response.content.decode()
    first, second = body.split('data-testid="due-next"')[1:3]
    assert first.startswith(">Accept by") or "Accept by" in first[:40]
    assert "Resolve by" in second[:40]


def test_a_supervised_case_carries_a_badge_with_the_instruction(client):
    agency = AgencyFactory(code="urban")
    assignment = AssignmentFactory(agency=agency, due_at=timezone.now() + timedelta(hours=5))
    dispatcher = member(AgencyFactory(code="centre", kind="dispatch_centre"))
    Handoff.objects.create(
        issue=assignment.issue,
        kind=Handoff.Kind.ESCALATED,
        actor=dispatcher,
        note="Fix it before the market opens.",
    )
    client.force_login(member(agency))

    queue = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    case = client.get(
        f"/staff/issues/{assignment.issue_id}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert 'data-testid="supervised-badge"' in queue
    assert "Fix it before the market opens." in queue
    assert 'data-testid="supervised-banner"' in case
    assert "Fix it before the market opens." in case
