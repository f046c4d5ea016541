"""The managers' dashboard: who may see it, what each sees, its figures, charts and map.

The world: a street office (managed by the manager) with a community below it, a water
bureau outside the manager's reach, and the dispatch centre. Two street-level areas split
the city west and east. Work was received five days ago, so it falls in the default period
(the last 30 days).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agencies.geometry import rectangle
from agencies.models import Agency, Area, Membership
from coordination.dispatch.models import Assignment
from coordination.reporting.charts import (
    THREE_RATES,
    MapArea,
    area_map,
    rate_charts,
    shade_of,
    trend_chart,
)
from coordination.reporting.selectors import AgencyRates, TrendStep, rates_summary
from coordination.reporting.services import bump_rollup_version, rollup_rebuild
from coordination.reporting.templatetags import reporting_tables
from issues.models import Feedback, Issue
from tests.factories import (
    AgencyFactory,
    AreaFactory,
    AssignmentFactory,
    IssueFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
H = timedelta(hours=1)
D = timedelta(days=1)
# The default issue of the factories stands at (116.4, 39.9): in the east area.
EAST_POINT = {"lon": 116.4, "lat": 39.9}
WEST_POINT = {"lon": 116.1, "lat": 39.9}


def _in_area(place: dict) -> dict:
    """The place, and the area routing would have found for it (by code)."""
    place = dict(place)
    if "area" not in place:
        code = "east-street" if place["lon"] >= 116.3 else "west-street"
        place["area"] = Area.objects.filter(code=code).first()
    return place


# ------------------------------------------------------------------------------- world


@pytest.fixture
def areas():
    return {
        "west": AreaFactory(
            code="west-street",
            name_en="West Street Area",
            level=Area.Level.STREET,
            geometry=rectangle(116.0, 39.5, 116.3, 40.0),
        ),
        "east": AreaFactory(
            code="east-street",
            name_en="East Street Area",
            level=Area.Level.STREET,
            geometry=rectangle(116.3, 39.5, 116.6, 40.0),
        ),
    }


@pytest.fixture
def agencies():
    street = AgencyFactory(
        code="hexi", name_en="Hexi Street Office", kind=Agency.Kind.STREET_OFFICE
    )
    return {
        "street": street,
        "community": AgencyFactory(
            code="liuyin",
            name_en="Liuyin Community",
            kind=Agency.Kind.COMMUNITY,
            parent=street,
        ),
        "water": AgencyFactory(code="water", name_en="Outside Water Bureau"),
        "centre": AgencyFactory(
            code="centre", name_en="Dispatch Centre", kind=Agency.Kind.DISPATCH_CENTRE
        ),
    }


@pytest.fixture
def manager(agencies):
    return member(agencies["street"], role=Membership.Role.MANAGER, username="hexi_manager")


@pytest.fixture
def dispatcher(agencies):
    return member(agencies["centre"], username="centre_dispatcher")


def received(agency: Agency, *, when=None, issue=None, **fields) -> Assignment:
    """An assignment received ``when`` (five days ago), to be signed for within 2 hours."""
    when = when or timezone.now() - 5 * D
    fields.setdefault("response_due_at", when + 2 * H)
    fields.setdefault("due_at", when + 30 * D)
    if issue is None:
        issue = IssueFactory(
            status=Issue.Status.DISPATCHED,
            created_at=when,
            **_in_area(fields.pop("place", EAST_POINT)),
        )
    return AssignmentFactory(agency=agency, issue=issue, created_at=when, **fields)


def signed_for(agency: Agency, *, after=H, **fields) -> Assignment:
    when = fields.pop("when", None) or timezone.now() - 5 * D
    return received(
        agency, when=when, status=Assignment.Status.ACCEPTED, accepted_at=when + after, **fields
    )


def resolved(agency: Agency, *, rating: int, **fields) -> Assignment:
    """Signed for in time, resolved a day later and rated."""
    assignment = signed_for(agency, **fields)
    Assignment.objects.filter(pk=assignment.pk).update(
        status=Assignment.Status.DONE, done_at=assignment.created_at + D
    )
    Issue.objects.filter(pk=assignment.issue_id).update(
        status=Issue.Status.RESOLVED, resolved_at=assignment.created_at + D
    )
    Feedback.objects.create(issue=assignment.issue, rating=rating, at=assignment.created_at + 2 * D)
    return assignment


@pytest.fixture
def record(agencies, areas):
    """The street office signed for 3 of 4 in time and resolved 2 of them (rated 5 and 2);
    the water bureau, outside the manager's reach, let 2 go unsigned in the west area; the
    community has nothing to measure."""
    street, water = agencies["street"], agencies["water"]
    resolved(street, rating=5)
    resolved(street, rating=2)
    signed_for(street)
    signed_for(street, after=3 * H)  # late
    received(water, place=WEST_POINT)
    received(water, place=WEST_POINT)


def get(client, user, url="/dashboard/"):
    rollup_rebuild()  # what the frequent task does
    client.force_login(user)
    return client.get(url, **EN)


def figure(body: str, key: str) -> str:
    found = re.search(rf'data-testid="figure-{key}">(.*?)</li>', body, flags=re.DOTALL)
    assert found, f"no figure {key}"
    return re.sub(r"\s+", " ", found.group(1))


def chart(body: str, key: str) -> str:
    found = re.search(rf'data-testid="chart-{key}".*?</figure>', body, flags=re.DOTALL)
    assert found, f"no chart {key}"
    return found.group(0)


def ranked_agencies(body: str, key: str) -> list[str]:
    return re.findall(r'<th scope="row">(.*?)</th>', chart(body, key))


def table_rows(body: str, key: str) -> list[list[str]]:
    """The rows of a chart's table view: the label, then the cells' text."""
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", chart(body, key), flags=re.DOTALL)[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.DOTALL)
        rows.append([re.sub(r"<[^>]+>", "", c).replace("—", "").strip() for c in cells])
    return rows


def chart_data(body: str) -> dict[str, dict]:
    found = re.search(r'<script id="dashboard-tables" type="application/json">(.*?)</script>', body)
    assert found, "no chart data"
    return {t["key"]: t for t in json.loads(found.group(1))}


def map_data(body: str) -> dict:
    found = re.search(r'<script id="dashboard-map" type="application/json">(.*?)</script>', body)
    assert found, "no map data"
    return json.loads(found.group(1))


def area_count(body: str, code: str) -> int:
    found = [
        f["properties"]["count"]
        for f in map_data(body)["areas"]["features"]
        if f["properties"]["code"] == code
    ]
    assert found, f"area {code} is not on the map"
    return found[0]


# ------------------------------------------------------------------------------ access


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


def test_agency_staff_and_residents_are_refused(client, agencies):
    staff = member(agencies["street"], username="hexi_staff")
    resident = UserFactory(username="resident")

    assert get(client, staff).status_code == 403
    assert get(client, resident).status_code == 403


def test_a_manager_sees_only_the_organisations_in_their_reach(client, manager, record):
    response = get(client, manager)

    body = response.content.decode()
    assert response.status_code == 200
    assert "Hexi Street Office" in body
    assert "Liuyin Community" in body  # below the street office
    assert "Outside Water Bureau" not in body
    assert "Dispatch Centre" not in body
    assert ranked_agencies(body, "response_rate") == ["Hexi Street Office", "Liuyin Community"]


def test_the_dispatcher_sees_every_organisation(client, dispatcher, record):
    body = get(client, dispatcher).content.decode()

    for name in ("Hexi Street Office", "Liuyin Community", "Outside Water Bureau"):
        assert name in body


def test_an_administrator_sees_the_dashboard(client, record):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)

    body = get(client, admin).content.decode()

    assert "Outside Water Bureau" in body


def test_the_navigation_links_the_dashboard_for_those_who_may_see_it(client, manager, agencies):
    staff = member(agencies["water"], username="water_staff")

    assert 'href="/dashboard/"' in get(client, manager, "/staff/").content.decode()
    assert 'href="/dashboard/"' not in get(client, staff, "/staff/").content.decode()


# ----------------------------------------------------------------------------- figures


def test_the_headline_rates_pool_the_reach(client, manager, record):
    body = get(client, manager).content.decode()

    assert "75%" in figure(body, "response_rate")  # 3 of 4 signed for in time
    assert "of 4 assignments due to be signed for" in figure(body, "response_rate")
    assert "100%" in figure(body, "resolution_rate")
    assert "of 2 resolutions" in figure(body, "resolution_rate")
    assert "50%" in figure(body, "satisfaction_rate")  # rated 5 and 2
    assert "of 2 ratings" in figure(body, "satisfaction_rate")


def test_the_dispatchers_headline_counts_every_organisation(client, dispatcher, record):
    body = get(client, dispatcher).content.decode()

    # 3 in time of the street office's 4 and the water bureau's 2 unsigned.
    assert "50%" in figure(body, "response_rate")
    assert "of 6 assignments due to be signed for" in figure(body, "response_rate")
    # The water bureau's two are late to be signed for now.
    assert '<span class="figure-value">2</span>' in figure(body, "overdue")


def test_nothing_to_measure_reads_no_data_yet_never_zero(client, manager, agencies):
    body = get(client, manager).content.decode()

    for key in THREE_RATES:
        assert "no data yet" in figure(body, key)
        assert "0%" not in figure(body, key)


def test_rankings_go_from_best_to_worst_with_no_data_last(client, dispatcher, record):
    body = get(client, dispatcher).content.decode()

    assert ranked_agencies(body, "response_rate") == [
        "Hexi Street Office",  # 75%
        "Outside Water Bureau",  # 0%
        "Liuyin Community",  # nothing to measure
    ]
    rows = chart(body, "response_rate")
    assert table_rows(body, "response_rate")[0][:2] == ["Hexi Street Office", "75.0"]
    assert "no data yet" in rows
    # The chart draws the table's numbers.
    assert chart_data(body)["response_rate"]["rows"][:2] == [
        ["Hexi Street Office", 75.0, None],
        ["Outside Water Bureau", 0.0, None],
    ]


def test_the_trend_counts_issues_filed_by_day_with_the_resolved_ones(client, manager, agencies):
    today = timezone.localdate()
    two_days_ago = timezone.now() - 2 * D
    resolved(agencies["street"], rating=4, when=two_days_ago)
    signed_for(agencies["street"], when=two_days_ago)
    signed_for(agencies["street"], when=timezone.now() - H)
    first = (today - 3 * D).isoformat()

    body = get(client, manager, f"/dashboard/?from={first}&to={today.isoformat()}").content
    rows = table_rows(body.decode(), "trend")

    day = timezone.localtime(two_days_ago).date().isoformat()
    assert [day, "2", "1", "0"] in rows
    assert [(today - 3 * D).isoformat(), "0", "0", "0"] in rows
    assert sum(int(r[1]) for r in rows) == 3
    assert sum(int(r[2]) for r in rows) == 1
    assert len(rows) == 4  # one a day, empty days included


def test_a_longer_period_counts_weeks(client, manager, record):
    today = timezone.localdate()
    first = today - 90 * D

    body = get(client, manager, f"/dashboard/?from={first.isoformat()}").content.decode()

    assert "Week from" in chart(body, "trend")
    monday = first - timedelta(days=first.weekday())
    assert len(table_rows(body, "trend")) == (today - monday).days // 7 + 1
    assert table_rows(body, "trend")[0][0] == monday.isoformat()


def test_the_map_shades_the_area_holding_the_open_issues(client, manager, dispatcher, record):
    managers = get(client, manager).content.decode()
    dispatchers = get(client, dispatcher).content.decode()

    # The manager's two open issues are in the east; the water bureau's two in the west.
    assert area_count(managers, "east-street") == 2
    assert area_count(managers, "west-street") == 0
    assert area_count(dispatchers, "west-street") == 2
    assert map_data(managers)["most"] == 2
    assert re.search(
        r'<tr data-area="east-street"><th scope="row">East Street Area</th>'
        r'<td class="num">2</td>',
        managers,
    )
    # Or by resolution rate (the switch): the street office's two done, both resolved, in the
    # east; nothing done in the west yet, which is no data, not 0%.
    rates = {
        f["properties"]["code"]: f["properties"]["rate"]
        for f in map_data(managers)["areas"]["features"]
    }
    assert rates == {"east-street": 100, "west-street": None}
    assert 'data-testid="map-shading"' in managers
    assert re.search(
        r'<tr data-area="east-street"><th scope="row">East Street Area</th>'
        r'<td class="num">2</td><td class="num">100</td>',
        managers,
    )
    # Open issues as markers: the manager's two, not the water bureau's.
    assert len(map_data(managers)["markers"]) == 2
    assert len(map_data(dispatchers)["markers"]) == 4
    assert 'aria-labelledby="map-caption"' in managers


def test_the_map_uses_the_finest_level_of_areas(client, manager, record, areas):
    community = AreaFactory(
        code="east-community",
        name_en="East Community",
        level=Area.Level.COMMUNITY,
        parent=areas["east"],
        geometry=rectangle(116.3, 39.5, 116.6, 40.0),
    )
    Issue.objects.filter(area=areas["east"]).update(area=community)

    body = get(client, manager).content.decode()

    assert area_count(body, "east-community") == 2
    assert 'data-area="east-street"' not in body


def test_open_issues_outside_every_area_are_said_not_to_be_on_the_map(client, manager, record):
    received(Agency.objects.get(code="hexi"), place={"lon": 100.0, "lat": 30.0, "area": None})

    text = re.sub(r"\s+", " ", get(client, manager).content.decode())

    assert "1 open issue is not placed in one of these areas and is not shaded." in text


# ---------------------------------------------------------------------------- the period


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2025-13-01", "from", "Enter a valid date."),
        ("from=2025-06-10&to=2025-06-01", "to", "The end must not come before the start."),
        ("from=2023-01-01&to=2025-01-01", "from", "Choose a period of at most 366 days."),
    ],
)
def test_a_wrong_period_is_refused_naming_the_field(client, manager, query, field, message):
    response = get(client, manager, f"/dashboard/?{query}")

    body = response.content.decode()
    assert response.status_code == 400
    assert f'<a href="#id_{field}">' in body  # the summary names and links the field
    assert message in body
    assert 'aria-invalid="true"' in body
    assert 'data-testid="trend"' not in body


def test_the_period_defaults_to_the_last_thirty_days(client, manager, record):
    today = timezone.localdate()

    body = get(client, manager).content.decode()

    assert f'value="{(today - 29 * D).isoformat()}"' in body
    assert f'value="{today.isoformat()}"' in body
    assert len(table_rows(body, "trend")) == 30


def test_work_received_before_the_period_is_left_out(client, manager, agencies):
    signed_for(agencies["street"], when=timezone.now() - 40 * D, after=3 * H)
    signed_for(agencies["street"])

    body = get(client, manager).content.decode()

    assert "100%" in figure(body, "response_rate")
    assert "of 1 assignment due to be signed for" in figure(body, "response_rate")


def test_the_pooled_rate_weighs_every_assignment_not_every_agency(agencies):
    street, community = agencies["street"], agencies["community"]
    signed_for(community)  # 1 of 1 in time
    signed_for(street)  # 1 of 3 in time
    signed_for(street, after=3 * H)
    signed_for(street, after=3 * H)

    summary = rates_summary(agency_ids=[street.pk, community.pk])

    assert summary.response_rate == 0.5  # 2 of 4; the mean of 100% and 33% would be 67%
    assert summary.response_basis == 4
    assert [r.agency for r in summary.agencies] == ["hexi", "liuyin"]


def test_the_page_speaks_chinese_by_default(client, manager, record):
    client.force_login(manager)

    body = client.get("/dashboard/").content.decode()

    assert '<html lang="zh-hans">' in body
    assert Agency.objects.get(code="hexi").name_zh in body


# ----------------------------------------------------------------------------- queries


def _grow(agencies, n: int) -> None:
    for i in range(n):
        resolved(agencies["street"], rating=1 + i % 5, when=timezone.now() - (i % 20) * D - H)
        signed_for(agencies["community"], place={"lon": 116.0 + i / 100, "lat": 39.9})
        received(agencies["water"], place=WEST_POINT)


def test_the_page_takes_the_same_few_queries_whatever_the_number_of_issues(
    client, manager, dispatcher, agencies, areas, django_assert_max_num_queries
):
    counts = {}
    for size, more in (("small", 2), ("large", 40)):
        _grow(agencies, more)
        for user in (manager, dispatcher):
            get(client, user)  # warm: sessions, content types
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/dashboard/").status_code == 200
            counts[size, user.username] = len(queries)
            with django_assert_max_num_queries(20):
                client.get("/dashboard/")

    assert counts["small", "hexi_manager"] == counts["large", "hexi_manager"]
    assert counts["small", "centre_dispatcher"] == counts["large", "centre_dispatcher"]


@pytest.mark.parametrize("query", ["", "?from=2025-12-01&to=2026-11-30&step=month"])
def test_the_first_reader_after_a_refresh_reads_the_summaries_not_the_rollup(
    client, manager, dispatcher, record, query, django_assert_max_num_queries
):
    for user in (dispatcher, manager):
        get(client, user, "/dashboard/" + query)
        bump_rollup_version()  # as a refresh does: the figures are counted again
        with django_assert_max_num_queries(30) as queries:
            assert client.get("/dashboard/" + query).status_code == 200
        read = " ".join(q["sql"] for q in queries.captured_queries)
        assert "reporting_agencysummary" in read
        if user is dispatcher:
            # The whole city's breakdowns from their own summary: no row per issue.
            assert "reporting_facetsummary" in read
            assert "reporting_rollup" not in read


# ------------------------------------------------------------------------ chart geometry


def _rates(name: str, response: float | None) -> AgencyRates:
    return AgencyRates(
        agency=name,
        name=name,
        kind="community",
        assigned=1,
        response_rate=response,
        resolution_rate=None,
        satisfaction_rate=None,
        bounce_rate=response,
        redo_rate=None,
        overdue=0,
    )


def test_ranking_orders_rates_down_and_the_bounce_rate_up():
    rates = [_rates("b", 0.5), _rates("a", None), _rates("c", 0.9), _rates("d", 0.0)]

    charts = {c["key"]: c for c in rate_charts(rates, ranked=True)}

    assert [r["agency"] for r in charts["response_rate"]["rows"]] == ["c", "b", "d", "a"]
    assert [r["agency"] for r in charts["bounce_rate"]["rows"]] == ["d", "b", "c", "a"]
    assert [r["percent"] for r in charts["response_rate"]["rows"]] == [90, 50, 0, None]


def test_the_unranked_charts_keep_the_given_order():
    rates = [_rates("b", 0.5), _rates("a", None)]

    (response,) = rate_charts(rates, keys=["response_rate"])

    assert [r["agency"] for r in response["rows"]] == ["b", "a"]


def test_shades_split_the_busiest_count_into_quarters():
    assert [shade_of(n, 8) for n in (0, 1, 2, 3, 4, 6, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert shade_of(0, 0) == 0


def test_the_map_projection_narrows_longitude_by_the_cosine_of_latitude():
    # One degree square at 60° north: on the ground half as wide as it is tall.
    square = MapArea("sq", "Square", rectangle(10.0, 59.5, 11.0, 60.5))

    drawn = area_map([square], {"sq": 3})

    numbers = [float(n) for n in re.findall(r"[\d.]+", drawn["areas"][0]["d"])]
    xs, ys = numbers[0::2], numbers[1::2]
    assert (max(ys) - min(ys)) / (max(xs) - min(xs)) == pytest.approx(2, rel=0.01)
    assert drawn["areas"][0]["shade"] == 4
    assert drawn["legend"][0] == {"shade": 0, "low": 0, "high": 0}
    assert area_map([], {}) is None


def test_trend_columns_stand_in_proportion_to_their_counts():
    chart = trend_chart(
        [
            TrendStep(start=timezone.localdate(), filed=8, resolved=2),
            TrendStep(start=timezone.localdate() + D, filed=4, resolved=4),
        ]
    )

    first, second = chart["columns"]
    assert first["h_filed"] == pytest.approx(2 * second["h_filed"])
    assert first["h_resolved"] == pytest.approx(second["h_filed"] / 2)
    assert second["h_resolved"] == second["h_filed"]
    assert first["y_filed"] + first["h_filed"] == pytest.approx(chart["base"])
    assert chart["ticks"][-1]["value"] >= 8


def test_table_rows_escape_labels_localize_numbers_and_say_no_data():
    with translation.override("en"):
        html = reporting_tables.table_rows(
            {"columns": ["Who", "Rate"], "rows": [["<b>A</b>", 92.5], ["B", None]]}
        )
        empty = reporting_tables.table_rows({"columns": ["Who", "Rate"], "rows": []})
    assert '<tr><th scope="row">&lt;b&gt;A&lt;/b&gt;</th><td class="num">92.5</td></tr>' in html
    assert "no data yet" in html.split("\n")[1]
    assert empty == '<tr><td colspan="2">Nothing in this period.</td></tr>'


def test_map_rows_name_each_area_with_its_count_and_rate():
    layer = {
        "areas": {
            "features": [
                {"properties": {"code": "a&b", "name": "<East>", "count": 3, "rate": 75}},
                {"properties": {"code": "w", "name": "West", "count": 0, "rate": None}},
            ]
        }
    }
    with translation.override("en"):
        html = reporting_tables.map_rows(layer)
        empty = reporting_tables.map_rows({"areas": {"features": []}})
    first, second = html.split("\n")
    assert first == (
        '<tr data-area="a&amp;b"><th scope="row">&lt;East&gt;</th>'
        '<td class="num">3</td><td class="num">75</td></tr>'
    )
    assert "no data yet" in second
    assert "No areas have been drawn" in empty
