"""``make screenshots``: every page of the catalogue, in Chinese and English, on a desktop and
a 390 px phone, as PNG files in ``$SCREENSHOTS_DIR`` (``screenshots/``, not committed), so
anyone can look at the pages without running them. Marked ``screenshots``: deselected (not run, not
skipped) unless SCREENSHOTS_DIR is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, new_context
from tests.browser.pages import PAGES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.screenshots,
    pytest.mark.django_db(transaction=True),
]

TARGET = os.environ.get("SCREENSHOTS_DIR", "")


def test_screenshots_of_every_page(live_server, browser, demo_world):
    folder = Path(TARGET)
    folder.mkdir(parents=True, exist_ok=True)
    taken = 0
    for language in ("zh-hans", "en"):
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            contexts = {}
            for spec in PAGES:
                if spec.user not in contexts:
                    user = demo_world.user(spec.user) if spec.user else None
                    contexts[spec.user] = new_context(
                        browser, live_server, user=user, language=language, viewport=viewport
                    )
                page = contexts[spec.user].new_page()
                page.goto(f"{live_server.url}{spec.url(demo_world)}")
                page.wait_for_load_state("networkidle")
                page.screenshot(
                    path=str(folder / f"{spec.label}.{language}.{device}.png"), full_page=True
                )
                page.close()
                taken += 1
            for context in contexts.values():
                context.close()
    assert taken == len(PAGES) * 4
