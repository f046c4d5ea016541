"""Residents' optional accounts: sign up, file while signed in, and find the issues again."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from agencies.models import Membership
from tests.factories import CategoryFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-2026"


def signup(client, username="resident_a", password=PASSWORD, again=None):
    return client.post(
        "/accounts/signup/",
        {"username": username, "password1": password, "password2": again or password},
    )


def test_signing_up_creates_a_plain_account_and_signs_in(client):
    response = signup(client)

    assert response.status_code == 302
    assert response["Location"] == "/my/issues/"
    user = get_user_model().objects.get(username="resident_a")
    assert user.check_password(PASSWORD)
    assert not (user.is_staff or user.is_superuser)
    assert not Membership.objects.filter(user=user).exists()
    assert not user.groups.exists()
    assert client.get("/my/issues/").status_code == 200  # signed in


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"again": "something-else-entirely-2026"}, "password2"),
        ({"password": "12345678"}, "password2"),  # too common, entirely numeric
        ({"username": "bad name!"}, "username"),
        ({"username": ""}, "username"),
    ],
)
def test_a_bad_signup_is_refused_naming_the_field(client, fields, field):
    response = signup(client, **fields)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'href="#id_{field}"' in response.content.decode()
    assert list(get_user_model().objects.values_list("username", flat=True)) == []


def test_a_taken_name_is_refused_whatever_its_case(client):
    UserFactory(username="Resident_A")

    response = signup(client, username="resident_a")

    assert response.status_code == 400
    assert "username" in response.context["form"].errors
    assert get_user_model().objects.count() == 1


def test_signups_are_limited_per_client_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "2/hour"}

    statuses = [signup(client, username=f"r{n}", again="x").status_code for n in range(3)]

    assert statuses == [400, 400, 429]


def test_a_signed_in_user_is_sent_on_from_the_signup_page(client):
    client.force_login(UserFactory())

    assert client.get("/accounts/signup/")["Location"] == "/my/issues/"


def test_an_issue_filed_while_signed_in_is_listed_with_its_tracking_link(client):
    category = CategoryFactory()
    signup(client)

    response = client.post(
        "/report/",
        {
            "title": "Street light out on Elm Road",
            "description": "Dark for three nights.",
            "category": category.pk,
            "address": "3 Elm Road",
            "contact_name": "Wang Fang",
            "contact_phone": "13900001111",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    page = client.get("/my/issues/").content.decode()
    issue = get_user_model().objects.get(username="resident_a").reported_issues.get()
    assert issue.title in page
    assert f"/track/{issue.access_token}/" in page
    assert "13900001111" not in page and "Wang Fang" not in page


def test_residents_see_only_their_own_issues(client):
    resident_a, resident_b = UserFactory(), UserFactory()
    mine = IssueFactory(reporter=resident_a, title="A broken bench")
    IssueFactory(reporter=resident_b, title="B noisy bar")
    IssueFactory(title="Someone else pothole")

    client.force_login(resident_a)
    page = client.get("/my/issues/").content.decode()
    api = client.get("/api/v1/my/issues/").json()

    assert "A broken bench" in page
    assert "B noisy bar" not in page and "pothole" not in page
    assert [row["tracking_number"] for row in api["results"]] == [mine.tracking_number]
    assert api["results"][0]["access_token"] == mine.access_token
    assert set(api["results"][0]) == {
        "tracking_number",
        "access_token",
        "title",
        "category",
        "status",
        "created_at",
        "resolved_at",
    }


def test_the_api_list_works_with_a_token_and_refuses_strangers(client):
    resident = UserFactory()
    IssueFactory(reporter=resident)
    token = Token.objects.create(user=resident)

    assert client.get("/api/v1/my/issues/").status_code in (401, 403)
    answer = client.get("/api/v1/my/issues/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert answer.status_code == 200
    assert answer.json()["count"] == 1


def test_my_issues_needs_a_sign_in(client):
    response = client.get("/my/issues/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_resident_signing_in_lands_on_my_issues(client):
    resident = UserFactory()
    client.force_login(resident)

    assert client.get("/accounts/welcome/")["Location"] == "/my/issues/"


def test_a_resident_account_opens_no_staff_page(client):
    resident = UserFactory()
    issue = IssueFactory(reporter=resident)
    client.force_login(resident)

    assert client.get("/staff/").status_code == 403
    assert client.get(f"/staff/issues/{issue.pk}/").status_code == 403
    assert client.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    assert client.get("/api/v1/issues/").json()["count"] == 0


@pytest.mark.parametrize("count", [3, 60])
def test_my_issues_pages_in_twenties_with_the_same_few_queries(
    client, count, django_assert_max_num_queries
):
    resident = UserFactory()
    category = CategoryFactory()
    for n in range(count):
        IssueFactory(reporter=resident, category=category, title=f"Report {n}")
    client.force_login(resident)

    with django_assert_max_num_queries(8):
        response = client.get("/my/issues/")

    assert response.content.decode().count('data-testid="my-issue"') == min(count, 20)
    if count > 20:
        last = client.get("/my/issues/?page=3").content.decode()
        assert last.count('data-testid="my-issue"') == count - 40
        assert "Report 0" in last  # oldest last
