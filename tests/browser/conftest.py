"""Browser fixtures (the session's one Chromium, ``browser``, is in tests/conftest.py):
signed-in contexts, and the demo city with an issue in every state a page can show
(``tests/browser/world.py``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


def new_context(browser, live_server, *, user=None, language="en", viewport=None):
    """A browser context in ``language``, signed in as ``user`` (a session cookie made with
    Django's test client, so no test pays for the sign-in page) or anonymous."""
    context = browser.new_context(
        locale=LOCALES[language],
        viewport=viewport or DESKTOP,
        extra_http_headers={"Accept-Language": language},
    )
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def demo_world(transactional_db, settings):
    """The demo city and one issue in each state the pages show."""
    from tests.browser.world import build

    settings.RATE_LIMITS = {key: "10000/hour" for key in settings.RATE_LIMITS}
    return build()
