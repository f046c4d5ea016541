"""Open311 GeoReport v2 at /open311/v2/: every endpoint in XML and JSON, the JSON answers
checked against the open311/schema-validation JSON Schemas, and a real client (the
``georeport`` package) reading the live server."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from georeport import GeoReport
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from agencies.models import Agency
from coordination.dispatch.models import Assignment
from coordination.open311.models import ApiKey
from coordination.open311.services import api_key_create
from issues.models import Issue, Update
from issues.services import issue_submit
from tests.factories import AgencyFactory, CategoryFactory, IssueFactory, routing_rule

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "open311"
SCHEMAS = [
    "services.json",
    "service.json",
    "service-definition.json",
    "requests.json",
    "request.json",
]
BASE = "/open311/v2"
FORMATS = ["json", "xml"]
CONTACT = {
    "contact_name": "王秀英",
    "contact_phone": "13912345678",
    "contact_email": "wang.xiuying@example.org",
}
PERSONAL = ["王秀英", "13912345678", "wang.xiuying", "Xiuying", "Wang", "15800001111"]


# ------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def validate():
    """Validate a JSON answer against one of the spec's schemas, references resolved."""
    if not SCHEMA_DIR.is_dir():
        pytest.skip(f"the Open311 schemas are not at {SCHEMA_DIR}")
    resources = {
        name: Resource.from_contents(
            json.loads((SCHEMA_DIR / name).read_text()), default_specification=DRAFT4
        )
        for name in SCHEMAS
    }
    registry = Registry().with_resources(resources.items())

    def run(name: str, instance) -> None:
        Draft4Validator(
            resources[name].contents,
            registry=registry,
            format_checker=Draft4Validator.FORMAT_CHECKER,
        ).validate(instance)

    return run


def parse_xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 - our own server's answer


def parse_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def assert_w3c(value: str) -> None:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() is not None, value


def post(client, fmt="json", **data):
    return client.post(f"{BASE}/requests.{fmt}", data)


# ------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def dispatch_centre(db):
    return AgencyFactory(code="dispatch", name_zh="12345调度中心", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def lead_agency(db):
    return AgencyFactory(code="env", name_zh="生态环境局", name_en="")


@pytest.fixture
def noise(db, lead_agency):
    """市容环境 → 噪声扰民 (service code NOISE), routed to the environment bureau."""
    parent = CategoryFactory(code="environment", name_zh="市容环境", name_en="", service_code="ENV")
    category = CategoryFactory(
        code="noise", name_zh="噪声扰民", name_en="", parent=parent, service_code="NOISE"
    )
    routing_rule(category=category, lead=lead_agency)
    return category


@pytest.fixture
def key(db):
    return api_key_create(name="Partner app")[1]


@pytest.fixture
def routed(noise, django_capture_on_commit_callbacks):
    """An open issue filed with contact details and routed to its lead."""
    with django_capture_on_commit_callbacks(execute=True):
        issue = issue_submit(
            title="Night-time construction noise",
            description="Drilling after 22:00 every night.",
            category=noise,
            lat=39.9,
            lon=116.4,
            address="12 Qinghe Road",
            **CONTACT,
        )
    issue.refresh_from_db()
    return issue


@pytest.fixture
def closed(noise):
    return IssueFactory(
        category=noise,
        status=Issue.Status.CLOSED,
        resolution="The site now stops at 22:00.",
        closed_at=timezone.now(),
        **CONTACT,
    )


# ------------------------------------------------------------------------- discovery, services


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_specification_and_both_formats(client, db, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        body = parse_json(response)
        endpoint = body["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == "http://testserver/open311/v2"  # clients append "/services…"
        assert endpoint["type"] == "production"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert {"changeset", "contact", "key_service"} <= set(body)
        assert len(body["endpoints"]) == 2  # GeoReport v2 and servicerequestupdates
    else:
        root = parse_xml(response)
        assert root.tag == "discovery"
        endpoints = root.findall("endpoints/endpoint")
        assert endpoints[0].findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        assert [f.text for f in endpoints[0].findall("formats/format")] == [
            "text/xml",
            "application/json",
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_each_active_category_with_its_group(client, noise, validate, fmt):
    response = client.get(f"{BASE}/services.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        services = parse_json(response)
        validate("services.json", services)
        by_code = {s["service_code"]: s for s in services}
        assert by_code["NOISE"]["service_name"] == "噪声扰民"
        assert by_code["NOISE"]["group"] == "市容环境"
        assert by_code["NOISE"]["metadata"] is False
        assert by_code["NOISE"]["type"] == "realtime"
    else:
        root = parse_xml(response)
        assert root.tag == "services"
        noise_service = next(
            s for s in root.findall("service") if s.findtext("service_code") == "NOISE"
        )
        assert noise_service.findtext("group") == "市容环境"
        assert noise_service.findtext("metadata") == "false"


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_attribute_the_service_does_not_ask_is_refused(client, noise, key, fmt):
    response = client.post(
        f"/open311/v2/requests.{fmt}",
        {
            "api_key": key,
            "service_code": "NOISE",
            "address_string": "x",
            "attribute[WHERE]": "market",
        },
    )

    assert response.status_code == 400
    assert "WHERE" in response.content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_answers_an_empty_attribute_list(client, noise, validate, fmt):
    response = client.get(f"{BASE}/services/NOISE.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        body = parse_json(response)
        validate("service-definition.json", body)
        assert body == {"service_code": "NOISE", "attributes": []}
    else:
        root = parse_xml(response)
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "NOISE"
        assert root.find("attributes") is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_a_404_error(client, db, fmt):
    response = client.get(f"{BASE}/services/NOPE.{fmt}")

    assert response.status_code == 404
    if fmt == "json":
        assert parse_json(response)[0]["code"] == 404
    else:
        root = parse_xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404"
        assert "service_code" in root.findtext("error/description")


# ------------------------------------------------------------------------- GET requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_list_open_and_closed_issues_with_their_lead(
    client, routed, closed, lead_agency, validate, fmt
):
    response = client.get(f"{BASE}/requests.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        requests = parse_json(response)
        validate("requests.json", requests)
        by_id = {r["service_request_id"]: r for r in requests}
        open_one = by_id[routed.tracking_number]
        assert open_one["status"] == "open"
        assert open_one["agency_responsible"] == "生态环境局"
        assert open_one["service_code"] == "NOISE"
        assert open_one["service_name"] == "噪声扰民"
        assert (open_one["lat"], open_one["long"]) == (39.9, 116.4)
        # Never the address the resident typed: the area it lies in (none in this city).
        assert open_one["address"] is None
        lead = routed.assignments.get(role=Assignment.Role.LEAD)
        assert open_one["expected_datetime"] == timezone.localtime(lead.due_at).isoformat(
            timespec="seconds"
        )
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert_w3c(open_one[name])
        assert open_one["requested_datetime"].endswith("+08:00")
        closed_one = by_id[closed.tracking_number]
        assert closed_one["status"] == "closed"
        # The resolution was written to the resident and not published by staff.
        assert closed_one["status_notes"] is None
    else:
        root = parse_xml(response)
        assert root.tag == "service_requests"
        by_id = {r.findtext("service_request_id"): r for r in root.findall("request")}
        assert by_id[routed.tracking_number].findtext("agency_responsible") == "生态环境局"
        assert by_id[routed.tracking_number].findtext("status") == "open"
        assert by_id[closed.tracking_number].findtext("status") == "closed"


def test_requests_filter_by_status_service_code_and_id(client, routed, closed, noise):
    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return {r["service_request_id"] for r in response.json()}

    assert ids(status="open") == {routed.tracking_number}
    assert ids(status="closed") == {closed.tracking_number}
    assert ids(status="open,closed") == {routed.tracking_number, closed.tracking_number}
    assert ids(service_code="NOISE,OTHER") == {routed.tracking_number, closed.tracking_number}
    assert ids(service_code="ENV") == set()
    assert ids(service_request_id=closed.tracking_number) == {closed.tracking_number}
    assert ids(limit=1) == {closed.tracking_number}  # newest first


def test_requests_default_to_the_last_90_days(client, routed):
    Issue.objects.filter(pk=routed.pk).update(created_at=timezone.now() - timedelta(days=91))

    assert client.get(f"{BASE}/requests.json").json() == []
    old = client.get(
        f"{BASE}/requests.json",
        {"start_date": (timezone.now() - timedelta(days=95)).isoformat()},
    ).json()
    assert [r["service_request_id"] for r in old] == [routed.tracking_number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_window_wider_than_90_days_is_refused(client, db, fmt):
    response = client.get(
        f"{BASE}/requests.{fmt}",
        {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"},
    )

    assert response.status_code == 400
    if fmt == "json":
        error = parse_json(response)[0]
        assert error["code"] == 400
        assert "90 days" in error["description"]
    else:
        assert parse_xml(response).findtext("error/code") == "400"


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"status": "fixed"},
        {"limit": "5000"},
        {"start_date": "2026-11-20T00:00:00Z", "end_date": "2026-11-10T00:00:00Z"},
    ],
)
def test_bad_query_parameters_are_400_errors(client, db, params):
    response = client.get(f"{BASE}/requests.json", params)

    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_its_tracking_number(client, routed, validate, fmt):
    response = client.get(f"{BASE}/requests/{routed.tracking_number}.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        body = parse_json(response)
        validate("requests.json", body)
        assert len(body) == 1
        validate("request.json", body[0])
        assert body[0]["service_request_id"] == routed.tracking_number
    else:
        root = parse_xml(response)
        assert root.tag == "service_requests"
        assert [r.findtext("service_request_id") for r in root.findall("request")] == [
            routed.tracking_number
        ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_a_404_error(client, db, fmt):
    response = client.get(f"{BASE}/requests/20260101-AAAAAA.{fmt}")

    assert response.status_code == 404
    if fmt == "json":
        assert parse_json(response) == [
            {"code": 404, "description": "service_request_id: no request 20260101-AAAAAA"}
        ]
    else:
        assert parse_xml(response).findtext("error/code") == "404"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_answers_its_request_id(client, routed, fmt):
    response = client.get(f"{BASE}/tokens/{routed.tracking_number}.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        assert parse_json(response) == [
            {"service_request_id": routed.tracking_number, "token": routed.tracking_number}
        ]
    else:
        root = parse_xml(response)
        assert root.tag == "service_requests"
        assert root.findtext("request/service_request_id") == routed.tracking_number
        assert root.findtext("request/token") == routed.tracking_number
    assert client.get(f"{BASE}/tokens/nothing.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_request_updates_are_the_public_timeline(client, routed, closed, fmt):
    Update.objects.create(issue=closed, kind=Update.Kind.CLOSED, note="Done.")

    response = client.get(f"{BASE}/servicerequestupdates.{fmt}")

    assert response.status_code == 200
    if fmt == "json":
        updates = parse_json(response)
        mine = [u for u in updates if u["service_request_id"] == routed.tracking_number]
        assert mine and all(u["status"] == "open" for u in mine)
        assert {"update_id", "updated_datetime", "description", "media_url"} <= set(mine[0])
        assert_w3c(mine[0]["updated_datetime"])
        closing = [u for u in updates if u["service_request_id"] == closed.tracking_number]
        assert closing[-1]["status"] == "closed"
        # The label alone: a note is published only where staff marked a reply or resolution.
        assert closing[-1]["description"] == str(Update.Kind.CLOSED.label)
    else:
        root = parse_xml(response)
        assert root.tag == "service_request_updates"
        assert root.findall("request_update")
        assert root.findtext("request_update/service_request_id") == routed.tracking_number


def test_no_get_answer_carries_personal_data(client, routed, closed):
    paths = [
        "discovery",
        "services",
        "services/NOISE",
        "requests",
        f"requests/{routed.tracking_number}",
        f"tokens/{routed.tracking_number}",
        "servicerequestupdates",
    ]
    for path in paths:
        for fmt in FORMATS:
            response = client.get(f"{BASE}/{path}.{fmt}")
            assert response.status_code == 200, path
            text = response.content.decode()
            for secret in [*CONTACT.values(), routed.access_token]:
                assert secret not in text, (path, fmt, secret)


# ------------------------------------------------------------------------- POST requests


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_a_request_files_a_routed_open311_issue(
    client, noise, key, lead_agency, django_capture_on_commit_callbacks, fmt
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            fmt,
            api_key=key,
            service_code="NOISE",
            lat="39.91",
            long="116.41",
            description="Loudspeakers at the night market until 2 a.m.",
            first_name="Xiuying",
            last_name="Wang",
            email="wang.xiuying@example.org",
            phone="15800001111",
            device_id="abc",
        )

    assert response.status_code == 200, response.content
    if fmt == "json":
        body = parse_json(response)
        assert body[0]["account_id"] is None
        tracking_number = body[0]["service_request_id"]
    else:
        root = parse_xml(response)
        assert root.tag == "service_requests"
        tracking_number = root.findtext("request/service_request_id")
    issue = Issue.objects.get()
    assert issue.tracking_number == tracking_number
    assert issue.channel == Issue.Channel.OPEN311
    assert issue.title == "Loudspeakers at the night market until 2 a.m."
    assert issue.contact_name == "Xiuying Wang"
    assert issue.contact_email == "wang.xiuying@example.org"
    assert issue.contact_phone == "15800001111"
    assert issue.status == Issue.Status.DISPATCHED
    assert issue.assignments.get(role=Assignment.Role.LEAD).agency == lead_agency
    assert ApiKey.objects.get().last_used_at is not None

    listed = client.get(f"{BASE}/requests.json", {"service_request_id": tracking_number})
    [request] = listed.json()
    assert request["agency_responsible"] == "生态环境局"
    assert request["status"] == "open"
    for secret in ["Xiuying", "Wang", "wang.xiuying", "15800001111"]:
        assert secret not in listed.content.decode()


def test_posting_json_and_an_address_without_coordinates_works(
    noise, key, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)  # partners have no CSRF cookie
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}/requests.json",
            {"api_key": key, "service_code": "NOISE", "address_string": "8 Market Street"},
            content_type="application/json",
        )

    assert response.status_code == 200, response.content
    issue = Issue.objects.get(tracking_number=response.json()[0]["service_request_id"])
    assert issue.address == "8 Market Street"
    assert issue.title == "噪声扰民"  # no description: the service's name


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("api_key", [None, "wrong-key", "revoked"])
def test_posting_without_a_valid_key_is_forbidden(client, noise, fmt, api_key):
    data = {"service_code": "NOISE", "lat": "39.9", "long": "116.4"}
    if api_key == "revoked":
        row, api_key = api_key_create(name="Old partner")
        ApiKey.objects.filter(pk=row.pk).update(active=False)
    if api_key:
        data["api_key"] = api_key

    response = post(client, fmt, **data)

    assert response.status_code == 403
    if fmt == "json":
        [error] = parse_json(response)
        assert error["code"] == 403
        assert "api_key" in error["description"]
    else:
        root = parse_xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "403"
    assert not Issue.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lat": "39.9", "long": "116.4"}, "service_code"),
        ({"service_code": "NOISE"}, "address_string"),
        (
            {"service_code": "NOISE", "address_string": "x", "description": "x" * 4001},
            "description",
        ),
        (
            {"service_code": "NOISE", "address_string": "x", "media_url": "ftp://x/y.jpg"},
            "media_url",
        ),
        ({"service_code": "NOISE", "lat": "39.9"}, "long"),
        ({"service_code": "NOISE", "lat": "north", "long": "116.4"}, "lat"),
        ({"service_code": "NOISE", "lat": "99", "long": "116.4"}, "lat"),
        ({"service_code": "NOISE", "address_string": "x", "email": "not-an-email"}, "email"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_posts_are_400_errors_naming_the_field(client, noise, key, data, field, fmt):
    response = post(client, fmt, api_key=key, **data)

    assert response.status_code == 400
    if fmt == "json":
        [error] = parse_json(response)
        assert error["code"] == 400
        description = error["description"]
    else:
        root = parse_xml(response)
        assert root.findtext("error/code") == "400"
        description = root.findtext("error/description")
    assert field in description
    assert not Issue.objects.exists()


# ------------------------------------------------------------------------- the key command


def test_a_key_never_starts_like_a_command_line_option(monkeypatch):
    drawn = iter(["-starts-like-an-option" + "x" * 30, "_also" + "x" * 40, "Good" + "x" * 40])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))

    _row, key = api_key_create(name="City app")

    assert key.startswith("Good")


def test_open311_key_create_prints_a_working_key_on_its_last_line(
    client, noise, lead_agency, django_capture_on_commit_callbacks
):
    out = StringIO()
    call_command("open311_key", "create", "--name", "City app", "--agency", "env", stdout=out)

    lines = out.getvalue().strip().splitlines()
    key = lines[-1]
    assert len(lines) > 1 and " " not in key and len(key) >= 40
    row = ApiKey.objects.get()
    assert (row.name, row.agency, row.prefix) == ("City app", lead_agency, key[:8])
    assert key not in row.key_hash
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, api_key=key, service_code="NOISE", address_string="Gate 3")
    assert response.status_code == 200

    listing = StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert row.prefix in listing.getvalue() and key not in listing.getvalue()

    call_command("open311_key", "revoke", "--prefix", row.prefix, stdout=StringIO())
    response = post(client, api_key=key, service_code="NOISE", address_string="Gate 3")
    assert response.status_code == 403


# ------------------------------------------------------------------------- a real client


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_georeport_client_reads_services_and_requests(live_server, lead_agency, fmt):
    AgencyFactory(code="dispatch", name_zh="12345调度中心", kind=Agency.Kind.DISPATCH_CENTRE)
    parent = CategoryFactory(code="environment", name_zh="市容环境", name_en="", service_code="ENV")
    noise = CategoryFactory(
        code="noise", name_zh="噪声扰民", name_en="", parent=parent, service_code="NOISE"
    )
    routing_rule(category=noise, lead=lead_agency)
    # Autocommit here: routing runs as soon as the issue is saved (Celery is eager).
    issue = issue_submit(
        title="Noise",
        description="Drilling at night.",
        category=noise,
        lat=39.9,
        lon=116.4,
        **CONTACT,
    )
    other = issue_submit(title="More noise", description="Again.", category=noise, address="A")
    client = GeoReport(f"{live_server.url}{BASE}", output_format=fmt)

    services = client.get_service_list()
    assert {s["service_code"] for s in services} == {"ENV", "NOISE"}
    assert client.get_service_definition("NOISE")["service_code"] == "NOISE"

    requests = client.get_service_requests()
    assert {r["service_request_id"] for r in requests} == {
        issue.tracking_number,
        other.tracking_number,
    }
    one = client.get_service_request(issue.tracking_number)
    assert one["service_request_id"] == issue.tracking_number
    assert one["agency_responsible"] == "生态环境局"
    assert one["status"] == "open"
    assert float(one["lat"]) == 39.9
    filtered = client.get_service_requests(service_request_id=other.tracking_number)
    if fmt == "xml":  # xmltodict gives one element as a dict, not a list of one
        filtered = [filtered]
    assert [r["service_request_id"] for r in filtered] == [other.tracking_number]
