"""Staff are written to in the language they use the platform in."""

import pytest
from django.core import mail
from django.test import Client

from agencies.models import Membership
from coordination.outbound.outbox import outbox_mail_staff
from issues.services import issue_submit
from tests.factories import PASSWORD, AgencyFactory, member

pytestmark = pytest.mark.django_db


def test_each_member_gets_the_mail_in_the_language_they_signed_in_with(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://12345.qinghe.example"
    agency = AgencyFactory(code="urban")
    english = member(agency, username="reads_english")
    chinese = member(agency, username="reads_chinese")
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/login/", {"username": english.username, "password": PASSWORD}
    )
    assert Membership.objects.get(user=english).language == "en"
    issue = issue_submit(title="Lamp", description="Dark.", address="1 Road")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_mail_staff(agency_id=agency.pk, issue_id=issue.pk, event="assigned")

    assert len(mail.outbox) == 2
    message.refresh_from_db()
    assert message.status == "sent"
    # One copy per language, each with a Message-ID made from the outbox row.
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {
        f"<outbox-{message.pk}.en@12345.qinghe.example>",
        f"<outbox-{message.pk}.zh-hans@12345.qinghe.example>",
    }
    by_reader = {tuple(m.to): m for m in mail.outbox}
    assert by_reader[(english.email,)].subject.startswith("New work")
    assert by_reader[(chinese.email,)].subject.startswith("新工单")
    link = f"https://12345.qinghe.example/staff/issues/{issue.pk}/"
    assert link in by_reader[(english.email,)].body


def test_switching_the_language_changes_the_language_of_the_mail(client):
    staff = member(AgencyFactory(code="urban"), username="switcher")
    client.force_login(staff)

    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})

    assert Membership.objects.get(user=staff).language == "en"
