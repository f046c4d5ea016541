"""The dashboard in headless Chromium: every chart and the map draw under the strict
Content-Security-Policy with no script error, axe finds nothing serious, and each chart's
table view holds the numbers the chart draws (read from the chart itself and from the JSON)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agencies.geometry import rectangle
from agencies.models import Agency, Area
from coordination.dispatch.models import Assignment
from coordination.reporting.services import rollup_rebuild
from issues.models import Feedback, Issue
from tests.browser.conftest import new_context
from tests.factories import AgencyFactory, AreaFactory, AssignmentFactory, IssueFactory, member
from tests.hot.test_browser_hot import serious_violations, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

H = timedelta(hours=1)

# Per chart: the series' data as ECharts holds it, and the table view's cells as numbers.
READ = """() => {
  const tables = JSON.parse(document.getElementById('dashboard-tables').textContent);
  return tables.map(t => {
    const el = document.querySelector(`[data-dash-chart="${t.key}"]`);
    const chart = echarts.getInstanceByDom(el);
    const series = chart ? chart.getOption().series.map(s => s.data) : null;
    const rows = [...document.querySelectorAll(`[data-testid="table-${t.key}"] tbody tr`)]
      .filter(tr => tr.children.length === t.columns.length)
      .map(tr => [...tr.children].map((c, i) => i === 0 ? c.textContent.trim()
        : (c.querySelector('.visually-hidden') ? null : Number(c.textContent.trim()))));
    return {key: t.key, chart: t.chart, json: t.rows, series, rows};
  });
}"""


@pytest.fixture
def world(transactional_db):
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    east = AreaFactory(
        code="east", name_en="East", level=Area.Level.STREET,
        geometry=rectangle(116.3, 39.5, 116.6, 40.0),
    )  # fmt: skip
    AreaFactory(
        code="west", name_en="West", level=Area.Level.STREET,
        geometry=rectangle(116.0, 39.5, 116.3, 40.0),
    )  # fmt: skip
    water = AgencyFactory(code="water", name_en="Water Bureau")
    roads = AgencyFactory(code="roads", name_en="Roads Bureau")
    now = timezone.now()
    for i, (agency, channel) in enumerate(
        [(water, "phone"), (water, "web"), (roads, "phone"), (roads, "wechat"), (water, "phone")]
    ):
        when = now - timedelta(days=i + 1)
        issue = IssueFactory(
            created_at=when, channel=channel, area=east, status=Issue.Status.DISPATCHED
        )
        done = i % 2 == 0
        AssignmentFactory(
            agency=agency,
            issue=issue,
            created_at=when,
            response_due_at=when + 2 * H,
            due_at=when + 72 * H,
            status=Assignment.Status.DONE if done else Assignment.Status.ACCEPTED,
            accepted_at=when + H * (1 + i),
            done_at=when + 30 * H if done else None,
        )
        if done:
            Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.RESOLVED)
            Feedback.objects.create(issue=issue, rating=5 - i, at=when + 40 * H)
    rollup_rebuild()
    return member(centre, username="centre_dispatcher")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboard_draws_cleanly_and_its_tables_hold_the_charts_numbers(
    live_server, browser, world, language
):
    context = new_context(browser, live_server, user=world, language=language)
    page = context.new_page()
    problems = watch(page)

    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_load_state("networkidle")
    assert problems == []
    page.wait_for_function("document.querySelector('[data-dash-map]').dataset.ready === 'true'")

    found = page.evaluate(READ)
    assert len(found) == 12
    for chart in found:
        assert chart["series"] is not None, chart["key"]
        # The table view is the chart's data, row for row.
        assert chart["rows"] == chart["json"], chart["key"]
        columns = (
            list(zip(*[row[1:] for row in chart["json"]], strict=True)) if chart["json"] else []
        )
        drawn = chart["series"][: len(columns)]
        assert [list(c) for c in columns][: len(drawn)] == drawn, chart["key"]
    trend = next(c for c in found if c["key"] == "trend")
    assert sum(row[1] for row in trend["json"]) == 5
    assert page.locator("[data-dash-chart] canvas").count() == 12
    assert page.locator(".dash-map .leaflet-interactive").count() >= 2
    # The open issues, clustered (two in the same place: one cluster of 2).
    assert page.locator(".dash-map .marker-cluster").first.inner_text() == "2"
    # Or as a heat map (leaflet.heat), one switch away: its canvas replaces the clusters.
    switcher = page.locator(".dash-map .leaflet-control-layers")
    assert switcher.locator("label").count() == 2
    switcher.locator("input[type=radio]").nth(1).check()
    expect(page.locator(".dash-map canvas.leaflet-heatmap-layer")).to_have_count(1)
    assert page.locator(".dash-map .marker-cluster").count() == 0
    # The areas shaded and labelled by resolution rate, one switch away, and back.
    page.locator("[data-testid=map-shading] input[value=rate]").check()
    expect(page.locator(".dash-map[data-shading=rate]")).to_have_count(1)
    expect(page.locator(".dash-label").filter(has_text="%").first).to_be_visible()
    page.locator("[data-testid=map-shading] input[value=count]").check()
    expect(page.locator(".dash-label").filter(has_text="%")).to_have_count(0)
    page.locator("details summary").first.click()
    assert serious_violations(page) == []
    assert problems == []
    context.close()
