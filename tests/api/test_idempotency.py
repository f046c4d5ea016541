"""``Idempotency-Key`` on ``POST /api/v1/issues/`` belongs to its caller and its body (the
IETF idempotency-key draft): another client reusing a key gets neither the first caller's
issue (with its access token) nor the power to make a later report vanish."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from agencies.models import Agency
from issues.models import Issue
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

LAMP = {"title": "Lamp out", "description": "Dark at No. 12 since Monday."}
HOLE = {"title": "Pothole", "description": "Deep one on Elm Street."}


@pytest.fixture(autouse=True)
def centre():
    return AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)


def post(client: APIClient, body: dict, key: str, **kwargs):
    return client.post(
        "/api/v1/issues/", body, format=kwargs.pop("format", "json"), HTTP_IDEMPOTENCY_KEY=key
    )


def signed_in(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username=username))
    return client


def test_the_same_key_with_another_body_answers_422_and_files_nothing():
    key = str(uuid.uuid4())
    first = post(APIClient(), LAMP, key)

    reused = post(APIClient(), HOLE, key)

    assert first.status_code == 201
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert first.json()["access_token"] not in reused.content.decode()
    assert Issue.objects.count() == 1


def test_a_key_someone_claimed_first_cannot_swallow_a_later_report():
    """An attacker files with a guessed key first; the resident's report with that key is
    not silently answered with the attacker's issue."""
    key = "report-1"
    post(APIClient(), {"title": "x", "description": "y"}, key)

    mine = post(APIClient(), LAMP, key)

    assert mine.status_code == 422
    assert not Issue.objects.filter(title="Lamp out").exists()
    retried = post(APIClient(), LAMP, str(uuid.uuid4()))
    assert retried.status_code == 201


def test_a_signed_in_callers_keys_are_their_own():
    key = "retry-7"
    alice, bob = signed_in("alice"), signed_in("bob")

    first = post(alice, LAMP, key)
    again = post(alice, LAMP, key)
    other = post(bob, LAMP, key)

    assert first.status_code == again.status_code == other.status_code == 201
    assert first.json() == again.json()
    assert other.json()["id"] != first.json()["id"]
    assert other.json()["access_token"] != first.json()["access_token"]
    assert post(alice, HOLE, key).status_code == 422


def test_a_retry_in_another_encoding_of_the_same_report_answers_the_same_issue():
    key = str(uuid.uuid4())
    as_json = post(APIClient(), LAMP, key)
    as_form = post(APIClient(), LAMP, key, format="multipart")

    assert as_json.status_code == as_form.status_code == 201
    assert as_json.json() == as_form.json()
    assert Issue.objects.count() == 1
