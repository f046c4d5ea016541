"""The call-takers' console: who may use it, answering on the spot, filing, the repeat
caller, the JSON it fetches as the operator types, and its API."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from coordination.desk.services import article_used, desk_answer, desk_file
from coordination.dispatch.models import Handoff
from issues.models import Issue, Update
from platform_gov.errors import WorkflowError
from tests.factories import AgencyFactory, AssignmentFactory, IssueFactory, UserFactory, member

pytestmark = pytest.mark.django_db

CALL = {
    "title": "公积金怎么提取",
    "description": "想问租房能不能提取公积金",
    "category": None,
    "address": "",
    "contact_name": "王先生",
    "contact_phone": "13900001111",
}


# ---------------------------------------------------------------------------- services


def test_answering_on_the_spot_records_a_closed_phone_issue_with_the_article(operator, article):
    issue = desk_answer(actor=operator, answer="", article_id=article.pk, **CALL)

    issue.refresh_from_db()
    assert issue.channel == Issue.Channel.PHONE
    assert issue.status == Issue.Status.CLOSED
    assert issue.answered_at_first_contact is True
    assert issue.resolution == article.answer  # the article's answer when none is typed
    assert article_used(issue) == article
    closing = issue.handoffs.get(kind=Handoff.Kind.CLOSED)
    assert closing.details["article_version"] == article.version
    assert not issue.assignments.exists()


def test_filing_routes_the_call_as_any_issue(operator):
    issue = desk_file(actor=operator, channel=Issue.Channel.LETTER, **CALL)
    issue.refresh_from_db()
    assert issue.channel == Issue.Channel.LETTER
    assert issue.status != Issue.Status.CLOSED  # routed (to triage: no rule here)
    assert issue.answered_at_first_contact is False


def test_only_operators_and_the_dispatcher_use_the_console(operator):
    with pytest.raises(WorkflowError):
        desk_file(actor=UserFactory(), **CALL)
    with pytest.raises(WorkflowError):
        desk_file(actor=operator, channel=Issue.Channel.OPEN311, **CALL)


# -------------------------------------------------------------------------- the page


def test_the_console_answers_on_the_spot_from_the_page(client, operator, article):
    client.force_login(operator)
    response = client.post(
        "/desk/",
        {**CALL, "category": "", "channel": "phone", "outcome": "answer", "article": article.pk},
    )
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert (issue.status, issue.answered_at_first_contact) == (Issue.Status.CLOSED, True)


def test_the_console_is_refused_to_others(client):
    client.force_login(UserFactory())
    assert client.get("/desk/").status_code == 403
    assert client.get("/desk/caller.json", {"phone": "13900001111"}).status_code == 403


def test_the_callers_number_brings_up_their_issues_and_a_follow_up_reminds_handlers(
    client, operator, django_capture_on_commit_callbacks
):
    water = AgencyFactory(code="water")
    member(water)  # gets the reminder by e-mail
    open_issue = IssueFactory(contact_phone="13900001111", status=Issue.Status.DISPATCHED)
    AssignmentFactory(issue=open_issue, agency=water)
    IssueFactory(contact_phone="13900001111", status=Issue.Status.CLOSED)
    IssueFactory(contact_phone="13700000000")
    client.force_login(operator)

    body = client.get("/desk/caller.json", {"phone": "139-0000-1111"}).json()
    assert [i["open"] for i in body["issues"]] == [False, True]  # newest first
    assert body["issues"][1]["id"] == open_issue.pk

    mail.outbox.clear()
    url = body["issues"][1]["follow_up_url"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"note": "又打来问进度"}).status_code == 302
    note = open_issue.handoffs.get(kind=Handoff.Kind.REMINDED)
    assert (note.note, note.actor) == ("又打来问进度", operator)
    assert open_issue.updates.filter(kind=Update.Kind.FOLLOW_UP).exists()
    assert Issue.objects.count() == 3  # a follow-up, not a new issue
    assert any(open_issue.tracking_number in m.subject for m in mail.outbox)


def test_a_follow_up_on_a_closed_issue_is_refused(client, operator):
    closed = IssueFactory(status=Issue.Status.CLOSED)
    client.force_login(operator)
    client.post(f"/desk/issues/{closed.pk}/follow-up/", {"note": "again"})
    assert not closed.handoffs.filter(kind=Handoff.Kind.REMINDED).exists()


def test_similar_open_issues_appear_as_the_operator_types(client, operator):
    same = IssueFactory(title="小区电梯坏了", description="电梯停运三天", status="dispatched")
    IssueFactory(title="小区电梯坏了", status=Issue.Status.CLOSED)
    IssueFactory(title="路灯不亮", status="dispatched")
    client.force_login(operator)
    body = client.get("/desk/similar.json", {"title": "电梯坏了", "description": ""}).json()
    assert [i["id"] for i in body["issues"]] == [same.pk]


def test_the_operator_sees_internal_answers_as_they_type(client, operator, article):
    client.force_login(operator)
    body = client.get("/knowledge/suggest.json", {"q": "公积金提取"}).json()
    assert [r["id"] for r in body["results"]] == [article.pk]


# ------------------------------------------------------------------------------ API


def test_the_api_gives_caller_history_and_records_an_answer_on_the_spot(operator, article):
    IssueFactory(contact_phone="13900001111")
    client = APIClient()
    client.force_authenticate(operator)
    history = client.get("/api/v1/desk/callers/", {"phone": "13900001111"}).json()
    assert len(history) == 1

    response = client.post(
        "/api/v1/desk/answers/",
        {"contact_phone": "13900001111", "title": "公积金", "article": article.pk},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "closed" and body["answered_at_first_contact"] is True
    assert body["resolution"] == article.answer

    client.force_authenticate(UserFactory())
    assert client.get("/api/v1/desk/callers/", {"phone": "13900001111"}).status_code == 403


@pytest.mark.parametrize("article_id", [0, -5, 2**63, -9317201245499463680])
def test_an_article_id_out_of_range_is_a_field_error_not_a_crash(operator, article_id):
    client = APIClient()
    client.force_authenticate(operator)
    response = client.post(
        "/api/v1/desk/answers/",
        {"contact_phone": "13900001111", "title": "公积金", "article": article_id},
        format="json",
    )
    assert response.status_code == 400
    assert "article" in response.json()
