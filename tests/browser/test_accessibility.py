"""axe-core on every page of the catalogue, in Chinese and in English: no serious or
critical violation. Also: every page says its language, a failed submit moves the focus to
the error summary, and the focus ring shows on the red header."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import new_context
from tests.browser.pages import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = ("serious", "critical")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_has_a_serious_or_critical_accessibility_violation(
    live_server, browser, demo_world, language
):
    axe = Axe()
    found = []
    contexts = {}
    for spec in PAGES:
        if spec.user not in contexts:
            user = demo_world.user(spec.user) if spec.user else None
            contexts[spec.user] = new_context(browser, live_server, user=user, language=language)
        page = contexts[spec.user].new_page()
        response = page.goto(f"{live_server.url}{spec.url(demo_world)}")
        assert response.status == spec.status, spec.label
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("html", "lang") == language, spec.label
        results = axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                found.append((spec.label, violation["id"], violation["impact"], targets))
        page.close()
    for context in contexts.values():
        context.close()
    assert found == [], "\n".join(map(str, found))


def test_the_focus_ring_shows_on_the_red_header(live_server, browser, demo_world):
    context = new_context(browser, live_server, language="en")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand, on the red header
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, document.activeElement.className]; }"
    )
    assert outline[2] == "brand"
    assert outline[0] == "solid" and outline[1] == "rgb(255, 255, 255)"
    context.close()


def test_a_failed_submit_moves_the_focus_to_the_error_summary(live_server, browser, demo_world):
    context = new_context(browser, live_server, language="zh-hans")
    page = context.new_page()
    page.goto(f"{live_server.url}/report/")
    page.locator("form.stack button[type=submit].primary").click()
    page.wait_for_selector(".error-summary")
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    context.close()
