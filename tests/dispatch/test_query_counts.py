"""Queues answer in a constant number of queries, however much work there is."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from agencies.services import agency_group
from coordination.dispatch.models import Assignment
from coordination.dispatch.permissions import issues_visible_to
from coordination.dispatch.views.dispatcher import DISPATCH_LIST_LIMIT
from coordination.dispatch.views.staff import STAFF_QUEUE_PAGE_SIZE
from issues.models import Issue, IssueGroupObjectPermission
from tests.factories import AgencyFactory, CategoryFactory, member

pytestmark = pytest.mark.django_db


def fill(agency, count: int) -> None:
    """``count`` issues assigned to ``agency``, with guardian's permission row for each as the
    services write it, and as many rows again for an organisation the user is not in."""
    category = CategoryFactory()
    now = timezone.now()
    issues = Issue.objects.bulk_create(
        Issue(title=f"Issue {n}", description="d", category=category, status="dispatched")
        for n in range(count)
    )
    view = Permission.objects.get(codename="view_issue", content_type__app_label="issues")
    other = AgencyFactory()
    IssueGroupObjectPermission.objects.bulk_create(
        IssueGroupObjectPermission(
            group=agency_group(agency=holder), permission=view, content_object=issue
        )
        for issue in issues
        for holder in (agency, other)
    )
    Assignment.objects.bulk_create(
        Assignment(
            issue=issue,
            agency=agency,
            role="lead",
            response_due_at=now,
            due_at=now,
            created_at=now,
        )
        for issue in issues
    )


# The staff queue: the session, the user, the memberships, the count, the page, its
# supervisions, the overdue count, the navigation's roles (three), the hot topics.
STAFF_QUEUE_QUERIES = 11


@pytest.mark.parametrize("count", [10, 1000])
def test_the_staff_queue_page_takes_the_same_few_queries(
    client, count, django_assert_max_num_queries
):
    agency = AgencyFactory()
    fill(agency, count)
    for _n in range(count // 20):  # and more organisations in the city
        AgencyFactory()
    client.force_login(member(agency))

    with django_assert_max_num_queries(STAFF_QUEUE_QUERIES):
        response = client.get("/staff/")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="queue-row"') == min(count, STAFF_QUEUE_PAGE_SIZE)
    assert response.context["page"].paginator.count == count
    if count > STAFF_QUEUE_PAGE_SIZE:
        with django_assert_max_num_queries(STAFF_QUEUE_QUERIES):
            last = client.get(f"/staff/?page={response.context['page'].paginator.num_pages}")
        assert last.content.decode().count('data-testid="queue-row"') == (
            count % STAFF_QUEUE_PAGE_SIZE or STAFF_QUEUE_PAGE_SIZE
        )


@pytest.mark.parametrize("count", [10, 1000])
def test_the_issue_list_api_takes_the_same_few_queries(
    client, count, django_assert_max_num_queries
):
    agency = AgencyFactory()
    fill(agency, count)
    client.force_login(member(agency))

    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/issues/")

    assert response.status_code == 200
    assert response.json()["count"] == count


@pytest.mark.services
def test_an_agencys_issues_are_one_semi_join_on_its_permission_rows():
    """An OR of two IN (sub-select) makes PostgreSQL test every issue of the table against
    both (a hashed SubPlan: with a million issues the count reads them all); the issues of
    an agency's staff must come from a semi-join on its permission rows."""
    agency = AgencyFactory()
    fill(agency, 10)
    user = member(agency)
    sql, params = issues_visible_to(user).order_by().values("pk").query.sql_with_params()

    with connection.cursor() as cursor:
        # The SQL is the ORM's own, with its parameters bound apart.
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) visible", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "SubPlan" not in plan, plan
    assert issues_visible_to(user).count() == 10


def test_the_staff_queue_pages_soonest_deadline_first_and_counts_all_overdue(client):
    agency = AgencyFactory()
    category = CategoryFactory()
    now = timezone.now()
    total = STAFF_QUEUE_PAGE_SIZE + 5
    issues = Issue.objects.bulk_create(
        Issue(title=f"Issue {n}", description="d", category=category, status="dispatched")
        for n in range(total)
    )
    # Deadlines an hour apart: the first ten already passed.
    Assignment.objects.bulk_create(
        Assignment(
            issue=issue,
            agency=agency,
            role="lead",
            status="accepted",
            response_due_at=now,
            due_at=now + timedelta(hours=n - 10, minutes=30),
            created_at=now,
        )
        for n, issue in enumerate(issues)
    )
    client.force_login(member(agency))

    first = client.get("/staff/")
    second = client.get("/staff/?page=2")

    first_titles = [a.issue.title for a, _late, _supervised in first.context["rows"]]
    assert first_titles[:2] == ["Issue 0", "Issue 1"]
    assert [a.issue.title for a, _late, _supervised in second.context["rows"]] == [
        f"Issue {n}" for n in range(STAFF_QUEUE_PAGE_SIZE, total)
    ]
    assert first.context["overdue_count"] == second.context["overdue_count"] == 10
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' in second.content.decode()


@pytest.mark.parametrize("count", [2, 40])
def test_the_dispatch_page_takes_the_same_few_queries(client, count, django_assert_max_num_queries):
    from agencies.models import Agency
    from coordination.dispatch.services.requests import assignment_request_bounce
    from tests.factories import AssignmentFactory, IssueFactory

    centre = AgencyFactory(kind=Agency.Kind.DISPATCH_CENTRE)
    for _n in range(5):
        AgencyFactory()
    for n in range(count):
        IssueFactory(status="triage", title=f"Unplaced {n}")
        assignment = AssignmentFactory()
        assignment_request_bounce(
            assignment_id=assignment.pk, actor=member(assignment.agency), reason="Not ours."
        )
    client.force_login(member(centre))

    with django_assert_max_num_queries(40):
        response = client.get("/dispatch/")

    body = response.content.decode()
    shown = min(count, DISPATCH_LIST_LIMIT)
    assert response.status_code == 200
    assert body.count("Unplaced ") == shown
    assert body.count('name="reassign_to"') == shown
    assert response.context["triage_total"] == response.context["requests_total"] == count
    assert ('data-testid="triage-more"' in body) == (count > DISPATCH_LIST_LIMIT)


# The case page: what it asks does not grow with the city's organisations (its pickers offer
# them all) nor with the case's history. Three more when the stamps of what it only shows (the
# organisations' lists, the public area, the knowledge answers) are due
# (``DISPLAY_STAMP_SECONDS``); one more when the issue has photos.
CASE_PAGE_QUERIES = 14


def _case(organisations: int, history: int):
    from coordination.dispatch.services.assignments import assignment_reply
    from tests.factories import AssignmentFactory, IssueFactory

    for n in range(organisations):
        AgencyFactory(code=f"org-{organisations}-{n}")
    issue = IssueFactory(status="dispatched", contact_phone="13812345678")
    lead = AssignmentFactory(issue=issue, role=Assignment.Role.LEAD)
    AssignmentFactory(issue=issue, role=Assignment.Role.CO_HANDLER)
    staff = member(lead.agency)
    for n in range(history):
        assignment_reply(assignment_id=lead.pk, actor=staff, message=f"Note {n}", public=n % 2 == 0)
    return issue, staff


def _queries(client, path: str) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_the_case_page_takes_the_same_few_queries_however_big_the_city(
    client, django_assert_max_num_queries, settings
):
    counts = []
    for organisations, history in [(3, 1), (30, 20)]:
        issue, staff = _case(organisations, history)
        client.force_login(staff)
        settings.DISPLAY_STAMP_SECONDS = 0
        client.get(f"/staff/issues/{issue.pk}/")  # the first view writes its audit row
        with django_assert_max_num_queries(CASE_PAGE_QUERIES + 3):
            counts.append(_queries(client, f"/staff/issues/{issue.pk}/"))
        settings.DISPLAY_STAMP_SECONDS = 60  # as in production: the stamps asked just now
        with django_assert_max_num_queries(CASE_PAGE_QUERIES):
            counts.append(_queries(client, f"/staff/issues/{issue.pk}/"))

    assert counts[0] == counts[2] == counts[1] + 3 == counts[3] + 3
