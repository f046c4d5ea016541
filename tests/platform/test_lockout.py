"""Sign-in lock-out (django-axes): the page and the API token, per username and client address.

Settings under test: 5 failures per username and address lock that pair for 15 minutes
(each attempt during the lock starts the wait again); a successful sign-in clears the count;
the address is the one the rate limits use, so a forged X-Forwarded-For changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agencies.models import Agency
from tests.factories import PASSWORD, AgencyFactory, member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
WRONG = "not-the-password"
CLIENT_ADDRESS = "203.0.113.7"


@pytest.fixture
def agency():
    return AgencyFactory(code="env", kind=Agency.Kind.GOVERNMENT_DEPARTMENT)


@pytest.fixture
def staff(agency):
    return member(agency, username="staff_env")


@pytest.fixture
def colleague(agency):
    return member(agency, username="staff_env_2")


def browser(**headers) -> Client:
    """A client from CLIENT_ADDRESS that reads English pages."""
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS, **headers)
    client.cookies["django_language"] = "en"
    return client


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, **extra) -> list[int]:
    return [sign_in(client, username, WRONG, **extra).status_code for _ in range(times)]


def token(client: Client, username: str, password: str, **extra):
    return client.post(
        TOKEN,
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


def test_settings_lock_after_five_failures_for_fifteen_minutes_by_username_and_address():
    cool_off = settings.AXES_COOLOFF_TIME
    assert settings.AXES_FAILURE_LIMIT == 5
    assert cool_off == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


# ----------------------------------------------------------------------- sign-in page


def test_the_fifth_wrong_password_locks_the_sign_in_page_with_a_friendly_429(staff):
    client = browser()

    statuses = fail(client, staff.username, 5)

    assert statuses == [200, 200, 200, 200, 429]
    page = sign_in(client, staff.username, WRONG)
    assert page.status_code == 429
    body = page.content.decode()
    assert 'data-testid="locked-out"' in body
    assert "Sign-in paused" in body
    assert "after 5 wrong passwords" in body
    assert "try again in 15 minutes" in body
    assert "report a problem and track your issue" in body
    assert page["Content-Security-Policy"]  # a normal page of the site, headers and all


def test_the_lock_out_page_follows_the_language_of_the_site(staff):
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS)
    fail(client, staff.username, 5)

    page = sign_in(client, staff.username, WRONG)

    assert page.status_code == 429
    assert '<html lang="zh-hans">' in page.content.decode()
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in sign_in(client, staff.username, WRONG).content.decode()


def test_once_locked_even_the_right_password_is_refused(staff):
    client = browser()
    fail(client, staff.username, 5)

    response = sign_in(client, staff.username, PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_lifts_after_the_cool_off(staff):
    client = browser()
    fail(client, staff.username, 5)

    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = sign_in(client, staff.username, PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_each_attempt_during_the_lock_starts_the_wait_again(staff):
    client = browser()
    fail(client, staff.username, 5)
    start = timezone.now()

    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert sign_in(client, staff.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert sign_in(client, staff.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=32), tick=False):
        assert sign_in(client, staff.username, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_earlier_failures(staff):
    client = browser()
    assert fail(client, staff.username, 4) == [200] * 4
    assert sign_in(client, staff.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    assert fail(client, staff.username, 4) == [200] * 4
    assert sign_in(client, staff.username, PASSWORD).status_code == 302


def test_one_users_failures_do_not_lock_another_user(staff, colleague):
    client = browser()
    fail(client, staff.username, 5)

    response = sign_in(client, colleague.username, PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_same_user_from_another_address_is_not_locked(staff):
    fail(browser(), staff.username, 5)
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")

    assert sign_in(elsewhere, staff.username, PASSWORD).status_code == 302


def test_a_forged_x_forwarded_for_does_not_escape_the_lock(staff):
    client = browser()
    # A new forged address with every try: without a trusted proxy the header is ignored.
    statuses = [
        sign_in(client, staff.username, WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    response = sign_in(client, staff.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429
    assert not signed_in(client)


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(settings, staff):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    # The client forges the left part; the proxy appends the address it saw (the right end).
    statuses = [
        sign_in(
            proxy, staff.username, WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {CLIENT_ADDRESS}"
        ).status_code
        for n in range(5)
    ]
    locked = sign_in(
        proxy, staff.username, PASSWORD, HTTP_X_FORWARDED_FOR=f"192.0.2.77, {CLIENT_ADDRESS}"
    )
    other_client = sign_in(
        Client(REMOTE_ADDR="10.0.0.2"),
        staff.username,
        PASSWORD,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert other_client.status_code == 302


# --------------------------------------------------------------------------- API token


def test_the_token_endpoint_locks_after_five_failures_with_a_detail(staff):
    client = browser()

    responses = [token(client, staff.username, WRONG) for _ in range(5)]

    assert [r.status_code for r in responses] == [400, 400, 400, 400, 429]
    assert "non_field_errors" in responses[0].json()
    assert set(responses[-1].json()) == {"detail"}
    assert "Too many failed sign-in attempts" in responses[-1].json()["detail"]
    assert responses[-1]["Retry-After"] == "900"


def test_a_locked_token_endpoint_refuses_the_right_password_and_issues_no_token(staff):
    client = browser()
    for _ in range(5):
        token(client, staff.username, WRONG)

    response = token(client, staff.username, PASSWORD)

    assert response.status_code == 429
    assert "token" not in response.json()
    assert not Token.objects.filter(user=staff).exists()


def test_the_token_endpoint_works_again_after_the_cool_off(staff):
    client = browser()
    for _ in range(5):
        token(client, staff.username, WRONG)

    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = token(client, staff.username, PASSWORD)

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=staff).key


def test_a_forged_x_forwarded_for_does_not_escape_the_token_lock(staff):
    client = browser()
    for n in range(5):
        token(client, staff.username, WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    response = token(client, staff.username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert response.status_code == 429


def test_a_token_obtained_clears_the_earlier_failures(staff):
    client = browser()
    for _ in range(4):
        token(client, staff.username, WRONG)
    assert token(client, staff.username, PASSWORD).status_code == 200

    statuses = [token(client, staff.username, WRONG).status_code for _ in range(4)]

    assert statuses == [400] * 4
    assert token(client, staff.username, PASSWORD).status_code == 200


def test_failures_on_the_page_and_the_api_add_up(staff, colleague):
    client = browser()
    fail(client, staff.username, 3)
    token(client, staff.username, WRONG)

    page = sign_in(client, staff.username, WRONG)
    api = token(client, staff.username, PASSWORD)

    assert page.status_code == 429
    assert api.status_code == 429
    assert token(client, colleague.username, PASSWORD).status_code == 200
