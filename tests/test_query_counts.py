"""Queues answer in a constant number of queries, however much work there is."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from agencies.services import agency_group
from coordination.models import Assignment
from coordination.selectors import issues_visible_to
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


@pytest.mark.parametrize("count", [10, 1000])
def test_the_staff_queue_page_takes_the_same_few_queries(
    client, count, django_assert_max_num_queries
):
    agency = AgencyFactory()
    fill(agency, count)
    client.force_login(member(agency))

    with django_assert_max_num_queries(12):
        response = client.get("/staff/")

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="queue-row"') == count


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
