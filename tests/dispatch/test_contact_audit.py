"""Every view of a resident's contact details by staff is on the audit record."""

import pytest

from coordination.dispatch.models import Assignment
from issues.models import ContactAccess
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    lead, helper, stranger = AgencyFactory(), AgencyFactory(), AgencyFactory()
    issue = IssueFactory(status="dispatched", contact_phone="13812345678")
    AssignmentFactory(issue=issue, agency=lead, role=Assignment.Role.LEAD)
    AssignmentFactory(issue=issue, agency=helper, role=Assignment.Role.CO_HANDLER)
    return issue, member(lead), member(helper), member(stranger)


def test_the_case_page_records_who_saw_how_much(client, case):
    issue, lead_staff, helper_staff, _ = case

    client.force_login(lead_staff)
    client.get(f"/staff/issues/{issue.pk}/")
    client.force_login(helper_staff)
    client.get(f"/staff/issues/{issue.pk}/")

    rows = list(ContactAccess.objects.order_by("id").values_list("user", "level", "via"))
    assert rows == [(lead_staff.pk, "full", "page"), (helper_staff.pk, "masked", "page")]


def test_views_again_within_the_window_are_the_first_ones_row(client, case):
    issue, lead_staff, helper_staff, _ = case
    client.force_login(lead_staff)
    for _n in range(3):
        client.get(f"/staff/issues/{issue.pk}/")
    client.get(f"/api/v1/issues/{issue.pk}/")  # another way: a row of its own
    client.force_login(helper_staff)
    client.get(f"/staff/issues/{issue.pk}/")

    rows = list(ContactAccess.objects.order_by("id").values_list("user", "level", "via"))
    assert rows == [
        (lead_staff.pk, "full", "page"),
        (lead_staff.pk, "full", "api"),
        (helper_staff.pk, "masked", "page"),
    ]


def test_without_a_window_every_view_is_a_row(client, case, settings):
    settings.CONTACT_ACCESS_WINDOW_SECONDS = 0
    issue, lead_staff, _, _ = case
    client.force_login(lead_staff)

    for _n in range(3):
        client.get(f"/staff/issues/{issue.pk}/")

    assert ContactAccess.objects.filter(user=lead_staff, issue=issue).count() == 3


def test_the_api_records_a_view_and_a_refused_view_records_nothing(client, case):
    issue, lead_staff, _, stranger = case

    client.force_login(stranger)
    assert client.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    client.force_login(lead_staff)
    assert client.get(f"/api/v1/issues/{issue.pk}/").status_code == 200

    access = ContactAccess.objects.get()
    assert (access.user, access.issue, access.level, access.via) == (
        lead_staff,
        issue,
        "full",
        "api",
    )


def test_an_issue_without_contact_details_leaves_no_audit_row(client, case):
    issue, lead_staff, _, _ = case
    issue.contact_name = issue.contact_phone = issue.contact_email = ""
    issue.save()

    client.force_login(lead_staff)
    client.get(f"/staff/issues/{issue.pk}/")

    assert not ContactAccess.objects.exists()


def test_opening_an_issue_in_the_admin_is_on_the_record(client, case):
    issue = case[0]
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)

    assert client.get(f"/admin/issues/issue/{issue.pk}/change/").status_code == 200
    assert client.get("/admin/issues/issue/").status_code == 200  # the list shows no contact

    access = ContactAccess.objects.get()
    assert (access.user, access.issue, access.level, access.via) == (admin, issue, "full", "admin")
