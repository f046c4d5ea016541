"""Queues answer in a constant number of queries, however much work there is."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from agencies.services import agency_group
from coordination.models import Assignment
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
