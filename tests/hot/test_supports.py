""" "Me too": one support per resident and issue, counted in the heat, shown to handlers, and
offered on the public page and on the report form ("is it one of these nearby?")."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from coordination.hot.models import HotIssue, HotMember, Support
from coordination.hot.services.supports import support_add
from issues.models import Issue
from platform_gov.errors import WorkflowError
from tests.factories import UserFactory

from .conftest import EAST, EAST_NEAR, WEST
from .fixtures import CHINA, RUBBISH_HONGFENG, RUBBISH_QINGSONG


@pytest.fixture
def rubbish(city, file):
    return [file(pair, day=i * 0.3) for i, pair in enumerate(RUBBISH_QINGSONG)]


def support(issue, django_capture_on_commit_callbacks, **who):
    with django_capture_on_commit_callbacks(execute=True):
        return support_add(issue_id=issue.pk, **who)


def test_a_resident_is_counted_once_by_account(rubbish, city, django_capture_on_commit_callbacks):
    support(rubbish[0], django_capture_on_commit_callbacks, user=city.resident)
    with pytest.raises(WorkflowError) as refused:
        support(rubbish[0], django_capture_on_commit_callbacks, user=city.resident)
    assert refused.value.code == "supported_already"
    assert Support.objects.filter(issue=rubbish[0]).count() == 1


def test_a_resident_is_counted_once_by_phone_however_it_is_written(
    rubbish, django_capture_on_commit_callbacks
):
    support(rubbish[0], django_capture_on_commit_callbacks, phone="139 1234 5678")
    for again in ("13912345678", "+86 139-1234-5678"):
        with pytest.raises(WorkflowError):
            support(rubbish[0], django_capture_on_commit_callbacks, phone=again)
    # Another issue may be supported by the same resident.
    support(rubbish[1], django_capture_on_commit_callbacks, phone="13912345678")
    assert Support.objects.count() == 2
    # Only a keyed hash is kept, never the number.
    assert all("1234" not in s.contact_key for s in Support.objects.all())


def test_an_anonymous_visitor_must_give_a_contact(rubbish, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as refused:
        support(rubbish[0], django_capture_on_commit_callbacks)
    assert "contact" in refused.value.message_dict


def test_the_reporter_cannot_support_their_own_report(
    rubbish, city, django_capture_on_commit_callbacks
):
    own = rubbish[0]
    with pytest.raises(WorkflowError) as refused:
        support(own, django_capture_on_commit_callbacks, phone=own.contact_phone)
    assert refused.value.code == "own_issue"


def test_an_anonymous_report_cannot_be_supported(city, file, django_capture_on_commit_callbacks):
    hidden = file(RUBBISH_HONGFENG, anonymous=True)
    with pytest.raises(Issue.DoesNotExist):
        support(hidden, django_capture_on_commit_callbacks, user=city.resident)


@pytest.mark.parametrize("why", ["kept private", "private category"])
def test_what_the_publication_policy_keeps_private_has_no_public_page_and_no_support(
    city, file, client, why, django_capture_on_commit_callbacks
):
    hidden = file(RUBBISH_HONGFENG, keep_private=why == "kept private")
    if why == "private category":
        type(hidden.category).objects.filter(pk=hidden.category_id).update(private=True)
    assert client.get(f"/public/issues/{hidden.pk}/").status_code == 404
    with pytest.raises(Issue.DoesNotExist):
        support(hidden, django_capture_on_commit_callbacks, user=city.resident)


def test_a_support_of_a_merged_report_counts_for_the_issue_it_joined(
    rubbish, city, django_capture_on_commit_callbacks
):
    duplicate, survivor = rubbish[1], rubbish[0]
    Issue.objects.filter(pk=duplicate.pk).update(status=Issue.Status.MERGED, merged_into=survivor)
    made = support(duplicate, django_capture_on_commit_callbacks, user=city.resident)
    assert made.issue_id == survivor.pk


def test_supports_count_in_the_heat_of_the_hot_issue(
    rubbish, city, django_capture_on_commit_callbacks
):
    hot = HotIssue.objects.get(pk=HotMember.objects.get(issue=rubbish[0]).hot_issue_id)
    # Heat is measured as of the moment: supports come soon after the complaints here.
    with time_machine.travel(hot.measured_at, tick=False):
        for phone in ("13900000001", "13900000002", "13900000003"):
            support(rubbish[1], django_capture_on_commit_callbacks, phone=phone)
    warmer = HotIssue.objects.get(pk=hot.pk)
    assert warmer.supports == 3
    assert HotMember.objects.get(issue=rubbish[1]).supports == 3
    # ln(1 + 3) more, less a sliver of decay: supports weigh less than people who write.
    assert warmer.heat == pytest.approx(hot.heat + math.log1p(3), rel=0.02)


def test_handlers_see_the_supports_on_the_case_page(
    rubbish, city, client, django_capture_on_commit_callbacks
):
    support(rubbish[0], django_capture_on_commit_callbacks, user=city.resident)
    support(rubbish[0], django_capture_on_commit_callbacks, phone="13900000009")
    client.force_login(city.dispatcher)
    page = client.get(f"/staff/issues/{rubbish[0].pk}/")
    assert page.status_code == 200
    panel = page.content.decode()
    assert 'data-testid="case-supports"' in panel
    assert "2" in panel.split('data-testid="case-supports"')[1][:200]


# ------------------------------------------------------------------ the public page


def test_the_public_page_shows_the_public_part_only(rubbish, client):
    issue = rubbish[0]
    page = client.get(f"/public/issues/{issue.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert issue.title in text
    assert "East Street" in text or "东街道" in text  # the area, not the place
    for private in (issue.description[:20], issue.contact_phone, issue.access_token):
        assert private not in text
    assert str(EAST[0]) not in text


def test_me_too_from_the_public_page_counts_once(
    rubbish, client, django_capture_on_commit_callbacks
):
    url = f"/public/issues/{rubbish[2].pk}/support/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"phone": "13911112222"})
        again = client.post(url, {"phone": "139-1111-2222"})
    assert first.status_code == again.status_code == 302
    assert Support.objects.filter(issue=rubbish[2]).count() == 1
    page = client.get(f"/public/issues/{rubbish[2].pk}/")
    assert 'data-testid="supports"' in page.content.decode()


def test_me_too_from_the_report_form_answers_json(rubbish, client):
    url = f"/public/issues/{rubbish[2].pk}/support/"
    answer = client.post(url, {"email": "Neighbour@Example.org"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    assert answer.json()["supports"] == 1
    again = client.post(url, {"email": "neighbour@example.org"}, HTTP_ACCEPT="application/json")
    assert again.status_code == 409
    assert Support.objects.get().via == Support.Via.FORM


# ------------------------------------------------------------ "is it one of these?"


def test_nearby_lists_open_public_issues_near_the_place_most_alike_first(city, file, client):
    rubbish = file(RUBBISH_QINGSONG[0], day=0)
    other = file(("路灯坏了", "东街道路灯不亮。"), day=0.1, place=EAST_NEAR)
    file(RUBBISH_QINGSONG[1], day=0.2, place=WEST)  # 40 km away
    file(RUBBISH_QINGSONG[2], day=0.3, anonymous=True)  # not public

    with time_machine.travel(datetime(2024, 5, 2, tzinfo=CHINA), tick=False):
        answer = client.get(
            "/public/nearby/", {"lat": EAST[0], "lon": EAST[1], "q": "垃圾站臭气熏天"}
        )
        api = client.get("/api/v1/public/nearby/", {"lat": EAST[0], "lon": EAST[1], "q": "垃圾站"})
        later = timezone.now() + timedelta(days=40)
    results = answer.json()["results"]
    assert [r["id"] for r in results] == [rubbish.pk, other.pk]
    assert results[0]["within_m"] == 100
    assert "description" not in results[0]
    assert [r["id"] for r in api.json()] == [rubbish.pk, other.pk]
    with time_machine.travel(later, tick=False):
        assert client.get("/public/nearby/", {"lat": EAST[0], "lon": EAST[1]}).json() == {
            "results": []
        }


def test_nearby_without_a_place_answers_nothing(client, db):
    assert client.get("/public/nearby/", {"lat": "x"}).json() == {"results": []}
    assert client.get("/api/v1/public/nearby/", {"lat": "x"}).status_code == 400


def test_the_report_form_offers_the_lookup_and_the_tracking_page_the_count(
    rubbish, city, client, django_capture_on_commit_callbacks
):
    form = client.get("/report/").content.decode()
    assert 'data-testid="nearby-panel"' in form and "hot/nearby.js" in form
    support(rubbish[0], django_capture_on_commit_callbacks, user=UserFactory())
    track = client.get(f"/track/{rubbish[0].access_token}/").content.decode()
    assert 'data-testid="track-supports"' in track
