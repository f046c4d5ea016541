"""The dispatcher's workbench: every issue filtered and paged by a cursor, dispatching by hand
and on to the next in triage, supervising work due soon, merging by picking; organisations
already on a case are never offered again; the API's issue list counts up to a cap."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.geometry import rectangle
from agencies.models import Area
from coordination.api import pagination
from coordination.dispatch import workbench as wb
from coordination.dispatch.forms import CohandleForm
from coordination.dispatch.models import Assignment, Handoff
from issues.models import Issue
from tests.factories import AgencyFactory, AssignmentFactory, CategoryFactory, IssueFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def signed_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


def test_the_workbench_filters_by_text_status_category_area_organisation_and_channel(
    signed_in,
):
    noise = CategoryFactory(code="noise", name_en="Noise")
    night = CategoryFactory(code="night", name_en="Night works", parent=noise)
    area = Area.objects.create(
        code="hexi", name_zh="河西", level="street", geometry=rectangle(116.3, 39.8, 116.4, 40.0)
    )
    urban = AgencyFactory(code="urban")
    hit = IssueFactory(title="Drilling at midnight", category=night, area=area, channel="phone")
    AssignmentFactory(issue=hit, agency=urban)
    IssueFactory(title="Drilling at noon", status=Issue.Status.TRIAGE)
    IssueFactory(title="Lamp out")

    def shown(**query):
        response = signed_in.get("/dispatch/issues/", query, **EN)
        assert response.status_code == 200
        return [row["issue"].title for row in response.context["rows"]]

    assert shown(q="drilling") == ["Drilling at noon", "Drilling at midnight"]
    assert shown(q=hit.tracking_number) == ["Drilling at midnight"]
    assert shown(status="triage") == ["Drilling at noon"]
    assert shown(category="noise") == ["Drilling at midnight"]  # its children too
    assert shown(area="hexi") == ["Drilling at midnight"]
    assert shown(agency="urban") == ["Drilling at midnight"]
    assert shown(channel="phone") == ["Drilling at midnight"]


def test_the_workbench_pages_by_a_cursor_and_caps_its_count(signed_in, monkeypatch):
    monkeypatch.setattr(wb, "PAGE_SIZE", 2)
    monkeypatch.setattr(wb, "COUNT_CAP", 3)
    now = timezone.now()
    for n in range(5):
        IssueFactory(title=f"Issue {n}", created_at=now - timedelta(minutes=n))

    first = signed_in.get("/dispatch/issues/", **EN)
    second = signed_in.get("/dispatch/issues/", {"after": first.context["page"].next_cursor})

    assert [r["issue"].title for r in first.context["rows"]] == ["Issue 0", "Issue 1"]
    assert [r["issue"].title for r in second.context["rows"]] == ["Issue 2", "Issue 3"]
    assert first.context["page"].count_capped
    assert "More than 3 issues match" in first.content.decode()


def test_overdue_and_due_soon_filters(signed_in, settings):
    now = timezone.now()
    late = AssignmentFactory(due_at=now - timedelta(hours=1))
    soon = AssignmentFactory(due_at=now + settings.DEADLINE_WARNING / 2)
    AssignmentFactory(due_at=now + timedelta(days=3))

    overdue = signed_in.get("/dispatch/issues/", {"overdue": "on"}).context["rows"]
    at_risk = signed_in.get("/dispatch/issues/", {"at_risk": "on"}).context["rows"]

    assert [r["issue"] for r in overdue] == [late.issue]
    assert [r["issue"] for r in at_risk] == [soon.issue]


def test_dispatching_from_the_issue_page_goes_on_to_the_next_issue_in_triage(signed_in):
    lead = AgencyFactory(code="urban")
    first = IssueFactory(status=Issue.Status.TRIAGE, created_at=timezone.now() - timedelta(hours=2))
    second = IssueFactory(status=Issue.Status.TRIAGE)

    page = signed_in.get(f"/dispatch/issues/{first.pk}/", **EN)
    assert page.context["after_dispatch"] == f"/dispatch/issues/{second.pk}/"
    response = signed_in.post(
        f"/dispatch/issues/{first.pk}/dispatch/",
        {"lead": lead.pk, "next": page.context["after_dispatch"]},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/dispatch/issues/{second.pk}/"
    first.refresh_from_db()
    assert first.status == Issue.Status.DISPATCHED


def test_the_next_address_must_be_this_sites_own(signed_in):
    issue = IssueFactory(status=Issue.Status.TRIAGE)
    response = signed_in.post(
        f"/dispatch/issues/{issue.pk}/dispatch/",
        {"lead": AgencyFactory().pk, "next": "https://evil.example/"},
    )

    assert response["Location"] == "/dispatch/"


def test_work_due_soon_can_be_supervised_from_the_dispatch_page(signed_in, settings):
    soon = AssignmentFactory(due_at=timezone.now() + settings.DEADLINE_WARNING / 2)

    page = signed_in.get("/dispatch/", **EN).content.decode()
    signed_in.post(
        f"/dispatch/issues/{soon.issue_id}/escalate/", {"note": "Before the market opens."}
    )

    assert f'data-testid="at-risk-{soon.issue_id}"' in page
    assert Handoff.objects.filter(issue=soon.issue, kind=Handoff.Kind.ESCALATED).exists()


def test_a_duplicate_is_merged_by_picking_a_candidate(signed_in):
    category = CategoryFactory(code="lamp")
    survivor = IssueFactory(category=category, status=Issue.Status.DISPATCHED)
    duplicate = IssueFactory(category=category, status=Issue.Status.TRIAGE)

    page = signed_in.get(f"/dispatch/issues/{duplicate.pk}/", **EN)
    assert survivor in page.context["candidates"]
    signed_in.post(
        "/dispatch/merge/",
        {"issue": duplicate.pk, "into": survivor.pk, "next": f"/dispatch/issues/{survivor.pk}/"},
    )

    duplicate.refresh_from_db()
    assert duplicate.status == Issue.Status.MERGED
    assert duplicate.merged_into == survivor


def test_the_dispatch_page_stays_small_with_many_organisations_and_issues(signed_in):
    for n in range(60):
        AgencyFactory(code=f"org-{n}")
    for _n in range(30):
        IssueFactory(status=Issue.Status.TRIAGE)

    body = signed_in.get("/dispatch/").content.decode()

    # The organisations are not repeated per triage issue (they were: 12,000 options).
    assert body.count("<option") < 100


def test_organisations_already_on_the_case_are_never_offered_again():
    lead = AssignmentFactory()
    co = AssignmentFactory(issue=lead.issue, role=Assignment.Role.CO_HANDLER)
    free = AgencyFactory(code="free")

    form = CohandleForm(agency=lead.agency, on_case={lead.agency_id, co.agency_id})

    offered = set(form.fields["agencies"].queryset)
    assert free in offered
    assert lead.agency not in offered and co.agency not in offered


def test_the_api_list_counts_up_to_a_cap(client, dispatcher, monkeypatch):
    monkeypatch.setattr(pagination.CappedCountPaginator, "cap", 3)
    for _n in range(5):
        IssueFactory()
    client.force_login(dispatcher)

    body = client.get("/api/v1/issues/").json()

    assert body["count"] == 3
    assert body["count_capped"] is True
    assert len(body["results"]) == 5
