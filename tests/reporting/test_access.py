"""Who sees whose figures, per role, on every dashboard request, export and the stats API.

A manager sees their organisations and those below; an enterprise partner's staff their own
partner only; the dispatcher and the city's leaders the whole city; agency staff, residents and
visitors nothing (403, or sign in). Each allowed answer is checked for the absence of the other
organisations' figures, not only for its status.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from openpyxl import load_workbook

from agencies.models import Agency, Membership
from coordination.dispatch.models import Assignment
from coordination.reporting.services import rollup_rebuild
from issues.models import Issue
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, UserFactory, member

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NAMES = {
    "street": "Hexi Street Office",
    "community": "Liuyin Community",
    "water": "Outside Water Bureau",
    "partner": "Blue Sky Property Company",
    "other_partner": "Green Tree Property Company",
}


@pytest.fixture
def city():
    street = AgencyFactory(code="hexi", name_en=NAMES["street"], kind=Agency.Kind.STREET_OFFICE)
    orgs = {
        "street": street,
        "community": AgencyFactory(
            code="liuyin", name_en=NAMES["community"], kind=Agency.Kind.COMMUNITY, parent=street
        ),
        "water": AgencyFactory(code="water", name_en=NAMES["water"]),
        "partner": AgencyFactory(
            code="bluesky", name_en=NAMES["partner"], kind=Agency.Kind.ENTERPRISE_PARTNER
        ),
        "other_partner": AgencyFactory(
            code="greentree",
            name_en=NAMES["other_partner"],
            kind=Agency.Kind.ENTERPRISE_PARTNER,
        ),
        "centre": AgencyFactory(
            code="centre", name_en="Dispatch Centre", kind=Agency.Kind.DISPATCH_CENTRE
        ),
    }
    when = timezone.now() - timedelta(days=3)
    for key in ("street", "community", "water", "partner", "other_partner"):
        AssignmentFactory(
            agency=orgs[key],
            issue=IssueFactory(status=Issue.Status.DISPATCHED, created_at=when),
            created_at=when,
            response_due_at=when + timedelta(hours=2),
            status=Assignment.Status.ACCEPTED,
            accepted_at=when + timedelta(hours=1),
        )
    rollup_rebuild()
    leader = UserFactory(username="leader")
    group = Group.objects.create(name="city-leaders")
    view_city = Permission.objects.get(codename="view_city", content_type__app_label="hot")
    group.permissions.add(view_city)
    leader.groups.add(group)
    users = {
        "manager": member(street, role=Membership.Role.MANAGER, username="hexi_manager"),
        "partner_staff": member(orgs["partner"], username="bluesky_staff"),
        "partner_manager": member(
            orgs["partner"], role=Membership.Role.MANAGER, username="bluesky_manager"
        ),
        "dispatcher": member(orgs["centre"], username="centre_dispatcher"),
        "leader": leader,
        "staff": member(orgs["water"], username="water_staff"),
        "resident": UserFactory(username="resident"),
    }
    return orgs, users


# Who sees which organisations' figures (None: refused).
SEES = {
    "manager": {"street", "community"},
    "partner_staff": {"partner"},
    "partner_manager": {"partner"},
    "dispatcher": set(NAMES),
    "leader": set(NAMES),
    "staff": None,
    "resident": None,
}
MONTH = timezone.localtime(timezone.now() - timedelta(days=3)).strftime("%Y-%m")
URLS = (
    "/dashboard/",
    f"/dashboard/report/?month={MONTH}",
    "/dashboard/export/response_rate.csv",
    "/dashboard/export/response_rate.xlsx",
    "/dashboard/export/bounce_rate.csv",
    "/api/v1/stats/agencies/",
)


def text_of(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        sheet = load_workbook(io.BytesIO(response.content)).active
        return "\n".join(str(c.value) for row in sheet.iter_rows() for c in row)
    return response.content.decode()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", sorted(SEES))
def test_each_role_sees_only_its_organisations_figures(client, city, role, url):
    _orgs, users = city
    client.force_login(users[role])

    response = client.get(url, **EN)

    if SEES[role] is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = text_of(response)
    for key, name in NAMES.items():
        assert (name in body) == (key in SEES[role]), f"{role} on {url}: {name}"


@pytest.mark.parametrize("url", URLS)
def test_visitors_are_sent_to_sign_in_or_refused(client, city, url):
    response = client.get(url)

    assert response.status_code in (302, 401, 403)
    assert "Hexi" not in response.content.decode()


def test_an_unknown_table_or_format_is_not_found(client, city):
    client.force_login(city[1]["dispatcher"])

    assert client.get("/dashboard/export/nothing.csv").status_code == 404
    assert client.get("/dashboard/export/trend.pdf").status_code == 404


def test_the_export_holds_the_tables_numbers(client, city):
    client.force_login(city[1]["dispatcher"])

    csv_text = client.get("/dashboard/export/response_rate.csv", **EN).content.decode("utf-8-sig")
    sheet = load_workbook(
        io.BytesIO(client.get("/dashboard/export/response_rate.xlsx", **EN).content)
    ).active

    lines = csv_text.strip().splitlines()
    assert lines[0] == "Organisation,This period (%),Previous period (%)"
    assert "Hexi Street Office,100.0," in lines
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Hexi Street Office", 100, None] in rows


def test_a_report_for_an_organisation_outside_the_readers_figures_is_not_found(client, city):
    _orgs, users = city
    client.force_login(users["manager"])

    assert client.get(f"/dashboard/report/?month={MONTH}&agency=water").status_code == 404
    body = client.get(f"/dashboard/report/?month={MONTH}&agency=liuyin", **EN).content.decode()
    assert NAMES["community"] in body
    assert NAMES["street"] not in body.split('data-testid="report-rates"')[1]


def test_the_city_report_ranks_every_organisation(client, city):
    _orgs, users = city
    client.force_login(users["leader"])

    body = client.get(f"/dashboard/report/?month={MONTH}", **EN).content.decode()

    ranking = body.split('data-testid="report-ranking-response_rate"')[1].split("</table>")[0]
    for name in NAMES.values():
        assert name in ranking
    assert "100.0" in ranking


def test_the_figures_follow_the_rollup_when_it_changes(client, city):
    orgs, users = city
    client.force_login(users["dispatcher"])
    url = "/dashboard/export/trend.csv"

    def filed() -> int:
        text = client.get(url, **EN).content.decode("utf-8-sig")
        return sum(int(line.split(",")[1]) for line in text.strip().splitlines()[1:])

    assert filed() == 5
    when = timezone.now() - timedelta(days=1)
    AssignmentFactory(agency=orgs["water"], issue=IssueFactory(created_at=when), created_at=when)
    rollup_rebuild()  # what the frequent task does

    assert filed() == 6
