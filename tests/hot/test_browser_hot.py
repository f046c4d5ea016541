"""The hot room's pages in headless Chromium: charts and maps draw under the strict
Content-Security-Policy with no script error, axe finds nothing serious, a 390 px phone
needs no sideways scrolling, and "me too" works from the report form."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from coordination.hot.models import HotMember, Support
from coordination.hot.services import topics
from issues.services import issue_submit
from tests.factories import PASSWORD

from .conftest import EAST, EAST_NEAR, City
from .fixtures import RUBBISH_QINGSONG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


@pytest.fixture
def world(transactional_db):
    """A hot issue of three complaints made a topic, in a city of our own."""
    city = City()
    issues = []
    for title, text in RUBBISH_QINGSONG:
        # Filed and committed one by one: the clustering task runs after each (eagerly).
        issues.append(
            issue_submit(
                title=title,
                description=text,
                category=city.rubbish,
                lat=EAST[0],
                lon=EAST[1],
                contact_phone="13800001234",
            )
        )
    hot = HotMember.objects.get(issue=issues[0]).hot_issue
    topic = topics.topic_create(
        actor=city.dispatcher,
        title="青松苑垃圾站搬迁",
        goal="搬离住宅楼。",
        lead=city.street,
        participants=[city.sanitation, city.league],
        hot_issue=hot,
    )
    return {"city": city, "issues": issues, "hot": hot, "topic": topic}


def watch(page) -> list[str]:
    """Collect script errors and Content-Security-Policy violations of the page."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # A failed load is reported by its response (the browser's own favicon.ico request is
    # not the page's doing); every other console error is a problem.
    page.on(
        "console",
        lambda message: problems.append(message.text)
        if message.type == "error" and not message.text.startswith("Failed to load resource")
        else None,
    )
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}")
        if response.status >= 400 and not response.url.endswith("/favicon.ico")
        else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return problems


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.narrow button[type=submit]")


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_the_board_hot_issue_topic_and_cooperation_pages_draw_cleanly(
    live_server, browser, world, language
):
    context = browser.new_context(locale=language, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch(page)
    sign_in(page, live_server.url, "hx_dispatcher")
    hot, topic = world["hot"], world["topic"]
    for path in ("/hot/", f"/hot/{hot.pk}/", f"/hot/topics/{topic.pk}/", "/hot/cooperation/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if path == f"/hot/{hot.pk}/":
            expect(page.locator(".echart canvas")).to_have_count(1)
            expect(page.locator(".hot-map .leaflet-interactive")).not_to_have_count(0)
        assert serious_violations(page) == [], path
    assert problems == []
    context.close()


def test_the_pages_fit_a_phone(live_server, browser, world):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server.url, "hx_dispatcher")
    for path in ("/hot/", f"/hot/{world['hot'].pk}/", f"/public/issues/{world['issues'][0].pk}/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
    context.close()


def test_a_resident_says_me_too_from_the_report_form(live_server, browser, world):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = watch(page)
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_title", "垃圾站臭气熏天")
    page.fill("#id_contact_phone", "13912345678")
    page.fill("#id_lat", str(EAST_NEAR[0]))
    page.fill("#id_lon", str(EAST_NEAR[1]))
    panel = page.get_by_test_id("nearby-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("li")).to_have_count(3)
    assert serious_violations(page) == []
    panel.locator("li").first.get_by_role("button").click()
    expect(panel.locator(".nearby-done")).to_have_count(1)
    assert Support.objects.count() == 1
    assert problems == []
    context.close()
