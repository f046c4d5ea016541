"""Holes an outside review found in the case work, each closed in the one place that decides
it: the whistle's eligible organisations (the service, with the page's choices from the same
selector) and the reply's "public" box (a ``public=0`` published the note)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import Agency
from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.selectors import whistle_agencies
from coordination.dispatch.services import assignments
from issues.models import Issue, Update
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, AssignmentFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    return AgencyFactory(code="qinghe", kind=Agency.Kind.STREET_OFFICE)


@pytest.fixture
def street_staff(street):
    return member(street, username="qinghe_staff")


@pytest.fixture
def lead(street):
    """The street office's active lead assignment."""
    return AssignmentFactory(agency=street)


@pytest.fixture
def others():
    return {
        kind: AgencyFactory(code=kind.replace("_", "-"), kind=kind)
        for kind in (
            Agency.Kind.GOVERNMENT_DEPARTMENT,
            Agency.Kind.ENTERPRISE_PARTNER,
            Agency.Kind.PARTY_ORGANISATION,
            Agency.Kind.MASS_ORGANISATION,
            Agency.Kind.COMMUNITY,
            Agency.Kind.STREET_OFFICE,
        )
    }


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# ------------------------------------------------------------------------------ the whistle


@pytest.mark.parametrize(
    "kind",
    [
        Agency.Kind.ENTERPRISE_PARTNER,
        Agency.Kind.PARTY_ORGANISATION,
        Agency.Kind.MASS_ORGANISATION,
        Agency.Kind.COMMUNITY,
        Agency.Kind.STREET_OFFICE,
    ],
)
def test_the_api_whistle_refuses_what_is_not_a_department(lead, street_staff, others, kind):
    target = others[kind]

    response = api(street_staff).post(
        f"/api/v1/assignments/{lead.pk}/whistle/",
        {"agencies": [target.code], "reason": "Come and look."},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_department"
    assert not Assignment.objects.filter(agency=target).exists()
    assert not Handoff.objects.filter(kind=Handoff.Kind.WHISTLE).exists()
    # And nothing of the issue is in the organisation's reach.
    assert api(member(target)).get(f"/api/v1/issues/{lead.issue_id}/").status_code == 404


def test_the_api_whistle_summons_a_department(lead, street_staff, others):
    department = others[Agency.Kind.GOVERNMENT_DEPARTMENT]

    response = api(street_staff).post(
        f"/api/v1/assignments/{lead.pk}/whistle/",
        {"agencies": [department.code], "reason": "Flooded market street."},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Assignment.objects.get(agency=department).summoned


def test_one_selector_decides_for_the_service_and_the_page(lead, street_staff, others):
    assert list(whistle_agencies()) == [others[Agency.Kind.GOVERNMENT_DEPARTMENT]]
    with pytest.raises(WorkflowError):
        assignments.assignment_whistle(
            assignment_id=lead.pk,
            actor=street_staff,
            agencies=[others[Agency.Kind.ENTERPRISE_PARTNER].code],
            reason="Come.",
        )
    client = APIClient()
    client.force_login(street_staff)
    page = client.get(f"/staff/issues/{lead.issue_id}/").content.decode()
    start = page.index("/whistle/")
    whistle = page[start : page.index("</form>", start)]
    assert f'value="{others[Agency.Kind.GOVERNMENT_DEPARTMENT].code}"' in whistle
    assert f'value="{others[Agency.Kind.ENTERPRISE_PARTNER].code}"' not in whistle


# ------------------------------------------------------------------------------ the reply box


@pytest.mark.parametrize("value", ["0", "false", "False", "off", "no", ""])
def test_a_page_reply_with_public_set_to_a_false_value_stays_internal(
    client, lead, street_staff, value
):
    client.force_login(street_staff)
    url = reverse("coordination:assignment_reply", args=[lead.pk])

    client.post(url, {"message": "Call the vendor.", "public": value})

    assert Handoff.objects.get(kind=Handoff.Kind.REPLIED).details == {"public": False}
    assert not Update.objects.filter(kind=Update.Kind.REPLIED).exists()


@pytest.mark.parametrize("value", ["on", "1", "true"])
def test_a_page_reply_ticked_reaches_the_resident(client, lead, street_staff, value):
    client.force_login(street_staff)
    url = reverse("coordination:assignment_reply", args=[lead.pk])

    client.post(url, {"message": "We come on Monday.", "public": value})

    assert Update.objects.get(kind=Update.Kind.REPLIED).note == "We come on Monday."


def test_a_report_with_consent_set_to_0_gives_no_consent(client, db):
    response = client.post(
        "/report/",
        {
            "title": "Lamp out",
            "description": "Dark.",
            "address": "1 Example Road",
            "contact_phone": "13812345678",
            "share_contact_with_partners": "0",
            "keep_private": "1",
        },
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert issue.share_contact_with_partners is False
    assert issue.keep_private is True


# ------------------------------------------------------------------------------ publication


def test_the_case_page_shows_what_the_public_sees_and_the_dispatcher_sets_it(client, lead):
    lead.issue.description = "我叫王秀英，电话13912345678。路灯不亮。"
    lead.issue.contact_name = "王秀英"
    lead.issue.save()
    staff = member(lead.agency, username="street_staff_2")
    client.force_login(staff)
    page = client.get(f"/staff/issues/{lead.issue_id}/").content.decode()
    card = page[page.index('data-testid="publication"') :]
    assert "路灯不亮" in card and "13912345678。" not in card.split("</blockquote>")[0]
    assert "/publication/" not in card  # only the dispatcher approves

    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    client.force_login(member(centre, username="dispatcher_li"))
    url = reverse("coordination:issue_publication", args=[lead.issue_id])
    assert f'action="{url}"' in client.get(f"/staff/issues/{lead.issue_id}/").content.decode()
    client.post(url, {"public_summary": "清河路一处路灯不亮。"})
    lead.issue.refresh_from_db()
    assert lead.issue.public_summary == "清河路一处路灯不亮。" and not lead.issue.keep_private
    client.post(url, {"public_summary": "清河路一处路灯不亮。", "keep_private": "on"})
    lead.issue.refresh_from_db()
    assert lead.issue.keep_private
