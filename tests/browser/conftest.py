"""Browser fixtures: one headless Chromium for the whole session, signed-in contexts, and the
demo city with an issue in every state a page can show (``tests/browser/world.py``)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test session: starting it costs a second or two, a context nothing."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # from it are plain blocking calls, which Django would otherwise refuse.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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
