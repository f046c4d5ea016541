"""The hot-issue board, one hot issue, the API's lists, and cooperation made visible."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from coordination.dispatch.models import Assignment, Handoff
from coordination.dispatch.services.routing import issue_dispatch
from coordination.hot.cooperation import cooperation
from coordination.hot.models import HotIssue, HotMember
from coordination.hot.services import topics
from issues.models import Feedback, Issue

from .conftest import WEST
from .fixtures import BUS, ROAD_NOISE, RUBBISH_QINGSONG, START


@pytest.fixture
def board(city, file):
    """A hot issue of three complaints, growing; a quiet pair on the other street; singles.
    Filed in order of time, as filings are."""
    noise = [file(ROAD_NOISE, day=d, place=WEST) for d in (1, 3)]
    rubbish = [file(pair, day=20 + i * 0.3) for i, pair in enumerate(RUBBISH_QINGSONG)]
    file(BUS, day=21, category=city.transport, place=None)
    return {"rubbish": rubbish, "noise": noise}


def hot_of(issue) -> HotIssue:
    return HotMember.objects.get(issue=issue).hot_issue


def test_the_board_lists_hot_issues_hottest_first_and_by_growth(board, city, client):
    client.force_login(city.dispatcher)
    rubbish, noise = hot_of(board["rubbish"][0]), hot_of(board["noise"][0])
    assert rubbish.size == 3 and noise.size == 2
    with time_machine.travel(START + timedelta(days=21), tick=False):
        by_heat = client.get("/hot/")
        by_growth = client.get("/hot/", {"sort": "growth"})
    text = by_heat.content.decode()
    assert by_heat.status_code == 200
    assert text.index(rubbish.label) < text.index(noise.label)
    assert text.count('data-testid="hot-row"') == 2  # single complaints are not hot issues
    assert by_growth.status_code == 200
    west = client.get("/hot/", {"area": city.west.pk}).content.decode()
    assert noise.label in west and rubbish.label not in west


def test_a_hot_issue_shows_its_members_trend_map_and_handlers(board, city, client):
    first = board["rubbish"][0]
    Issue.objects.filter(pk=first.pk).update(status=Issue.Status.TRIAGE)
    issue_dispatch(issue_id=first.pk, lead=city.sanitation, actor=city.dispatcher)
    hot = hot_of(first)
    client.force_login(city.sanitation_manager)
    page = client.get(f"/hot/{hot.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('data-testid="member"') == 3
    assert 'id="trend-data"' in text and 'id="map-data"' in text
    assert "hot/charts.js" in text and "vendor/leaflet/leaflet.js" in text
    assert "Sanitation" in text or city.sanitation.name_zh in text
    assert f"/staff/issues/{first.pk}/" in text  # their own case: the way in
    assert f"/staff/issues/{board['rubbish'][1].pk}/" not in text  # others': public part
    for issue in board["rubbish"]:
        assert issue.contact_phone not in text and issue.description[:12] not in text
    assert 'data-testid="promote"' not in text  # the dispatcher promotes, not managers


def test_a_merged_hot_issue_answers_its_survivor(board, client, city):
    survivor, gone = hot_of(board["rubbish"][0]), hot_of(board["noise"][0])
    HotIssue.objects.filter(pk=gone.pk).update(merged_into=survivor, is_open=False)
    client.force_login(city.dispatcher)
    assert client.get(f"/hot/{gone.pk}/")["Location"] == f"/hot/{survivor.pk}/"


def test_the_api_lists_hot_issues_and_one_with_its_members(board, city, client):
    client.force_login(city.sanitation_manager)
    listed = client.get("/api/v1/hot/issues/", {"sort": "size"})
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert [r["size"] for r in results] == [3, 2]
    assert (results[0]["label"] and results[0]["areas"] == ["East Street"]) or results[0]["areas"]
    one = client.get(f"/api/v1/hot/issues/{results[0]['id']}/").json()
    assert one["member_count"] == 3 and len(one["trend"]) >= 1
    assert all(m["issue"] is None for m in one["members"])  # none of the manager's cases
    assert client.get("/api/v1/hot/issues/", {"sort": "nonsense"}).status_code == 400
    client.force_login(city.sanitation_staff)
    assert client.get("/api/v1/hot/issues/").status_code == 403


def test_the_board_is_for_the_dispatcher_managers_and_leaders(board, city, client):
    from django.contrib.auth.models import Group, Permission

    from tests.factories import UserFactory

    for user, status in (
        (city.dispatcher, 200),
        (city.sanitation_manager, 200),
        (city.sanitation_staff, 403),
        (city.resident, 403),
    ):
        client.force_login(user)
        assert client.get("/hot/").status_code == status
    leader = UserFactory(username="hx_leader")
    group = Group.objects.create(name="hx leaders")
    group.permissions.add(Permission.objects.get(codename="view_city"))
    leader.groups.add(group)
    client.force_login(leader)
    assert client.get("/hot/").status_code == 200
    assert client.get("/api/v1/hot/cooperation/").status_code == 200


# ----------------------------------------------------------------------------- cooperation


@pytest.fixture
def joint_work(city, file):
    """Cases of the last month: two co-handled, one whistled, one transferred, two single;
    ratings; a topic with participants."""
    now = timezone.now()
    dispatcher = city.dispatcher
    made = []
    for i in range(6):
        issue = Issue.objects.create(
            title=f"case {i}",
            description="x",
            category=city.rubbish,
            status=Issue.Status.TRIAGE,
            created_at=now - timedelta(days=5, hours=i),
        )
        made.append(issue)
    issue_dispatch(
        issue_id=made[0].pk, lead=city.street, co_handlers=[city.sanitation], actor=dispatcher
    )
    issue_dispatch(
        issue_id=made[1].pk, lead=city.street, co_handlers=[city.sanitation], actor=dispatcher
    )
    issue_dispatch(issue_id=made[2].pk, lead=city.street, actor=dispatcher)
    Assignment.objects.create(
        issue=made[2], agency=city.housing, role=Assignment.Role.CO_HANDLER, summoned=True
    )
    issue_dispatch(issue_id=made[3].pk, lead=city.housing, actor=dispatcher)
    issue_dispatch(issue_id=made[4].pk, lead=city.housing, actor=dispatcher)
    Handoff.objects.create(
        issue=made[5],
        kind=Handoff.Kind.TRANSFERRED,
        from_agency=city.housing,
        to_agency=city.street,
    )
    for issue, hours, rating in ((made[0], 10, 5), (made[1], 30, 2), (made[3], 50, 5)):
        Issue.objects.filter(pk=issue.pk).update(
            status=Issue.Status.RESOLVED, resolved_at=issue.created_at + timedelta(hours=hours)
        )
        Feedback.objects.create(issue=issue, rating=rating)
    topics.topic_create(
        actor=dispatcher,
        title="t",
        goal="g",
        lead=city.street,
        participants=[city.league, city.sanitation],
        issues=[made[0]],
    )
    return made


def test_cooperation_counts_who_worked_together_how_often_how_fast_how_well(joint_work, city):
    now = timezone.now()
    figures = cooperation(start=now - timedelta(days=30), end=now)
    pairs = {frozenset((p.a, p.b)): p for p in figures.pairs}
    street_sanitation = pairs[frozenset((city.street.pk, city.sanitation.pk))]
    assert street_sanitation.cohandle == 2 and street_sanitation.topic == 1
    assert street_sanitation.outcomes.median_hours == 20.0  # 10 h and 30 h
    assert street_sanitation.outcomes.satisfaction == 0.5
    assert pairs[frozenset((city.street.pk, city.housing.pk))].whistle == 1
    assert pairs[frozenset((city.street.pk, city.housing.pk))].transfer == 1
    assert pairs[frozenset((city.street.pk, city.league.pk))].topic == 1
    assert figures.joint.cases == 3 and figures.single.cases == 2
    assert figures.single.median_hours == 50.0 and figures.single.satisfaction == 1.0
    graph = figures.graph()
    assert {n["id"] for n in graph["nodes"]} >= {str(city.street.pk), str(city.sanitation.pk)}
    assert max(link["value"] for link in graph["links"]) == 3


def test_managers_see_the_pairs_of_their_organisations_only(joint_work, city, client):
    client.force_login(city.sanitation_manager)
    body = client.get("/api/v1/hot/cooperation/").json()
    assert body["pairs"] and all(city.sanitation.code in (p["a"], p["b"]) for p in body["pairs"])
    client.force_login(city.dispatcher)
    everyone = client.get("/api/v1/hot/cooperation/").json()
    assert len(everyone["pairs"]) > len(body["pairs"])
    assert everyone["joint"]["cases"] == 3
    bad = client.get("/api/v1/hot/cooperation/", {"from": "2024-05-02", "to": "2024-05-01"})
    assert bad.status_code == 400


def test_the_cooperation_page_draws_the_graph_with_its_table(joint_work, city, client):
    client.force_login(city.dispatcher)
    page = client.get("/hot/cooperation/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="collaboration-data"' in text and "vendor/echarts/echarts.min.js" in text
    assert text.count('data-testid="collaboration-row"') == len(
        cooperation(start=timezone.now() - timedelta(days=30), end=timezone.now()).pairs
    )


def test_the_board_takes_the_same_few_queries_however_many_hot_issues(
    city, file, client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(city.dispatcher)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/hot/").status_code == 200
        return len(captured)

    for n in range(2):
        place = (39.5 + n * 0.05, 116.75)
        for day in (0, 0.1):
            file(RUBBISH_QINGSONG[0], day=n + day, place=place)
    few = queries()
    for n in range(2, 8):
        place = (39.5 + n * 0.05, 116.75)
        for day in (0, 0.1):
            file(RUBBISH_QINGSONG[0], day=n + day, place=place)
    assert HotIssue.objects.filter(size=2).count() == 8
    assert queries() == few
    with django_assert_max_num_queries(25):
        client.get("/hot/")
