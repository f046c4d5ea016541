"""Finding an issue again by its tracking number and the last four digits of the phone (or
the e-mail); the filing limit counts only what was filed; the 429 page says when to retry."""

import pytest
from django.core import mail
from django.core.cache import cache

from issues.models import Issue
from issues.services import issue_submit

pytestmark = pytest.mark.django_db

REPORT = {"title": "Lamp out", "description": "Dark.", "address": "1 Road"}


@pytest.fixture
def issue():
    return issue_submit(
        **REPORT, contact_phone="138 0000 4321", contact_email="Resident@Example.org"
    )


EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def lookup(client, code, check=""):
    return client.post("/track/", {"code": code, "check": check}, **EN)


def test_the_tracking_number_and_the_phones_last_four_digits_open_the_issue(client, issue):
    response = lookup(client, issue.tracking_number, "4321")

    assert response.status_code == 302
    assert response["Location"] == f"/track/{issue.access_token}/"


def test_the_number_is_found_however_it_is_typed_and_with_the_email(client, issue):
    typed = issue.tracking_number.lower().replace("-", " ")
    response = lookup(client, typed, "resident@example.ORG")

    assert response.status_code == 302


def test_a_number_without_the_second_factor_is_refused_beside_that_field(client, issue):
    response = lookup(client, issue.tracking_number)

    assert response.status_code == 400
    assert response.context["form"].errors["check"]


def test_wrong_digits_open_nothing_and_say_so_without_telling_whether_the_number_exists(
    client, issue
):
    wrong = lookup(client, issue.tracking_number, "0000")
    unknown = lookup(client, "20200101-ABCDEF", "4321")

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_a_number_is_locked_after_five_wrong_answers_even_from_new_addresses(
    client, issue, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "track_number": "100/hour"}
    for n in range(5):
        lookup(client, issue.tracking_number, f"{n:04d}")

    right = lookup(client, issue.tracking_number, "4321")

    assert right.status_code == 400
    assert "Too many wrong answers" in right.content.decode()


def test_number_look_ups_are_limited_per_address(client, issue, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "track_number": "2/hour"}
    cache.clear()
    statuses = [lookup(client, issue.tracking_number, "4321").status_code for _ in range(3)]

    assert statuses == [302, 302, 429]


def test_the_link_still_works_and_a_bad_code_is_explained(client, issue):
    assert lookup(client, f"https://x/track/{issue.access_token}/").status_code == 302
    bad = lookup(client, "hello")
    assert bad.status_code == 400
    assert "tracking number" in str(bad.context["form"].errors["code"])


def test_an_old_get_link_to_the_lookup_still_opens_the_issue(client, issue):
    response = client.get("/track/", {"code": issue.access_token})

    assert response.status_code == 302


# ------------------------------------------------------------------------- the filing limit


def test_a_form_with_errors_does_not_count_against_the_filing_limit(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": "1/hour"}
    cache.clear()
    invalid = [client.post("/report/", {"title": "", "description": ""}) for _ in range(3)]
    filed = client.post("/report/", REPORT)

    assert [r.status_code for r in invalid] == [400, 400, 400]
    assert filed.status_code == 302


def test_past_the_limit_the_form_comes_back_as_typed_with_when_to_retry(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "submit": "1/hour"}
    cache.clear()
    client.post("/report/", REPORT)
    again = client.post("/report/", {**REPORT, "title": "Second lamp out"}, **EN)

    body = again.content.decode()
    assert again.status_code == 429
    assert int(again["Retry-After"]) > 0
    assert 'value="Second lamp out"' in body
    assert "minutes" in body
    assert Issue.objects.count() == 1


def test_the_429_page_says_when_to_retry_in_minutes(client, settings, issue):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "track": "1/hour"}
    cache.clear()
    client.get(f"/track/{issue.access_token}/")
    response = client.get(f"/track/{issue.access_token}/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert "Please try again in 60 minutes" in response.content.decode()


# ------------------------------------------------------------------------------ SITE_URL


def test_links_in_emails_are_built_on_site_url(settings):
    settings.SITE_URL = "https://12345.qinghe.example"
    mail.outbox.clear()
    from coordination.outbound.mail import resident_message

    issue = issue_submit(**REPORT, contact_email="r@example.org")
    _subject, body = resident_message(issue=issue, event="resolved")

    assert f"https://12345.qinghe.example/track/{issue.access_token}/" in body
