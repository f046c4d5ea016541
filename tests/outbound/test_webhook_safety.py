"""Webhooks can neither reach inside the network through IPv6 forms that carry an IPv4
address, nor hold a resident's request while a partner does not answer."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from agencies.models import Agency
from coordination.outbound.background import background_relays_wait
from coordination.outbound.models import WebhookDelivery
from coordination.outbound.webhooks import transport
from coordination.outbound.webhooks.addresses import address_problem, embedded_ipv4
from coordination.outbound.webhooks.services import webhook_endpoint_register
from tests.factories import AgencyFactory, CategoryFactory, routing_rule

# ------------------------------------------------------------------------- the address check


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
        "::a00:5",  # ::10.0.0.5
        "::ffff:169.254.169.254",  # mapped: the metadata service
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # NAT64 local-use prefix
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "192.0.0.1",
        "192.0.0.9",  # "global" to Python, an IETF protocol assignment all the same
        "192.0.0.170",
    ],
)
def test_addresses_that_carry_an_inside_address_are_refused(settings, address):
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = False
    assert address_problem("partner.example", address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2400:cb00::1"]
)
def test_public_addresses_in_any_of_those_forms_pass(address):
    assert address_problem("partner.example", address) is None


def test_the_ipv4_inside_each_form_is_found():
    found = {
        text: str(embedded_ipv4(ipaddress.IPv6Address(text)))
        for text in ("::7f00:1", "::ffff:10.0.0.1", "64:ff9b::c0a8:101", "2002:a00:1::")
    }
    assert found == {
        "::7f00:1": "127.0.0.1",
        "::ffff:10.0.0.1": "10.0.0.1",
        "64:ff9b::c0a8:101": "192.168.1.1",
        "2002:a00:1::": "10.0.0.1",
    }
    assert embedded_ipv4(ipaddress.IPv6Address("::1")) is None
    assert embedded_ipv4(ipaddress.IPv6Address("2400:cb00::1")) is None


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["[::7f00:1]", "[64:ff9b::a00:1]", "[2002:7f00:1::]", "192.0.0.8"])
def test_registering_such_a_url_is_refused(settings, host):
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = False
    partner = AgencyFactory(code="water-co", kind=Agency.Kind.ENTERPRISE_PARTNER)
    with pytest.raises(ValidationError):
        webhook_endpoint_register(agency=partner, url=f"https://{host}/hooks")


def test_a_delivery_tries_few_addresses_with_a_short_connect_timeout():
    assert transport.CONNECT_TIMEOUT_SECONDS <= 3
    assert transport.MAX_ADDRESSES <= 2
    assert transport.TIMEOUT_SECONDS <= 10


# ------------------------------------------------------------------------- never in a request


class HoldingReceiver:
    """A partner's endpoint that takes the POST and answers only when released."""

    def __init__(self):
        self.release = threading.Event()
        self.received = threading.Event()
        holder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                holder.received.set()
                holder.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_residents_request_does_not_wait_for_the_partner(settings):
    """``make run``: filing an issue routes it in the request and creates an assignment for
    a partner with a webhook; the partner holds its answer, and the resident's request has
    returned before it does (the delivery runs on a background thread)."""
    settings.WEBHOOK_ALLOW_INSECURE_LOCALHOST = True
    settings.WEBHOOKS_EAGER_IN_BACKGROUND = True
    AgencyFactory(code="dispatch", kind=Agency.Kind.DISPATCH_CENTRE)
    partner = AgencyFactory(code="water-co", kind=Agency.Kind.ENTERPRISE_PARTNER)
    category = CategoryFactory(code="water-leak")
    routing_rule(category=category, lead=partner)
    receiver = HoldingReceiver()
    try:
        webhook_endpoint_register(agency=partner, url=receiver.url, secret="s" * 32)

        response = APIClient().post(
            "/api/v1/issues/",
            {"title": "Burst main", "description": "Water everywhere.", "category": "water-leak"},
            format="json",
        )

        assert response.status_code == 201
        # The request is over, and the partner has not answered yet.
        assert receiver.received.wait(20), "the delivery never started"
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == WebhookDelivery.Status.PENDING
        receiver.release.set()
        # Read once the relay is done: SQLite refuses its write while this thread reads.
        assert background_relays_wait(20)
        assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
    finally:
        receiver.stop()
