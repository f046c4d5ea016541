"""Duplicates (并单 candidates): open issues within the distance and the time window whose
text is alike, found as an issue arrives, on the pages and the API, and not found past
either limit, for issues that ended, or among issues the user may not see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from coordination.dispatch.services.routing import issue_dispatch
from coordination.dispatch.tasks import issue_route as issue_route_task
from coordination.learning import duplicates as dup
from coordination.learning.models import DuplicateCandidate, IssueTrace
from coordination.learning.selectors import similar_issues
from coordination.learning.services import issue_trace_record
from issues.models import Issue
from tests.factories import AgencyFactory, CategoryFactory, IssueFactory, member

pytestmark = pytest.mark.django_db

LAT, LON = 39.9, 116.4
TEXT = ("清河路12号门口路灯不亮", "清河路12号门口的路灯已经三天不亮了，晚上很黑，请派人修理。")
ALIKE = ("清河路路灯坏了", "清河路12号附近路灯不亮，晚上走路看不见，希望尽快修理路灯。")
OTHER = ("公司拖欠工资", "我们公司三个月没有发工资了，老板一直拖着不给。")
# One degree of latitude is about 111 km: metres north of LAT in degrees.
M = 1 / 111_000


def issue_at(
    text=ALIKE, *, north_m=0.0, days=0.0, status=Issue.Status.TRIAGE, place=True, category=None
) -> Issue:
    issue = IssueFactory(
        title=text[0],
        description=text[1],
        lat=LAT + north_m * M if place else None,
        lon=LON if place else None,
        status=status,
        created_at=timezone.now() + timedelta(days=days),
        category=category,
    )
    issue_trace_record(issue=issue)
    return issue


@pytest.fixture
def new_issue():
    return issue_at(TEXT)


def found(issue, **kwargs) -> list[Issue]:
    return [s.issue for s in similar_issues(issue=issue, **kwargs)]


def test_an_alike_issue_nearby_and_recent_is_found_with_its_score(new_issue, settings):
    settings.DUPLICATE_DISTANCE_METERS = 500
    near = issue_at(north_m=300, days=-2)
    (hit,) = similar_issues(issue=new_issue)
    assert hit.issue == near
    assert 0.3 <= hit.score <= 1
    assert hit.distance_m == pytest.approx(300, rel=0.02)
    assert hit.apart == pytest.approx(timedelta(days=2), abs=timedelta(seconds=5))


def test_nothing_is_found_past_the_distance(new_issue, settings):
    settings.DUPLICATE_DISTANCE_METERS = 500
    issue_at(north_m=520, days=-1)
    issue_at(north_m=5_000)
    assert found(new_issue) == []
    assert len(found(new_issue, meters=600)) == 1


def test_nothing_is_found_past_the_time_window(new_issue, settings):
    settings.DUPLICATE_WINDOW = timedelta(days=14)
    issue_at(north_m=10, days=-15)
    later = issue_at(north_m=10, days=13)  # filed after: a duplicate of this one
    assert found(new_issue) == [later]
    assert len(found(new_issue, window=timedelta(days=16))) == 2


def test_other_problems_and_ended_issues_are_not_found(new_issue):
    issue_at(OTHER, north_m=20)
    issue_at(north_m=20, status=Issue.Status.CLOSED)
    issue_at(north_m=20, status=Issue.Status.MERGED)
    assert found(new_issue) == []


def test_issues_without_a_place_are_compared_with_each_other():
    one = issue_at(TEXT, place=False)
    two = issue_at(place=False)
    issue_at(north_m=0)  # placed: not compared with a placeless issue
    assert found(one) == [two]


def test_the_most_alike_come_first():
    first = issue_at(TEXT)
    same = issue_at(TEXT, north_m=100)
    alike = issue_at(north_m=100)
    assert found(first) == [same, alike]


def test_cells_cover_the_whole_circle():
    for lat in (0.0, 39.9, 60.0, -33.9):
        cells = set(dup.cells_near(lat, 116.4, 500))
        for bearing in range(0, 360, 15):
            import math

            dlat = 499 * math.cos(math.radians(bearing)) / 110_574
            dlon = 499 * math.sin(math.radians(bearing)) / (111_320 * math.cos(math.radians(lat)))
            assert dup.cell_of(lat + dlat, 116.4 + dlon) in cells


def test_likeness_is_one_for_the_same_text_and_low_for_another():
    a = dup.as_array(dup.shingles(*TEXT))
    assert dup.likeness(a, a) == 1.0
    assert dup.likeness(a, dup.as_array(dup.shingles(*OTHER))) < 0.1
    assert dup.likeness(a, dup.as_array(dup.shingles("", ""))) == 0.0


def test_routing_indexes_a_new_issue_and_pairs_it_with_the_older_one(settings):
    older = issue_at(north_m=50, days=-1)
    newer = IssueFactory(title=TEXT[0], description=TEXT[1], lat=LAT, lon=LON, category=None)
    issue_route_task.delay(issue_id=newer.pk)  # pairs it once routed, as the worker does
    assert IssueTrace.objects.filter(issue=newer).exists()
    pair = DuplicateCandidate.objects.get()
    assert (pair.issue, pair.other) == (newer, older)
    assert pair.distance_m == pytest.approx(50, rel=0.05)


def test_the_api_answers_similar_issues_among_those_the_user_may_see(client):
    agency, elsewhere = AgencyFactory(), AgencyFactory()
    dispatcher = member(AgencyFactory(kind="dispatch_centre"))
    mine = issue_at(TEXT)
    visible = issue_at(north_m=30)
    hidden = issue_at(north_m=40)
    for issue, lead in ((mine, agency), (visible, agency), (hidden, elsewhere)):
        issue_dispatch(issue_id=issue.pk, lead=lead, actor=dispatcher)
    staff = member(agency)

    client.force_login(staff)
    answer = client.get(f"/api/v1/issues/{mine.pk}/similar/")
    assert answer.status_code == 200
    body = answer.json()
    assert [row["id"] for row in body] == [visible.pk]
    assert set(body[0]) == {
        "id",
        "tracking_number",
        "title",
        "status",
        "category",
        "created_at",
        "score",
        "distance_m",
        "hours_apart",
    }
    assert hidden.tracking_number not in answer.content.decode()
    assert client.get(f"/api/v1/issues/{hidden.pk}/similar/").status_code == 404
    assert client.get(f"/api/v1/issues/{mine.pk}/similar/?limit=0").status_code == 400

    client.force_login(dispatcher)
    ids = [row["id"] for row in client.get(f"/api/v1/issues/{mine.pk}/similar/").json()]
    assert sorted(ids) == sorted([visible.pk, hidden.pk])
    client.logout()
    assert client.get(f"/api/v1/issues/{mine.pk}/similar/").status_code == 403


def test_staff_propose_a_merge_and_the_dispatcher_merges_or_dismisses(client):
    agency = AgencyFactory()
    dispatcher = member(AgencyFactory(kind="dispatch_centre"))
    older = issue_at(north_m=30, days=-1)
    newer = issue_at(TEXT)
    third = issue_at(TEXT, north_m=60)
    for issue in (older, newer, third):
        issue_dispatch(issue_id=issue.pk, lead=agency, actor=dispatcher)
    staff = member(agency)

    client.force_login(staff)
    case = client.get(f"/staff/issues/{older.pk}/").content.decode()
    assert 'data-testid="case-similar"' in case and newer.tracking_number in case
    response = client.post(f"/staff/issues/{older.pk}/duplicates/{newer.pk}/propose/")
    assert response.status_code == 302
    pair = DuplicateCandidate.objects.get(issue=newer, other=older)  # the newer is the duplicate
    assert pair.proposed_by == staff

    client.force_login(dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert f'data-testid="candidate-{pair.pk}"' in page
    review = client.get(f"/staff/issues/{newer.pk}/duplicates/{older.pk}/")
    assert review.status_code == 200
    assert f'value="{newer.tracking_number}"' in review.content.decode()
    client.post("/dispatch/merge/", {"issue": newer.tracking_number, "into": older.tracking_number})
    newer.refresh_from_db()
    assert newer.status == Issue.Status.MERGED and newer.merged_into == older
    assert f'data-testid="candidate-{pair.pk}"' not in client.get("/dispatch/").content.decode()

    other_pair = DuplicateCandidate.objects.create(issue=third, other=older, score=0.5)
    client.post(f"/dispatch/duplicates/{other_pair.pk}/dismiss/")
    other_pair.refresh_from_db()
    assert other_pair.dismissed_by == dispatcher


def test_a_handler_cannot_review_a_pair_with_an_issue_it_may_not_see(client):
    agency = AgencyFactory()
    dispatcher = member(AgencyFactory(kind="dispatch_centre"))
    mine, theirs = issue_at(TEXT), issue_at(north_m=10)
    issue_dispatch(issue_id=mine.pk, lead=agency, actor=dispatcher)
    issue_dispatch(issue_id=theirs.pk, lead=AgencyFactory(), actor=dispatcher)
    client.force_login(member(agency))
    assert client.get(f"/staff/issues/{mine.pk}/duplicates/{theirs.pk}/").status_code == 404
    response = client.post(f"/staff/issues/{mine.pk}/duplicates/{theirs.pk}/propose/")
    assert response.status_code == 404
    assert not DuplicateCandidate.objects.exists()
    case = client.get(f"/staff/issues/{mine.pk}/").content.decode()
    assert theirs.tracking_number not in case


def test_the_dispatch_page_lists_a_triage_issues_duplicates(client):
    dispatcher = member(AgencyFactory(kind="dispatch_centre"))
    older = issue_at(north_m=30, days=-1, category=CategoryFactory())
    newer = IssueFactory(title=TEXT[0], description=TEXT[1], lat=LAT, lon=LON, category=None)
    issue_route_task.delay(issue_id=newer.pk)  # no rule: triage
    client.force_login(dispatcher)
    page = client.get("/dispatch/").content.decode()
    card = page[page.index(f'data-testid="similar-{newer.pk}"') :]
    assert older.tracking_number in card[: card.index("</ul>")]


def test_among_keeps_the_most_alike_the_user_may_see_up_to_the_limit(
    new_issue, settings, django_assert_num_queries
):
    settings.DUPLICATE_DISTANCE_METERS = 500
    alike = [issue_at(north_m=50 * (n + 1)) for n in range(4)]  # the same text, farther each
    hidden = Issue.objects.exclude(pk=alike[0].pk)  # the most alike is not the user's to see
    assert found(new_issue, among=hidden, limit=2) == alike[1:3]
    assert found(new_issue, among=hidden, limit=10) == alike[1:]
    assert found(new_issue, among=Issue.objects.none()) == []
    assert found(new_issue, limit=2) == alike[:2]
    # Nothing alike: the index alone is asked.
    other = issue_at(("公园长椅坏了", "公园东门的长椅断了一条腿。"), north_m=5000)
    with django_assert_num_queries(1):
        assert found(other, among=hidden) == []
