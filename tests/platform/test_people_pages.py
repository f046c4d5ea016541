"""Password reset by e-mail, the favicon, the site's 404 page while debugging, a lang on the
API docs."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_password_is_reset_by_a_link_built_on_site_url(client, settings):
    settings.SITE_URL = "https://12345.qinghe.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(username="forgetful", email="forgetful@example.org")

    sent = client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})

    assert sent.status_code == 302
    (message,) = mail.outbox
    link = re.search(r"https://12345\.qinghe\.example(/accounts/password/reset/\S+/)", message.body)
    assert link and "forgetful" in message.body
    form = client.get(link.group(1), follow=True)
    changed = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"new_password1": "a-new-Long-pass-2026", "new_password2": "a-new-Long-pass-2026"},
    )
    assert changed.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-Long-pass-2026")


def test_the_sign_in_page_offers_the_reset(client):
    assert 'href="/accounts/password/reset/"' in client.get("/accounts/login/").content.decode()


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_a_missing_page_shows_the_sites_404_page_even_while_debugging(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert response.status_code == 404
    assert "We could not find this page" in body
    assert "URLconf" not in body
    assert client.get("/api/v1/issues/999999/").status_code in (403, 404)


def test_the_api_docs_say_their_language(client):
    body = client.get("/api/docs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in body
