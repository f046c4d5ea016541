"""Open311 publishes only what the publication policy allows (``issues.publication``), and
answers as the GeoReport v2 specification says where independent clients found it did not.

Each test here failed before the fix it names: the full description, the typed address and
the exact point of every issue (anonymous and private ones too) were published, residents'
reopen reasons were published word for word, and several answers broke the specification.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.geometry import rectangle
from agencies.models import Agency, Area
from coordination.dispatch.models import Assignment
from coordination.dispatch.services import assignments
from coordination.open311.services import api_key_create
from issues.models import Category, CategoryQuestion, Issue, Update
from issues.services import issue_reopen, issue_submit
from platform_gov.logging import RedactPersonalData, redact
from tests.factories import AgencyFactory, AreaFactory, CategoryFactory, member, routing_rule

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
DESCRIPTION = (
    "我叫王秀英，电话13912345678，住清河小区3号楼2单元501室。楼下饭店油烟很大，每天晚上都有。"
)


@pytest.fixture(autouse=True)
def city(db):
    AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)
    lead = AgencyFactory(code="env", name_zh="生态环境局")
    smoke = CategoryFactory(code="smoke", name_zh="油烟", service_code="SMOKE")
    wages = CategoryFactory(code="wages", name_zh="欠薪", service_code="WAGES", private=True)
    routing_rule(category=smoke, lead=lead)
    routing_rule(category=wages, lead=lead)
    AreaFactory(
        code="qinghe",
        name_zh="清河街道",
        name_en="Qinghe Street",
        level=Area.Level.STREET,
        geometry=rectangle(116.3, 39.9, 116.5, 40.1),
    )
    return {"lead": lead, "smoke": smoke, "wages": wages}


def file(category, capture, **fields) -> Issue:
    values = {
        "title": "饭店油烟扰民",
        "description": DESCRIPTION,
        "category": category,
        "lat": 39.987654,
        "lon": 116.345678,
        "address": "清河小区3号楼2单元501室",
        "contact_name": "王秀英",
        "contact_phone": "13912345678",
        **fields,
    }
    with capture(execute=True):
        issue = issue_submit(**values)
    issue.refresh_from_db()
    return issue


def listed(client, path="requests.json", **params) -> dict[str, dict]:
    response = client.get(f"{BASE}/{path}", params)
    assert response.status_code == 200, response.content
    key = "service_request_id"
    return {row[key]: row for row in response.json()}


# ----------------------------------------------------------------------------- requests


def test_a_request_shows_the_scrubbed_summary_the_area_and_a_rounded_point(
    client, city, django_capture_on_commit_callbacks
):
    issue = file(city["smoke"], django_capture_on_commit_callbacks)

    row = listed(client)[issue.tracking_number]
    one = client.get(f"{BASE}/requests/{issue.tracking_number}.json").json()[0]

    assert row == one
    assert "楼下饭店油烟很大" in row["description"]
    for secret in ("王秀英", "13912345678", "501", "3号楼"):
        assert secret not in row["description"]
    assert row["address"] == "清河街道"  # the area, not the address typed
    assert (row["lat"], row["long"]) == (39.988, 116.346)


@pytest.mark.parametrize(
    "fields",
    [{"anonymous": True}, {"keep_private": True}, {"category": "wages"}],
    ids=["anonymous", "kept-private", "private-category"],
)
def test_an_unpublishable_issue_is_in_no_open311_answer(
    client, city, django_capture_on_commit_callbacks, fields
):
    if "category" in fields:
        fields = {**fields, "category": city["wages"]}
    category = fields.pop("category", city["smoke"])
    issue = file(category, django_capture_on_commit_callbacks, **fields)

    assert issue.tracking_number not in listed(client)
    assert issue.tracking_number not in listed(client, service_request_id=issue.tracking_number)
    assert client.get(f"{BASE}/requests/{issue.tracking_number}.json").status_code == 404
    assert client.get(f"{BASE}/requests/{issue.tracking_number}.xml").status_code == 404
    updates = client.get(f"{BASE}/servicerequestupdates.json").json()
    assert issue.tracking_number not in {u["service_request_id"] for u in updates}


def test_the_residents_words_are_never_in_the_updates(
    client, city, django_capture_on_commit_callbacks
):
    issue = file(city["smoke"], django_capture_on_commit_callbacks)
    lead = issue.assignments.get(role=Assignment.Role.LEAD)
    staff = member(city["lead"], username="staff_env")
    with django_capture_on_commit_callbacks(execute=True):
        assignments.assignment_accept(assignment_id=lead.pk, actor=staff)
        assignments.assignment_resolve(assignment_id=lead.pk, actor=staff, resolution="已处理")
        issue_reopen(issue_id=issue.pk, reason="还是有油烟，我是王秀英，电话13912345678")

    text = client.get(f"{BASE}/servicerequestupdates.json").content.decode()

    assert "还是有油烟" not in text and "王秀英" not in text and "13912345678" not in text
    assert Update.objects.filter(issue=issue, kind=Update.Kind.REOPENED).exists()


def test_only_replies_and_resolutions_staff_published_reach_open311(
    client, city, django_capture_on_commit_callbacks
):
    issue = file(city["smoke"], django_capture_on_commit_callbacks)
    lead = issue.assignments.get(role=Assignment.Role.LEAD)
    staff = APIClient()
    staff.force_authenticate(member(city["lead"], username="staff_env"))
    base = f"/api/v1/assignments/{lead.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        for body in (
            {"message": "王女士您好，我们明天上门。", "public": True},
            {"message": "已约谈饭店，限期安装净化器。", "public": True, "published": True},
            {"message": "内部：饭店老板是区里的亲戚", "public": False},
        ):
            assert staff.post(f"{base}/reply/", body, format="json").status_code == 200
        assert staff.post(f"{base}/accept/").status_code == 200
        resolved = staff.post(
            f"{base}/resolve/",
            {"resolution": "饭店已安装油烟净化器。", "published": True},
            format="json",
        )
        assert resolved.status_code == 200
    assert (
        staff.post(
            f"{base}/reply/", {"message": "x", "public": False, "published": True}, format="json"
        ).status_code
        == 400
    )

    updates = [
        u
        for u in client.get(f"{BASE}/servicerequestupdates.json").json()
        if u["service_request_id"] == issue.tracking_number
    ]
    text = " ".join(u["description"] for u in updates)

    assert "已约谈饭店，限期安装净化器。" in text
    assert "饭店已安装油烟净化器。" in text
    assert "我们明天上门" not in text and "内部" not in text
    assert listed(client)[issue.tracking_number]["status_notes"] == "饭店已安装油烟净化器。"


def test_the_dispatcher_approves_a_summary_and_can_withhold_an_issue(
    client, city, django_capture_on_commit_callbacks
):
    issue = file(city["smoke"], django_capture_on_commit_callbacks)
    dispatcher = APIClient()
    dispatcher.force_authenticate(
        member(Agency.objects.get(code="dispatch"), username="dispatcher")
    )
    staff = APIClient()
    staff.force_authenticate(member(city["lead"], username="staff_env"))
    path = f"/api/v1/issues/{issue.pk}/publication/"

    preview = staff.get(path).json()
    assert preview["published"] is True and "王秀英" not in preview["summary"]
    assert staff.post(path, {"public_summary": "x"}, format="json").status_code == 404

    approved = dispatcher.post(path, {"public_summary": "清河小区一饭店油烟扰民。"}, format="json")
    assert approved.status_code == 200, approved.content
    assert listed(client)[issue.tracking_number]["description"] == "清河小区一饭店油烟扰民。"

    withheld = dispatcher.post(path, {"keep_private": True}, format="json")
    assert withheld.json()["refusal"] == "kept_private"
    assert issue.tracking_number not in listed(client)
    again = dispatcher.post(path, {"keep_private": False}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "kept_private"


# ----------------------------------------------------------------------------- conformance


def test_discovery_url_has_no_trailing_slash_so_clients_can_append_paths(client):
    endpoint = client.get(f"{BASE}/discovery.json").json()["endpoints"][0]
    assert not endpoint["url"].endswith("/")
    path = endpoint["url"].removeprefix("http://testserver")
    assert client.get(f"{path}/services.xml").status_code == 200


def test_the_changeset_moves_when_a_category_or_its_questions_change(client, city):
    def changeset() -> str:
        return client.get(f"{BASE}/discovery.json").json()["changeset"]

    first = changeset()
    Category.objects.filter(pk=city["smoke"].pk).update(updated_at="2030-01-01T00:00:00+08:00")
    second = changeset()
    question = CategoryQuestion.objects.create(
        category=city["smoke"], code="when", question_zh="何时", datatype="string"
    )
    CategoryQuestion.objects.filter(pk=question.pk).update(updated_at="2031-01-01T00:00:00+08:00")
    third = changeset()
    assert first < second < third
    assert third.startswith("2031-01-01")


@pytest.fixture
def key(db):
    return api_key_create(name="Partner app")[1]


def test_an_unknown_service_code_on_post_is_404(city, key):
    response = Client().post(
        f"{BASE}/requests.json",
        {"api_key": key, "service_code": "NOPE", "lat": "39.9", "long": "116.4"},
    )
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    assert not Issue.objects.exists()


def test_address_id_alone_is_a_location_and_media_url_is_kept(
    client, city, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}/requests.json",
            {
                "api_key": key,
                "service_code": "SMOKE",
                "address_id": "QH-000731",
                "description": "Smoke from the restaurant.",
                "media_url": "https://partner.example/photos/1.jpg",
            },
        )
    assert response.status_code == 200, response.content
    issue = Issue.objects.get()
    assert "QH-000731" in issue.address
    assert issue.media_url == "https://partner.example/photos/1.jpg"
    row = listed(client)[issue.tracking_number]
    assert row["media_url"] == "https://partner.example/photos/1.jpg"


def test_the_api_key_may_come_in_a_header_and_is_redacted_from_logs(client, city, key):
    response = client.post(
        f"{BASE}/requests.json",
        {"service_code": "SMOKE", "address_string": "x"},
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 200, response.content
    line = f'"POST /open311/v2/requests.json?api_key={key}&jurisdiction_id=qh HTTP/1.1" 200'
    assert key not in redact(line)
    assert "jurisdiction_id=qh" in redact(line)
    record = logging.LogRecord("x", logging.INFO, "", 0, "body api_key=%s", (key,), None)
    RedactPersonalData().filter(record)
    assert key not in record.getMessage()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_wrong_method_csrf_and_unknown_paths_answer_the_spec_error_list(city, fmt):
    client = Client(enforce_csrf_checks=True)  # no CSRF cookie, as any partner

    for method, path, status in (
        ("post", f"{BASE}/discovery.{fmt}", 405),
        ("put", f"{BASE}/requests.{fmt}", 405),
        ("delete", f"{BASE}/services.{fmt}", 405),
        ("post", f"{BASE}/requests.{fmt}", 403),  # reaches the view: no key
        ("get", f"{BASE}/nothing.{fmt}", 404),
    ):
        response = getattr(client, method)(path)
        assert response.status_code == status, (method, path)
        if fmt == "json":
            assert response["Content-Type"] == "application/json; charset=utf-8"
            assert response.json()[0]["code"] == status
        else:
            assert response["Content-Type"] == "text/xml; charset=utf-8"
            assert b"<errors><error><code>" + str(status).encode() in response.content
    assert "GET" in Client().post(f"{BASE}/services.{fmt}")["Allow"]

    csv = client.get(f"{BASE}/services.csv")
    assert csv.status_code == 404
    assert csv["Content-Type"] == "application/json; charset=utf-8"
    assert "format" in csv.json()[0]["description"]


def test_the_requests_list_costs_the_same_few_queries_for_many_issues(
    client, city, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(12):
        file(city["smoke"], django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(10):
        assert len(client.get(f"{BASE}/requests.json").json()) == 12
