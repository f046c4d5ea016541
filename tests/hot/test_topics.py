"""Topics (专题): membership (promoted, picked, proposed and confirmed), every step on the
record, who sees what (participants see the topic and its issues' public part, nothing more;
contact rules unchanged), the queue, and the resident's view until the topic is done."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from coordination.dispatch.permissions import issues_visible_to
from coordination.hot.models import HotMember, Support, Topic, TopicEvent, TopicMember
from coordination.hot.selectors import issue_hot_facts, issue_hot_marks, issue_public_topics
from coordination.hot.services import topics
from coordination.hot.services.supports import support_add
from issues.selectors import issue_tracked
from platform_gov.errors import WorkflowError

from .fixtures import LIFT_QINGSONG, RUBBISH_QINGSONG


@pytest.fixture
def rubbish(city, file):
    return [file(pair, day=i * 0.3) for i, pair in enumerate(RUBBISH_QINGSONG)]


@pytest.fixture
def topic(city, rubbish, django_capture_on_commit_callbacks):
    hot = HotMember.objects.get(issue=rubbish[0]).hot_issue
    with django_capture_on_commit_callbacks(execute=True):
        return topics.topic_create(
            actor=city.dispatcher,
            title="青松苑垃圾站搬迁",
            goal="把北门垃圾站搬离住宅楼，每日清运。",
            lead=city.street,
            participants=[city.sanitation, city.league, city.utility],
            due_on=date(2024, 7, 1),
            hot_issue=hot,
            milestones=[("选址", date(2024, 5, 20))],
        )


def kinds(topic) -> list[str]:
    return list(topic.events.order_by("at", "id").values_list("kind", flat=True))


def test_promoting_a_hot_issue_makes_its_complaints_the_members(topic, rubbish, city):
    members = TopicMember.objects.filter(topic=topic, status=TopicMember.Status.CONFIRMED)
    assert {m.issue_id for m in members} == {i.pk for i in rubbish}
    assert set(topic.participants.all()) == {city.sanitation, city.league, city.utility}
    assert topic.hot_issues.count() == 1
    assert kinds(topic) == [
        "created",
        *["participant_added"] * 3,
        *["member_added"] * 3,
        "milestone_added",
    ]


def test_the_residents_of_the_members_are_told_their_report_is_part_of_the_effort(
    city, file, django_capture_on_commit_callbacks
):
    reported = file(RUBBISH_QINGSONG[0], contact_email="resident@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        topics.topic_create(
            actor=city.dispatcher,
            title="青松苑垃圾站搬迁",
            goal="搬离住宅楼。",
            lead=city.street,
            issues=[reported],
        )
    (told,) = [m for m in mail.outbox if m.to == ["resident@example.org"]]
    assert reported.tracking_number in told.subject
    assert f"/track/{reported.access_token}/" in told.body


def test_a_new_complaint_of_the_hot_issue_is_proposed_and_joins_when_confirmed(
    topic, city, file, django_capture_on_commit_callbacks
):
    late = file(("青松苑小区北门垃圾站又臭了", "北门垃圾站今天又臭气熏天。"), day=2)
    proposal = TopicMember.objects.get(topic=topic, issue=late)
    assert proposal.status == TopicMember.Status.PROPOSED
    assert proposal.source == TopicMember.Source.MATCHED
    assert "member_proposed" in kinds(topic)

    with django_capture_on_commit_callbacks(execute=True):
        topics.topic_member_decide(
            topic_id=topic.pk, issue_id=late.pk, actor=city.dispatcher, confirm=True
        )
    assert TopicMember.objects.get(pk=proposal.pk).status == TopicMember.Status.CONFIRMED
    with pytest.raises(WorkflowError):  # decided already
        topics.topic_member_decide(
            topic_id=topic.pk, issue_id=late.pk, actor=city.dispatcher, confirm=False
        )


def test_another_problem_is_not_proposed(topic, city, file):
    lift = file(LIFT_QINGSONG, day=2)
    assert not TopicMember.objects.filter(issue=lift).exists()


def test_progress_milestones_and_completion_are_on_the_record(
    topic, city, rubbish, django_capture_on_commit_callbacks
):
    milestone = topic.milestones.get()
    topics.topic_note(
        topic_id=topic.pk,
        actor=city.sanitation_staff,
        agency=city.sanitation,
        note="新站址已勘察。",
        public=True,
    )
    topics.milestone_done(milestone_id=milestone.pk, actor=city.street_staff, agency=city.street)
    with pytest.raises(WorkflowError):
        topics.milestone_done(
            milestone_id=milestone.pk, actor=city.street_staff, agency=city.street
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        topics.topic_complete(topic_id=topic.pk, actor=city.dispatcher, summary="垃圾站已搬迁。")
    done = Topic.objects.get(pk=topic.pk)
    assert done.status == Topic.Status.DONE and done.completed_at
    with pytest.raises(WorkflowError):
        topics.topic_note(
            topic_id=topic.pk, actor=city.dispatcher, agency=None, note="again", public=False
        )
    assert kinds(topic)[-3:] == ["note", "milestone_done", "completed"]
    # The record is append-only.
    event = topic.events.first()
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        TopicEvent.objects.filter(topic=topic).update(note="")


def test_the_tracking_page_shows_the_effort_and_then_its_outcome(
    topic, rubbish, city, client, django_capture_on_commit_callbacks
):
    url = f"/track/{rubbish[1].access_token}/"
    page = client.get(url).content.decode()
    assert 'data-testid="track-topic"' in page
    assert "青松苑垃圾站搬迁" in page and "把北门垃圾站搬离住宅楼" in page
    assert 'data-testid="track-topic-done"' not in page
    topics.topic_note(
        topic_id=topic.pk, actor=city.dispatcher, agency=None, note="内部：预算待批", public=False
    )
    topics.topic_note(
        topic_id=topic.pk,
        actor=city.dispatcher,
        agency=city.street,
        note="新站址已确定",
        public=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        topics.topic_complete(topic_id=topic.pk, actor=city.dispatcher, summary="垃圾站已搬迁。")
    page = client.get(url).content.decode()
    assert 'data-testid="track-topic-done"' in page and "垃圾站已搬迁" in page
    assert "新站址已确定" in page
    assert "内部：预算待批" not in page  # internal notes stay with the organisations


def test_the_residents_are_told_when_the_topic_is_done(
    city, file, django_capture_on_commit_callbacks
):
    issues = [
        file(pair, day=i * 0.3, contact_email=f"r{i}@example.org")
        for i, pair in enumerate(RUBBISH_QINGSONG)
    ]
    topic = topics.topic_create(
        actor=city.dispatcher, title="垃圾站", goal="搬迁", lead=city.street, issues=issues
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        topics.topic_complete(topic_id=topic.pk, actor=city.dispatcher, summary="已搬迁。")
    told = sorted(address for m in mail.outbox for address in m.to)
    assert told == ["r0@example.org", "r1@example.org", "r2@example.org"]
    assert all("已搬迁" in m.body for m in mail.outbox)


# ------------------------------------------------------------------------ who sees what


def test_participants_see_the_topic_and_its_issues_public_part_nothing_more(
    topic, rubbish, city, client
):
    client.force_login(city.league_staff)  # a mass organisation taking part
    page = client.get(f"/hot/topics/{topic.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert rubbish[0].title in text
    for issue in rubbish:
        assert issue.description[:15] not in text
        assert issue.contact_phone not in text
        assert issue.tracking_number not in text
        assert f"/staff/issues/{issue.pk}/" not in text  # no way into the cases
        assert client.get(f"/staff/issues/{issue.pk}/").status_code == 404
    assert not issues_visible_to(city.league_staff).exists()
    assert 'name="note"' in text  # and they report progress
    # They are not the board's audience, and cannot steer the topic.
    assert client.get("/hot/").status_code == 403
    assert client.get(f"/hot/{topic.hot_issues.get().pk}/").status_code == 403
    answer = client.post(f"/hot/topics/{topic.pk}/complete/", {"summary": "done"})
    assert answer.status_code == 404
    assert Topic.objects.get(pk=topic.pk).is_active


def test_the_lead_sees_its_own_cases_as_before(topic, rubbish, city, client):
    from coordination.dispatch.services.routing import issue_dispatch
    from issues.models import Issue

    Issue.objects.filter(pk=rubbish[0].pk).update(status=Issue.Status.TRIAGE)
    issue_dispatch(issue_id=rubbish[0].pk, lead=city.street, actor=city.dispatcher)
    client.force_login(city.street_staff)
    text = client.get(f"/hot/topics/{topic.pk}/").content.decode()
    assert f"/staff/issues/{rubbish[0].pk}/" in text  # its own case: the way in stays
    assert f"/staff/issues/{rubbish[1].pk}/" not in text  # the others: their public part


def test_outsiders_and_residents_do_not_see_the_topic(topic, city, client):
    for user in (city.housing_staff, city.resident):
        client.force_login(user)
        assert client.get(f"/hot/topics/{topic.pk}/").status_code == 404
        assert client.get(f"/api/v1/topics/{topic.pk}/").status_code == 404
        assert topic.pk not in [t["id"] for t in client.get("/api/v1/topics/").json()["results"]]


def test_participants_see_the_topic_in_their_queue(topic, city, client):
    client.force_login(city.sanitation_staff)
    queue = client.get("/staff/").content.decode()
    assert 'data-testid="queue-topics"' in queue and "青松苑垃圾站搬迁" in queue
    client.force_login(city.housing_staff)
    assert 'data-testid="queue-topics"' not in client.get("/staff/").content.decode()


def test_the_dispatcher_steers_the_topic_through_the_pages(topic, rubbish, city, client, file):
    client.force_login(city.dispatcher)
    other = file(LIFT_QINGSONG, day=1)
    client.post(f"/hot/topics/{topic.pk}/issues/", {"issues": other.tracking_number})
    assert TopicMember.objects.filter(topic=topic, issue=other, source="picked").exists()
    client.post(
        f"/hot/topics/{topic.pk}/participants/",
        {"add": [city.housing.pk], "remove": [city.utility.pk], "note": "电梯"},
    )
    assert set(topic.participants.all()) == {city.sanitation, city.league, city.housing}
    client.post(f"/hot/topics/{topic.pk}/members/{other.pk}/remove/", {"note": "另一个问题"})
    assert TopicMember.objects.get(topic=topic, issue=other).status == "rejected"
    client.post(f"/hot/topics/{topic.pk}/complete/", {"summary": "完成"})
    client.post(f"/hot/topics/{topic.pk}/reopen/", {"reason": "又臭了"})
    assert Topic.objects.get(pk=topic.pk).is_active
    assert kinds(topic)[-6:] == [
        "member_added",
        "participant_added",
        "participant_removed",
        "member_removed",
        "completed",
        "reopened",
    ]


def test_the_dispatcher_promotes_a_hot_issue_from_its_page(rubbish, city, client):
    client.force_login(city.dispatcher)
    hot = HotMember.objects.get(issue=rubbish[0]).hot_issue
    page = client.get(f"/hot/{hot.pk}/")
    assert page.status_code == 200 and 'data-testid="promote"' in page.content.decode()
    answer = client.post(
        f"/hot/{hot.pk}/promote/",
        {
            "title": "垃圾站",
            "goal": "搬迁",
            "lead": city.street.pk,
            "participants": [city.sanitation.pk],
            "milestone": "选址",
            "milestone_due_on": "2024-06-01",
        },
    )
    topic = Topic.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/hot/topics/{topic.pk}/"
    assert topic.members.count() == 3 and topic.milestones.count() == 1


def test_the_api_creates_and_reads_topics(rubbish, city, client):
    client.force_login(city.dispatcher)
    made = client.post(
        "/api/v1/topics/",
        {
            "title": "垃圾站",
            "goal": "搬迁",
            "lead": city.street.code,
            "participants": [city.league.code],
            "issues": [rubbish[0].pk],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["lead"] == city.street.code and body["role"] == "dispatcher"
    assert body["members"][0]["issue"] == rubbish[0].pk
    client.force_login(city.league_staff)
    seen = client.get(f"/api/v1/topics/{body['id']}/").json()
    assert seen["role"] == "participant"
    assert seen["members"][0]["issue"] is None  # the public part only
    assert seen["proposals"] == []
    note = client.post(
        f"/api/v1/topics/{body['id']}/notes/",
        {"note": "志愿者已到位", "public": True},
        content_type="application/json",
    )
    assert note.status_code == 201
    assert note.json()["events"][0]["agency"] == city.league.code


@pytest.mark.parametrize("issue_id", [0, 2**63, -9317201245499463680])
def test_deciding_on_an_issue_id_out_of_range_is_a_field_error(topic, city, client, issue_id):
    """Schemathesis found a 500 here (an id past 64 bits reached the database)."""
    client.force_login(city.dispatcher)
    response = client.post(
        f"/api/v1/topics/{topic.pk}/decide/",
        {"issue": issue_id, "confirm": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "issue" in response.json()


def test_a_case_s_hot_facts_cost_one_query_for_an_issue_in_no_hot_issue_nor_topic(
    topic, rubbish, city, file, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for phone in ("13900000001", "13900000002"):
        with django_capture_on_commit_callbacks(execute=True):
            support_add(issue_id=rubbish[1].pk, phone=phone)
    latest = Support.objects.filter(issue=rubbish[1]).latest("created_at", "pk").created_at
    # In a hot issue and a topic: both named, as the case page shows them.
    facts = issue_hot_facts(rubbish[1])
    assert facts.hot is not None
    assert facts.hot.pk == HotMember.objects.get(issue=rubbish[1]).hot_issue_id
    assert [t.pk for t in facts.topics] == [topic.pk]
    assert facts.topics[0].lead == city.street
    assert (facts.supports, facts.latest_support) == (2, latest)
    marks = issue_hot_marks(rubbish[1])
    assert (marks.supports, marks.latest_support, marks.in_topic) == (2, latest, True)
    # Read in the issue's own statement, as the tracking page does: the same marks.
    tracked = issue_tracked(token=rubbish[1].access_token)
    assert issue_hot_marks(tracked) == marks
    # Another problem, in neither: one query, and nothing to show.
    lone = file(LIFT_QINGSONG, day=1)
    TopicMember.objects.filter(issue=lone).delete()
    HotMember.objects.filter(issue=lone).delete()
    with django_assert_num_queries(1):
        facts = issue_hot_facts(lone)
    assert (facts.supports, facts.latest_support, facts.hot, facts.topics) == (0, None, None, [])
    with django_assert_num_queries(1):
        assert issue_public_topics(lone, marks=issue_hot_marks(lone)) == []
    tracked = issue_tracked(token=lone.access_token)
    with django_assert_num_queries(0):
        marks = issue_hot_marks(tracked)
        assert issue_public_topics(tracked, marks=marks) == []
    assert (marks.supports, marks.hot_issue_id, marks.in_topic) == (0, None, False)
