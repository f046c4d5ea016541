"""Filing never depends on Redis: with the cache and the broker at a closed port, a report
through the page, the REST API and Open311 is saved and answered as usual (no 500), the
rate limit still counts (in the web process), and the routing sweep routes the issue once
the broker is back."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import Agency
from coordination.dispatch.tasks import issues_route_stale
from coordination.open311.services import api_key_create
from issues.models import Issue
from platform_gov.celery import app as celery_app
from tests.dispatch.test_services import BrokerOutage
from tests.factories import AgencyFactory, CategoryFactory, routing_rule

pytestmark = [pytest.mark.services, pytest.mark.django_db]

CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    """The cache and the broker both point at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "platform_gov.redis_cache.ReusedClientRedisCache",
            "LOCATION": CLOSED,
            "KEY_PREFIX": "platform_gov",
        }
    }
    outage = BrokerOutage()
    yield outage
    outage.end()


@pytest.fixture
def city(db):
    AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    lead = AgencyFactory(code="env")
    category = CategoryFactory(code="noise", service_code="NOISE")
    routing_rule(category=category, lead=lead)
    return {"lead": lead, "category": category, "key": api_key_create(name="app")[1]}


def _route_later(outage, settings, issue: Issue) -> None:
    """The broker is back (tasks run eagerly here): the sweep routes what was left behind."""
    outage.end()
    settings.ROUTING_STALE_AFTER = timedelta(0)
    celery_app.conf.task_always_eager = True
    assert issues_route_stale() >= 1
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DISPATCHED
    assert issue.assignments.get(role="lead").agency.code == "env"


def test_the_report_page_files_while_redis_is_down(
    city, redis_down, settings, caplog, django_capture_on_commit_callbacks
):
    client = Client()
    client.cookies["django_language"] = "en"
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/report/",
            {
                "title": "Street light broken",
                "description": "Dark for three nights.",
                "category": city["category"].pk,
                "address": "12 Qinghe Road",
                "contact_phone": "13912345678",
            },
        )
    assert response.status_code == 302, response.content[:500]
    issue = Issue.objects.get()
    assert response["Location"] == f"/report/submitted/{issue.access_token}/"
    assert issue.status == Issue.Status.SUBMITTED  # its message could not be sent
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "cache unavailable" in messages
    assert "broker unavailable" in messages
    _route_later(redis_down, settings, issue)


def test_the_api_files_while_redis_is_down(
    city, redis_down, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = APIClient().post(
            "/api/v1/issues/",
            {"title": "Noise", "description": "Drilling at night.", "category": "noise"},
            format="json",
        )
    assert response.status_code == 201, response.content[:500]
    issue = Issue.objects.get(pk=response.json()["id"])
    assert issue.status == Issue.Status.SUBMITTED
    _route_later(redis_down, settings, issue)


def test_open311_files_while_redis_is_down(
    city, redis_down, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/open311/v2/requests.json",
            {
                "api_key": city["key"],
                "service_code": "NOISE",
                "lat": "39.91",
                "long": "116.41",
                "description": "Loudspeakers until 2 a.m.",
            },
        )
    assert response.status_code == 200, response.content[:500]
    issue = Issue.objects.get()
    assert response.json()[0]["service_request_id"] == issue.tracking_number
    _route_later(redis_down, settings, issue)


def test_the_filing_limit_still_counts_in_the_process_while_redis_is_down(
    city, redis_down, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": "2/hour"}
    client = APIClient()
    body = {"title": "Noise", "description": "Drilling at night.", "category": "noise"}
    codes = [client.post("/api/v1/issues/", body, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert Issue.objects.count() == 2
