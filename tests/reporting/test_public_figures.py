"""Public figures: open without sign-in, private categories left out, small counts suppressed,
and the same figures at the month's stable CSV and JSON URLs."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Agency
from coordination.dispatch.models import Assignment
from coordination.reporting.services import rollup_rebuild
from tests.factories import AgencyFactory, AssignmentFactory, CategoryFactory, IssueFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def month(settings):
    settings.FIGURES_SUPPRESS_BELOW = 5
    when = timezone.now() - timedelta(days=1)
    first = timezone.localtime(when).date().replace(day=1)
    if timezone.localtime(when).month != timezone.localdate().month:
        pytest.skip("the first day of a month: yesterday is in another month")
    water = AgencyFactory(
        code="water", name_en="Water Bureau", kind=Agency.Kind.GOVERNMENT_DEPARTMENT
    )
    roads = AgencyFactory(code="roads", name_en="Roads Bureau")
    potholes = CategoryFactory(code="potholes", name_en="Potholes")
    leaks = CategoryFactory(code="leaks", name_en="Water leaks")
    abuse = CategoryFactory(code="abuse", name_en="Domestic abuse", private=True)
    hidden_child = CategoryFactory(code="abuse-help", name_en="Abuse helpline", parent=abuse)

    def filed(agency, category, n, *, in_time=True):
        for _i in range(n):
            AssignmentFactory(
                agency=agency,
                issue=IssueFactory(category=category, created_at=when, status="dispatched"),
                created_at=when,
                response_due_at=when + timedelta(hours=2),
                status=Assignment.Status.ACCEPTED,
                accepted_at=when + timedelta(hours=1 if in_time else 3),
            )

    filed(water, leaks, 6)  # shown
    filed(roads, potholes, 3, in_time=False)  # under 5: suppressed, and no rate
    filed(water, abuse, 4)  # private: left out (of the water bureau's rate too)
    filed(water, hidden_child, 2)
    rollup_rebuild()
    return first


def test_the_page_opens_without_signing_in_and_suppresses_small_counts(client, month):
    body = client.get(f"/figures/?month={month:%Y-%m}", **EN).content.decode()

    categories = body.split('data-testid="figures-categories"')[1].split("</table>")[0]
    assert "Water leaks" in categories and ">6<" in categories
    assert "Potholes" in categories and "&lt;5" in categories and ">3<" not in categories
    assert "abuse" not in body.lower()
    organisations = body.split('data-testid="figures-organisations"')[1].split("</table>")[0]
    assert "100%" in organisations  # the water bureau: 6 of 6 in time, its private work left out


def test_the_open_data_at_stable_urls_leaves_out_private_categories(client, month):
    data = client.get(f"/figures/{month:%Y-%m}.json").json()

    assert data["month"] == f"{month:%Y-%m}"
    codes = {c["code"]: c for c in data["categories"]}
    assert set(codes) == {"leaks", "potholes"}
    assert codes["leaks"]["filed"] == 6
    assert codes["potholes"]["filed"] is None  # 3 < 5
    by_org = {o["code"]: o for o in data["organisations"]}
    assert by_org["water"]["response_rate"] == 1.0
    assert by_org["water"]["response_rate_basis"] == 6  # not 12: private work left out
    assert by_org["roads"]["response_rate"] is None  # measured on 3 cases only
    assert by_org["water"]["response_rate_rank"] == 1

    text = client.get(f"/figures/{month:%Y-%m}.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["category", "potholes", potholes_zh(rows), "Potholes", "filed", "<5", ""] in rows
    assert not any("abuse" in cell for row in rows for cell in row)


def potholes_zh(rows) -> str:
    return next(r[2] for r in rows if r[1] == "potholes")


def test_a_month_to_come_or_a_malformed_one_is_not_found(client, month):
    future = (timezone.localdate().replace(day=28) + timedelta(days=10)).strftime("%Y-%m")

    assert client.get(f"/figures/{future}.json").status_code == 404
    assert client.get("/figures/2026-13.json").status_code == 404
    assert client.get("/figures/2026-1.json").status_code == 404
    assert client.get(f"/figures/{month:%Y-%m}.xml").status_code == 404
