"""Drill-down: the dashboard's rows link to the workbench filtered to their issues, and the
workbench filters by the day filed (both days included)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from agencies.models import Agency
from coordination.reporting.services import rollup_rebuild
from issues.models import Issue
from tests.factories import AgencyFactory, AssignmentFactory, CategoryFactory, IssueFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher():
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    return member(centre, username="centre_dispatcher")


def test_the_workbench_filters_by_the_day_filed(client, dispatcher):
    today = timezone.localdate()
    now = timezone.now()
    old = IssueFactory(title="Filed ten days ago", created_at=now - timedelta(days=10))
    recent = IssueFactory(title="Filed two days ago", created_at=now - timedelta(days=2))
    client.force_login(dispatcher)

    since = (today - timedelta(days=3)).isoformat()
    body = client.get(f"/dispatch/issues/?filed_from={since}").content.decode()
    assert recent.title in body and old.title not in body

    until = (today - timedelta(days=5)).isoformat()
    body = client.get(f"/dispatch/issues/?filed_to={until}").content.decode()
    assert old.title in body and recent.title not in body


def test_a_category_row_links_to_its_issues_in_the_period(client, dispatcher):
    potholes = CategoryFactory(code="potholes", name_en="Potholes")
    when = timezone.now() - timedelta(days=2)
    water = AgencyFactory(code="water")
    for _n in range(2):
        AssignmentFactory(
            agency=water,
            issue=IssueFactory(category=potholes, created_at=when, status=Issue.Status.DISPATCHED),
            created_at=when,
        )
    rollup_rebuild()
    client.force_login(dispatcher)

    body = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    tables = json.loads(
        re.search(
            r'<script id="dashboard-tables" type="application/json">(.*?)</script>', body
        ).group(1)
    )
    category = next(t for t in tables if t["key"] == "category")
    assert category["rows"] == [["Potholes", 2, 0, 2]]
    link = category["links"][0]
    assert parse_qs(urlsplit(link).query)["category"] == ["potholes"]
    listed = client.get(link).content.decode()
    assert listed.count('href="/dispatch/issues/') >= 2
    assert "2 issues match." in client.get(link, HTTP_ACCEPT_LANGUAGE="en").content.decode()
