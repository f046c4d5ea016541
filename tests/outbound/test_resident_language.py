"""Residents hear from the platform in the language they filed in."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from coordination.dispatch.services.routing import issue_dispatch
from issues.models import Issue
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return AgencyFactory(
        code="urban", name_zh="城管委", name_en="Urban Management", kind="government_department"
    )


def file(language: str) -> Issue:
    response = APIClient().post(
        "/api/v1/issues/",
        {
            "title": "Broken street light",
            "description": "Dark for three nights.",
            "contact_email": "resident@example.org",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 201, response.content
    return Issue.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(
    ("accept", "stored", "subject_words", "agency_name"),
    [
        ("en-GB,en;q=0.9", "en", "has been sent to", "Urban Management"),
        ("zh-CN,zh;q=0.9", "zh-hans", "已派发至", "城管委"),
        ("fr-FR", "zh-hans", "已派发至", "城管委"),  # a language we do not offer: the default
    ],
)
def test_the_residents_mail_is_in_the_language_they_filed_in(
    lead, dispatcher, accept, stored, subject_words, agency_name, django_capture_on_commit_callbacks
):
    issue = file(accept)
    assert issue.language == stored
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        issue_dispatch(issue_id=issue.pk, lead=lead, actor=dispatcher)

    (message,) = [m for m in mail.outbox if m.to == ["resident@example.org"]]
    assert subject_words in message.subject
    assert agency_name in message.subject
    assert issue.tracking_number in message.subject


def test_the_report_page_records_the_pages_language(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.post(
        "/report/",
        {"title": "Noise at night", "description": "Every night after 23:00.", "address": "x"},
    )

    assert response.status_code == 302
    assert Issue.objects.get().language == "en"
