"""Staff are written to in the language they use the platform in."""

import pytest
from django.core import mail
from django.test import Client

from agencies.models import Membership
from coordination.outbound.tasks import notify_agency
from issues.services import issue_submit
from tests.factories import PASSWORD, AgencyFactory, member

pytestmark = pytest.mark.django_db


def test_each_member_gets_the_mail_in_the_language_they_signed_in_with(settings):
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

    sent = notify_agency(agency.pk, issue.pk, "assigned")

    assert sent == 2
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
