"""Signed webhooks for partner agencies: signing, registration, delivery with retries, the
managers' page, and the partner acting back through the REST API.

Deliveries go to a real HTTP server on 127.0.0.1 started by the test (no network beyond this
machine); Celery runs eagerly, so the relay after the commit makes the first attempt in line.
Retries are scheduled in the outbox (``next_attempt_at``): the tests play them by running the
sweep at the time they are due.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Agency, Membership
from coordination.dispatch.events import Event, publish
from coordination.dispatch.models import Assignment
from coordination.dispatch.services import assignments, requests
from coordination.dispatch.services.supervision import deadlines_sweep
from coordination.outbound.models import (
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from coordination.outbound.relay import outbox_send_due
from coordination.outbound.tasks import outbox_relay, webhook_deliver
from coordination.outbound.webhooks.addresses import webhook_url_problem
from coordination.outbound.webhooks.services import (
    MAX_ATTEMPTS,
    webhook_backoff,
    webhook_endpoint_register,
)
from coordination.outbound.webhooks.signing import sign, verify
from issues.services import issue_submit
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    AssignmentFactory,
    CategoryFactory,
    UserFactory,
    routing_rule,
)
from tests.factories import member as member_of

pytestmark = pytest.mark.django_db

SECRET = "s3cret-s3cret-s3cret"
CONTACT = {
    "contact_name": "Li Hua",
    "contact_phone": "13812345678",
    "contact_email": "lihua@example.org",
}


# ------------------------------------------------------------------------- fixtures


class Receiver:
    """A partner's HTTP endpoint on 127.0.0.1 that answers with the given statuses in turn."""

    def __init__(self, answers: list[int]):
        self.answers = list(answers) or [200]
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers.items()), body))
                status = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/12345"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started: list[Receiver] = []

    def start(*answers: int) -> Receiver:
        server = Receiver(list(answers))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _insecure_localhost(settings):
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = True


@pytest.fixture
def dispatch_centre():
    return AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)


@pytest.fixture
def partner(dispatch_centre):
    return AgencyFactory(code="water-co", kind=Agency.Kind.GOVERNMENT_DEPARTMENT)


@pytest.fixture
def water_rule(partner):
    return routing_rule(category=CategoryFactory(code="water-leak"), lead=partner)


@pytest.fixture
def manager(partner):
    return member_of(partner, role=Membership.Role.MANAGER, username="water_manager")


@pytest.fixture
def staff(partner):
    return member_of(partner, username="water_staff")


def register(agency, url, **kwargs) -> WebhookEndpoint:
    return webhook_endpoint_register(agency=agency, url=url, secret=SECRET, **kwargs)


def submit_and_route(capture, category) -> Assignment:
    """A resident's report, routed after commit to the rule's lead, as in production."""
    with capture(execute=True):
        issue = issue_submit(
            title="Water main burst on Example Road",
            description="Water everywhere since 6 a.m.",
            category=category,
            lat=39.9,
            lon=116.4,
            address="1 Example Road",
            **CONTACT,
        )
    return Assignment.objects.get(issue=issue, role=Assignment.Role.LEAD)


def created(assignment: Assignment) -> None:
    """Announce ``assignment`` as the services do when they create one."""
    publish(
        Event.ASSIGNMENT_CREATED,
        assignment_id=assignment.pk,
        issue_id=assignment.issue_id,
        agency_id=assignment.agency_id,
    )


def deliver_event(capture, assignment) -> WebhookDelivery:
    """Announce ``assignment.created`` for ``assignment`` and run its delivery after commit."""
    with capture(execute=True):
        created(assignment)
    return WebhookDelivery.objects.get()


def relay_until_settled(rounds: int = 20) -> int:
    """Run the outbox sweep, each time two hours later, until nothing is pending; returns
    how many sweeps it took."""
    now = timezone.now()
    for sweep in range(rounds):
        if not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists():
            return sweep
        now += timedelta(hours=2)
        outbox_send_due(now=now)
    pytest.fail("the outbox never settled")


def assignment_due(assignment: Assignment):
    assignment.refresh_from_db()
    return assignment.due_at


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------- signatures


def test_a_signature_over_timestamp_and_body_verifies_with_the_secret():
    now = int(time.time())
    body = b'{"event":"assignment.created"}'
    signature = sign(SECRET, now, body)
    assert len(signature) == 64
    assert verify(SECRET, now, body, f"sha256={signature}", now=now)
    assert verify(SECRET, str(now), body, signature, now=timezone.now())


def test_a_wrong_secret_or_a_tampered_body_does_not_verify():
    now = int(time.time())
    body = b'{"event":"assignment.created"}'
    signature = "sha256=" + sign(SECRET, now, body)
    assert not verify("another-secret-entirely", now, body, signature, now=now)
    assert not verify(SECRET, now, body.replace(b"created", b"resolved"), signature, now=now)
    # The timestamp is signed too: moving it breaks the signature.
    assert not verify(SECRET, now + 1, body, signature, now=now)
    assert not verify(SECRET, "not-a-number", body, signature, now=now)


def test_a_stale_or_future_timestamp_is_refused_against_replay():
    sent = int(time.time())
    body = b"{}"
    signature = sign(SECRET, sent, body)
    assert verify(SECRET, sent, body, signature, now=sent + 300)
    assert not verify(SECRET, sent, body, signature, now=sent + 301)
    assert not verify(SECRET, sent, body, signature, now=sent - 301)
    assert verify(SECRET, sent, body, signature, now=sent + 600, tolerance=600)


def test_backoff_doubles_from_twenty_seconds_up_to_an_hour():
    assert [webhook_backoff(n) for n in range(1, 5)] == [20, 40, 80, 160]
    assert webhook_backoff(12) == 3600


# ----------------------------------------------------------------------- registration


def test_registering_refuses_plain_http_and_names_the_url_field(partner, settings):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_register(agency=partner, url="http://partner.example/hooks")
    assert "url" in refused.value.message_dict
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = False
    with pytest.raises(ValidationError) as local:
        webhook_endpoint_register(agency=partner, url="http://127.0.0.1:8080/hooks")
    assert "url" in local.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_registering_refuses_unknown_events_and_short_secrets(partner):
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_register(
            agency=partner, url="https://partner.example/hooks", secret="short", events=["nope"]
        )
    assert set(refused.value.message_dict) == {"events", "secret"}


def test_registering_https_makes_a_random_secret_when_none_is_given(partner):
    endpoint = webhook_endpoint_register(
        agency=partner, url="https://partner.example/hooks", events=["assignment.created"]
    )
    other = webhook_endpoint_register(agency=partner, url="https://partner.example/other")
    assert len(endpoint.secret) == 64 and endpoint.secret != other.secret
    assert endpoint.events == ["assignment.created"] and other.events == []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.5/hooks",
        "https://192.168.1.20:8443/hooks",
        "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "https://[::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://[fd00::1]/hooks",
        "https://0.0.0.0/hooks",
        "https://partner.example:99999/hooks",
    ],
)
def test_registering_refuses_addresses_inside_the_network(partner, settings, url):
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = False
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_register(agency=partner, url=url)

    assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_an_intranet_deployment_may_allow_private_but_never_loopback_or_metadata(partner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = False

    assert webhook_url_problem("https://10.0.0.5/hooks") is None
    assert webhook_url_problem("https://8.8.8.8/hooks") is None
    assert webhook_url_problem("https://127.0.0.1/hooks")
    assert webhook_url_problem("https://169.254.169.254/latest/")


def test_a_name_resolving_inside_the_network_is_refused_when_connecting(
    partner, receiver, django_capture_on_commit_callbacks
):
    """A name checked at registration may resolve elsewhere later (DNS rebinding). ``127.1``
    stands in for such a name: ``ipaddress`` does not read it as an address, but the resolver
    makes it 127.0.0.1. The check at connection time catches it, and nothing reaches the
    server listening there."""
    server = receiver(200)
    port = server.server.server_port
    endpoint = webhook_endpoint_register(agency=partner, url="https://partner.example/hooks")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"https://127.1:{port}/hooks")
    endpoint.refresh_from_db()
    delivery = deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))
    relay_until_settled()

    delivery.refresh_from_db()
    assert endpoint.url.startswith("https://127.1:")
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert server.requests == []
    errors = list(delivery.attempt_log.values_list("error", flat=True))
    assert errors and all(e.startswith("RefusedAddress: 127.1 → 127.0.0.1") for e in errors)


# --------------------------------------------------------------------------- delivery


def test_a_partner_receives_its_new_assignment_signed_and_without_contact_data(
    partner, water_rule, receiver, django_capture_on_commit_callbacks
):
    server = receiver(200)
    register(partner, server.url)
    assignment = submit_and_route(django_capture_on_commit_callbacks, water_rule.category)

    assert len(server.requests) == 1
    headers, body = server.requests[0]
    assert headers["X-Platform-Event"] == "assignment.created"
    assert headers["X-Platform-Signature"].startswith("sha256=")
    assert verify(
        SECRET,
        headers["X-Platform-Timestamp"],
        body,
        headers["X-Platform-Signature"],
        now=timezone.now(),
    )
    payload = json.loads(body)
    assert payload["event"] == "assignment.created"
    assert payload["event_id"] == headers["X-Platform-Delivery"]
    assert payload["assignment"]["id"] == assignment.pk
    assert payload["assignment"]["tracking_number"] == assignment.issue.tracking_number
    assert payload["issue"]["category"] == "water-leak"
    assert set(payload["issue"]) == {"title", "category", "status", "address", "lat", "lon"}
    text = body.decode()
    for secret_of_the_resident in (*CONTACT.values(), "contact", "access_token"):
        assert secret_of_the_resident not in text

    delivery = WebhookDelivery.objects.get()
    assert str(delivery.event_id) == headers["X-Platform-Delivery"]
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    attempt = delivery.attempt_log.get()
    assert attempt.status_code == 200 and attempt.error == ""


def test_a_receiver_failing_twice_is_retried_with_growing_backoff_until_delivered(
    partner, receiver, django_capture_on_commit_callbacks
):
    server = receiver(500, 500, 200)
    register(partner, server.url)
    before = timezone.now()
    delivery = deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))
    message = OutboxMessage.objects.get(delivery=delivery)
    # The retry is scheduled in the database, 20 s after the first attempt.
    first_retry = message.next_attempt_at
    assert before + timedelta(seconds=20) <= first_retry <= timezone.now() + timedelta(seconds=20)
    assert "HTTP 500" in message.last_error

    assert outbox_send_due(now=first_retry - timedelta(seconds=1)) == {}  # not due yet
    assert len(server.requests) == 1
    outbox_send_due(now=first_retry)
    message.refresh_from_db()
    assert message.next_attempt_at == first_retry + timedelta(seconds=40)
    outbox_send_due(now=message.next_attempt_at)

    delivery.refresh_from_db()
    message.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 3
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 3
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [500, 500, 200]
    assert "HTTP 500" in delivery.attempt_log.first().error
    # The same delivery (one event id) each time, signed afresh.
    assert len({headers["X-Platform-Delivery"] for headers, _ in server.requests}) == 1


def test_an_unreachable_receiver_records_every_attempt_with_its_error_then_fails(
    partner, django_capture_on_commit_callbacks
):
    register(partner, f"http://127.0.0.1:{free_port()}/hooks")
    delivery = deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))
    relay_until_settled()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == delivery.attempt_log.count()
    for attempt in delivery.attempt_log.all():
        assert attempt.status_code is None
        assert "refused" in attempt.error.lower()


def test_a_delivery_is_not_sent_again_once_delivered(
    partner, receiver, django_capture_on_commit_callbacks
):
    server = receiver(200)
    register(partner, server.url)
    delivery = deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))

    message = OutboxMessage.objects.get(delivery=delivery)
    assert outbox_relay.delay(message.pk).get() == {}
    assert webhook_deliver.delay(delivery.pk).get() == {}  # a message from before the outbox
    assert outbox_send_due(now=timezone.now() + timedelta(days=1)) == {}
    assert len(server.requests) == 1 and WebhookAttempt.objects.count() == 1


def test_a_replayed_delivery_is_refused_by_verify(
    partner, receiver, django_capture_on_commit_callbacks
):
    server = receiver(200)
    register(partner, server.url)
    deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))

    headers, body = server.requests[0]
    sent = int(headers["X-Platform-Timestamp"])
    args = (SECRET, headers["X-Platform-Timestamp"], body, headers["X-Platform-Signature"])
    assert verify(*args, now=sent)
    # Captured and sent again ten minutes later: the genuine signature no longer counts.
    assert not verify(*args, now=sent + 600)


def test_an_endpoint_gets_only_the_events_it_subscribed_to(
    partner, receiver, django_capture_on_commit_callbacks
):
    server = receiver(200)
    register(partner, server.url, events=["assignment.resolved"])
    assignment = AssignmentFactory(agency=partner)
    with django_capture_on_commit_callbacks(execute=True):
        created(assignment)
        publish(
            Event.DEADLINE_STEP,
            assignment_id=assignment.pk,
            issue_id=assignment.issue_id,
            agency_id=partner.pk,
            clock="response",
            step="reminder",
        )
    assert not server.requests and not WebhookDelivery.objects.exists()


def test_decided_deadline_near_and_resolved_reach_the_partner(
    partner, water_rule, staff, dispatch_centre, receiver, django_capture_on_commit_callbacks
):
    server = receiver(200)
    register(partner, server.url)
    assignment = submit_and_route(django_capture_on_commit_callbacks, water_rule.category)
    dispatcher = member_of(dispatch_centre)
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        assignments.assignment_accept(assignment_id=assignment.pk, actor=staff)
    with capture(execute=True):
        request = requests.assignment_request_extension(
            assignment_id=assignment.pk,
            actor=staff,
            reason="The pipe needs a part from the factory.",
            until=assignment_due(assignment) + timedelta(days=30),
        )
    with capture(execute=True):
        requests.request_reject(request_id=request.pk, actor=dispatcher, note="Not needed.")
    with capture(execute=True):
        deadlines_sweep(now=assignment_due(assignment) - timedelta(minutes=1))
    with capture(execute=True):
        assignments.assignment_resolve(
            assignment_id=assignment.pk, actor=staff, resolution="Pipe replaced."
        )

    events = [headers["X-Platform-Event"] for headers, _ in server.requests]
    assert events == [
        "assignment.created",
        "assignment.decided",
        "assignment.deadline_near",
        "assignment.resolved",
    ]
    resolved = json.loads(server.requests[-1][1])
    assert resolved["assignment"]["status"] == "done"
    assert resolved["issue"]["status"] == "resolved"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_broken_webhook_never_fails_the_workflow(
    partner, water_rule, monkeypatch, django_capture_on_commit_callbacks
):
    register(partner, "https://partner.example/hooks")
    register(partner, "https://partner.example/other-hooks")
    create = WebhookDelivery.objects.create
    written = []

    def broken(**kwargs):
        if written:  # the first row is written, then the database refuses the second
            raise IntegrityError("webhooks are down")
        written.append(create(**kwargs))
        return written[-1]

    monkeypatch.setattr(WebhookDelivery.objects, "create", broken)
    assignment = submit_and_route(django_capture_on_commit_callbacks, water_rule.category)
    assert assignment.issue.status == "dispatched"
    assert written  # one row was written before the failure …
    assert not WebhookDelivery.objects.exists()  # … and went with its savepoint


# ----------------------------------------------------------------- the managers' page


def test_the_managers_page_shows_the_attempt_log_to_a_manager(
    client, partner, manager, receiver, django_capture_on_commit_callbacks
):
    server = receiver(503, 200)
    register(partner, server.url)
    deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))
    relay_until_settled()
    other = AgencyFactory(code="gas-co")
    register(other, "https://gas.example/hooks")

    client.force_login(manager)
    response = client.get("/staff/webhooks/")
    assert response.status_code == 200
    page = response.content.decode()
    assert server.url in page and "gas.example" not in page
    assert page.count('data-testid="attempt-row"') == 2
    assert "503" in page and "assignment.created" in page
    assert SECRET not in page


def test_the_managers_page_is_refused_to_staff_and_anonymous(client, staff):
    assert client.get("/staff/webhooks/").status_code == 302
    client.force_login(staff)
    assert client.get("/staff/webhooks/").status_code == 403


def test_a_manager_registers_an_endpoint_and_sees_its_secret_once(client, partner, manager):
    client.force_login(manager)
    refused = client.post(
        "/staff/webhooks/", {"agency": partner.pk, "url": "http://partner.example/hooks"}
    )
    assert refused.status_code == 200 and "https://" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()

    created = client.post(
        "/staff/webhooks/",
        {
            "agency": partner.pk,
            "url": "https://partner.example/hooks",
            "events": ["assignment.created", "assignment.resolved"],
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert created.status_code == 201
    assert endpoint.secret in created.content.decode()
    assert endpoint.events == ["assignment.created", "assignment.resolved"]
    assert endpoint.secret not in client.get("/staff/webhooks/").content.decode()


def test_a_manager_cannot_register_for_another_agency(client, partner, manager):
    other = AgencyFactory(code="gas-co")
    client.force_login(manager)
    response = client.post("/staff/webhooks/", {"agency": other.pk, "url": "https://x.example/"})
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


# ------------------------------------------------------------- acting back with a token


def test_a_partner_accepts_its_assignment_through_the_api_with_a_token(
    partner, water_rule, staff, django_capture_on_commit_callbacks
):
    assignment = submit_and_route(django_capture_on_commit_callbacks, water_rule.category)
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": staff.username, "password": PASSWORD}, format="json"
    ).json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(f"/api/v1/assignments/{assignment.pk}/accept/")
    assert response.status_code == 200, response.content
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED and assignment.accepted_by == staff


# ------------------------------------------------------------------------------ admin


def test_the_admin_lists_endpoints_without_secrets_and_deliveries_with_attempts(
    client, partner, receiver, django_capture_on_commit_callbacks
):
    server = receiver(500, 200)
    register(partner, server.url)
    delivery = deliver_event(django_capture_on_commit_callbacks, AssignmentFactory(agency=partner))
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    listing = client.get("/admin/outbound/webhookendpoint/")
    assert listing.status_code == 200 and SECRET not in listing.content.decode()
    detail = client.get(f"/admin/outbound/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    assert "HTTP 500" in detail.content.decode()

    added = client.post(
        "/admin/outbound/webhookendpoint/add/",
        {
            "agency": partner.pk,
            "url": "https://partner.example/admin",
            "events": "[]",
            "active": "on",
        },
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get(url="https://partner.example/admin")
    assert len(endpoint.secret) == 64 and endpoint.secret in added.content.decode()
    refused = client.post(
        "/admin/outbound/webhookendpoint/add/",
        {"agency": partner.pk, "url": "http://partner.example/", "events": "[]"},
    )
    assert (
        refused.status_code == 200
        and not WebhookEndpoint.objects.filter(url="http://partner.example/").exists()
    )


def test_a_hostile_signature_or_timestamp_header_is_refused_not_raised():
    now = int(time.time())
    assert not verify(SECRET, now, b"{}", "sha256=çà-not-hex", now=now)
    assert not verify(SECRET, f"{now:_}", b"{}", sign(SECRET, now, b"{}"), now=now)


def test_an_agency_without_endpoints_costs_one_query_per_event(partner, django_assert_num_queries):
    """The webhooks cost one query (the endpoints); each e-mail owed is one outbox row."""
    assignment = AssignmentFactory(agency=partner)
    with django_assert_num_queries(2):  # the staff's mail row, the endpoints
        created(assignment)
    with django_assert_num_queries(1):  # the resident's mail row
        publish(Event.ISSUE_REPLIED, issue_id=assignment.issue_id)
