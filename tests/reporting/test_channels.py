"""Channels: every path records its own, and the figures per channel (counts, answered at
first contact, the three rates) on the dashboard and in the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from agencies.models import Agency, Membership
from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.services.followup import issue_answer_on_the_spot
from coordination.reporting.selectors import channel_rates
from coordination.reporting.services import rollup_rebuild
from issues.models import OPERATORS_GROUP, Feedback, Issue
from issues.services import issue_submit
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, UserFactory, member

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=SHANGHAI)
JUNE = datetime(2025, 6, 1, tzinfo=SHANGHAI)
H = timedelta(hours=1)
D = timedelta(days=1)


def by_channel(**kwargs) -> dict:
    return {r.channel: r for r in channel_rates(now=NOW, **kwargs)}


@pytest.fixture
def centre():
    return AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def dispatcher(centre):
    return member(centre)


@pytest.fixture
def operator():
    user = UserFactory(username="op")
    user.groups.add(Group.objects.get_or_create(name=OPERATORS_GROUP)[0])
    return user


def routed(channel: str, *, accepted_after=None, done=False, rating=None, redo=False):
    issue = IssueFactory(channel=channel, created_at=JUNE, status=Issue.Status.DISPATCHED)
    fields = {"response_due_at": JUNE + 2 * H, "due_at": JUNE + 5 * D}
    if accepted_after is not None:
        fields.update(status=Assignment.Status.ACCEPTED, accepted_at=JUNE + accepted_after)
    if done:
        fields.update(status=Assignment.Status.DONE, accepted_at=JUNE + H, done_at=JUNE + D)
    lead = AssignmentFactory(issue=issue, created_at=JUNE, **fields)
    if redo:
        AssignmentFactory(issue=issue, agency=lead.agency, created_at=JUNE + 2 * D, redo=True)
    if rating:
        Feedback.objects.create(issue=issue, rating=rating, at=JUNE + 2 * D)
    return issue


def answered(operator, text="The office opens at nine.") -> Issue:
    issue = issue_submit(title="When does the office open?", description="?", channel="phone")
    return issue_answer_on_the_spot(issue_id=issue.pk, actor=operator, answer=text)


# ------------------------------------------------------------------ answered on the spot


def test_an_answer_on_the_spot_closes_the_issue_at_once_on_the_record(operator):
    issue = answered(operator, "Bring your ID card.")

    issue.refresh_from_db()
    assert issue.status == Issue.Status.CLOSED
    assert issue.answered_at_first_contact is True
    assert issue.resolution == "Bring your ID card."
    assert issue.closed_at is not None
    assert not issue.assignments.exists()  # never routed (routing ran eagerly and left it)
    closing = issue.handoffs.get(kind=Handoff.Kind.CLOSED)
    assert closing.actor == operator
    assert closing.details["why"] == "answered at first contact"
    assert issue.updates.filter(kind="closed", note="Bring your ID card.").exists()


def test_only_an_issue_just_filed_can_be_answered_on_the_spot(operator):
    issue = IssueFactory(status=Issue.Status.DISPATCHED)
    with pytest.raises(WorkflowError):
        issue_answer_on_the_spot(issue_id=issue.pk, actor=operator, answer="Too late.")
    issue.refresh_from_db()
    assert issue.answered_at_first_contact is False


# ------------------------------------------------------------------------ the figures


def test_channel_rates_count_each_channel_and_answered_on_the_spot_apart(operator):
    routed("web", accepted_after=H)  # signed for in time
    routed("web", accepted_after=3 * H)  # late
    routed("phone", done=True, rating=5)
    routed("phone", done=True, rating=2, redo=True)  # resolution sent back
    answered(operator)
    answered(operator)
    Issue.objects.filter(answered_at_first_contact=True).update(created_at=JUNE)

    rates = by_channel()
    assert rates["web"].filed == 2
    assert rates["web"].response_rate == 0.5
    assert rates["web"].resolution_rate is None
    assert rates["phone"].filed == 4
    assert rates["phone"].answered_at_first_contact == 2
    assert rates["phone"].first_contact_share == 0.5
    assert rates["phone"].resolution_rate == 0.5
    assert rates["phone"].satisfaction_rate == 0.5
    assert rates["letter"].filed == 0 and rates["letter"].response_rate is None


def test_channel_rates_read_only_the_period_and_the_issues_given():
    inside = routed("app", accepted_after=H)
    earlier = routed("app", accepted_after=H)
    Issue.objects.filter(pk=earlier.pk).update(created_at=JUNE - 10 * D)
    assert by_channel(start=JUNE - D, end=JUNE + D)["app"].filed == 1
    assert by_channel(issues=Issue.objects.filter(pk=inside.pk))["app"].filed == 1
    assert by_channel()["app"].filed == 2


def test_channel_rates_take_four_queries_whatever_the_number_of_issues(
    django_assert_max_num_queries,
):
    for channel in ("web", "phone", "api", "letter"):
        routed(channel, done=True, rating=4)
    with django_assert_max_num_queries(4):
        channel_rates(now=NOW)


def test_the_stats_api_answers_per_channel_to_the_dispatcher_only(dispatcher, operator):
    routed("email", done=True, rating=4)
    client = APIClient()
    client.force_authenticate(dispatcher)
    body = client.get("/api/v1/stats/channels/").json()
    email = next(row for row in body if row["channel"] == "email")
    assert email["filed"] == 1 and email["satisfaction_rate"] == 1.0
    assert {row["channel"] for row in body} == set(Issue.Channel.values)

    client.force_authenticate(operator)
    assert client.get("/api/v1/stats/channels/").status_code == 403


def test_a_manager_counts_only_the_issues_they_may_see():
    mine = AgencyFactory(code="mine")
    manager = member(mine, role=Membership.Role.MANAGER)
    AssignmentFactory(agency=mine, issue=IssueFactory(channel="walk_in"))
    AssignmentFactory(issue=IssueFactory(channel="walk_in"))  # another organisation's
    client = APIClient()
    client.force_authenticate(manager)
    body = client.get("/api/v1/stats/channels/").json()
    assert next(r for r in body if r["channel"] == "walk_in")["filed"] == 1


def test_the_dashboard_shows_the_channels_section(client, dispatcher, operator):
    answered(operator)
    rollup_rebuild()  # what the frequent task does: the dashboard reads the summaries
    client.force_login(dispatcher)
    page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="channels"' in page
    assert 'data-channel="phone"' in page
    assert "(100%)" in page  # the one phone call was answered on the spot


# ------------------------------------------------------------- who may name which channel


def filing(user, **body):
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client.post(
        "/api/v1/issues/", {"title": "Lamp", "description": "Dark.", **body}, format="json"
    )


def test_the_api_files_as_api_unless_told_a_channel_the_caller_may_use(operator):
    assert Issue.objects.get(pk=filing(None).json()["id"]).channel == "api"
    assert Issue.objects.get(pk=filing(None, channel="app").json()["id"]).channel == "app"
    refused = filing(None, channel="phone")
    assert refused.status_code == 400 and "channel" in refused.json()
    assert filing(UserFactory(), channel="letter").status_code == 400
    assert filing(operator, channel="open311").status_code == 400
    issue = Issue.objects.get(pk=filing(operator, channel="walk_in").json()["id"])
    assert issue.channel == "walk_in"
    staff = member(AgencyFactory(code="roads"))
    assert filing(staff, channel="letter").status_code == 201
