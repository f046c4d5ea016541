"""Anonymous submission, tracking and token requests are limited per client address."""

import pytest
from django.core.cache import cache

from issues.models import Issue
from issues.services import issue_submit

pytestmark = pytest.mark.django_db

REPORT = {"title": "Lamp out", "description": "Dark.", "address": "1 Road"}


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMITS = {"submit": "2/hour", "track": "3/hour", "token": "2/hour"}
    cache.clear()


def test_the_api_answers_429_with_retry_after_past_the_submission_limit(client, tight_limits):
    answers = [
        client.post("/api/v1/issues/", REPORT, content_type="application/json") for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "detail" in answers[-1].json()
    assert Issue.objects.count() == 2


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, tight_limits):
    statuses = [
        client.post(
            "/api/v1/issues/",
            REPORT,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(3)
    ]

    assert statuses == [201, 201, 429]


def test_behind_a_trusted_proxy_the_proxy_reported_address_counts(client, tight_limits, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    statuses = [
        client.post(
            "/api/v1/issues/",
            REPORT,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n // 2}",
        ).status_code
        for n in range(4)
    ]

    # Two residents behind the same proxy, two reports each: neither is over the limit.
    assert statuses == [201, 201, 201, 201]


def test_the_report_page_answers_429_past_the_limit(client, tight_limits):
    statuses = [client.post("/report/", REPORT).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]


def test_tracking_look_ups_are_limited(client, tight_limits):
    issue = issue_submit(**REPORT)
    statuses = [client.get(f"/track/{issue.access_token}/").status_code for _ in range(4)]
    api = client.get(f"/api/v1/track/{issue.access_token}/")

    assert statuses == [200, 200, 200, 429]
    assert api.status_code == 429
    assert api["Retry-After"]


def test_the_token_endpoint_is_limited(client, tight_limits):
    statuses = [
        client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code
        for _ in range(3)
    ]

    assert statuses == [400, 400, 429]
