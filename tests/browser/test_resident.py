"""The resident's side in Chromium, in Chinese and English, on a phone and a desktop: the map
on the report form, searchable categories, the tracking page, finding an issue by its number."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from issues.models import Issue
from tests.browser.conftest import DESKTOP, PHONE, new_context
from tests.browser.world import PHONE as RESIDENT_PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "send": "Send report",
        "outside": "outside Qinghe City",
        "combined": "combined with an identical one",
        "reopen": "The problem is still there? Reopen it",
    },
    "zh-hans": {
        "send": "提交",
        "outside": "清河市",
        "combined": "合并",
        "reopen": "问题仍未解决？重新打开",
    },
}


@pytest.mark.parametrize(
    ("language", "viewport"), [("zh-hans", PHONE), ("en", DESKTOP)], ids=["zh-phone", "en-desktop"]
)
def test_a_resident_picks_the_place_on_the_map_and_a_category_by_pinyin(
    live_server, browser, demo_world, language, viewport
):
    context = new_context(browser, live_server, language=language, viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}/report/")
    map_ = page.get_by_test_id("report-map")
    expect(map_).to_have_attribute("data-ready", "true")
    # No tile server is configured: the city's areas are the map.
    assert page.locator(".leaflet-overlay-pane path").count() >= 3

    map_.scroll_into_view_if_needed()
    box = map_.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.6)
    expect(page.locator("#id_lat")).not_to_have_value("")
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert 39.85 <= lat <= 40.0 and 116.3 <= lon <= 116.5
    # The address is filled from the areas holding the place.
    assert page.input_value("#id_address")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)

    # A category found by typing its pinyin, never cut off on a phone.
    page.locator("#id_category + .ts-wrapper .ts-control").click()
    page.keyboard.type("ludeng")
    option = page.locator(".ts-dropdown .option.active")
    expect(option).to_have_text(re.compile("路灯|street light", re.I))
    option_box = option.bounding_box()
    assert option_box["x"] >= 0 and option_box["x"] + option_box["width"] <= viewport["width"]
    page.keyboard.press("Enter")
    assert page.eval_on_selector("#id_category", "s => s.selectedOptions[0].textContent")

    page.fill("#id_title", "Street light out at Willow Lane")
    page.fill("#id_description", "Dark for three nights.")
    page.fill("#id_contact_phone", "13900005678")
    page.get_by_role("button", name=WORDS[language]["send"]).click()
    expect(page.get_by_test_id("tracking-number")).to_be_visible()
    issue = Issue.objects.order_by("-pk").first()
    assert issue.category.code == "street-light"
    assert issue.area is not None

    # The tracking page shows the resident's own report, place, map and deadline.
    page.get_by_test_id("track-link").click()
    expect(page.get_by_test_id("description")).to_contain_text("Dark for three nights.")
    expect(page.get_by_test_id("place-map")).to_have_attribute("data-ready", "true")
    expect(page.get_by_test_id("expected-deadline")).to_be_visible()
    context.close()


def test_a_place_outside_the_city_is_refused_on_the_map_and_by_the_server(
    live_server, browser, demo_world
):
    context = new_context(browser, live_server, language="en")
    page = context.new_page()
    page.goto(f"{live_server.url}/report/")
    expect(page.get_by_test_id("report-map")).to_have_attribute("data-ready", "true")
    page.fill("#id_lat", "31.23")
    page.fill("#id_lon", "121.47")
    page.locator("#id_lon").dispatch_event("change")
    expect(page.locator("#map-status")).to_contain_text(WORDS["en"]["outside"])
    page.fill("#id_title", "Lamp")
    page.fill("#id_description", "Dark.")
    page.get_by_role("button", name=WORDS["en"]["send"]).click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(WORDS["en"]["outside"])
    # Focus moves to the error summary, so a screen reader hears what to mend.
    expect(summary).to_be_focused()
    context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_tracking_pages_after_a_rating_and_a_merge(live_server, browser, demo_world, language):
    context = new_context(browser, live_server, language=language, viewport=PHONE)
    page = context.new_page()
    closed = demo_world.issues["closed"]
    page.goto(f"{live_server.url}/track/{closed.access_token}/")
    details = page.get_by_test_id("reopen-form").locator("details")
    expect(details).not_to_have_attribute("open", "")
    page.get_by_text(WORDS[language]["reopen"]).click()
    expect(details).to_have_attribute("open", "")

    merged = demo_world.issues["merged"]
    survivor = demo_world.issues["accepted"]
    page.goto(f"{live_server.url}/track/{merged.access_token}/")
    expect(page.get_by_test_id("merged")).to_contain_text(WORDS[language]["combined"])
    assert survivor.tracking_number not in page.content()
    context.close()


def test_a_resident_finds_the_issue_by_number_and_the_phones_last_four_digits(
    live_server, browser, demo_world
):
    issue = demo_world.issues["pending"]
    context = new_context(browser, live_server, language="en", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/track/")
    page.fill("#id_code", issue.tracking_number)
    page.fill("#id_check", "9999")
    page.get_by_role("button", name="Track").click()
    expect(page.locator(".error-summary")).to_be_focused()
    page.fill("#id_check", RESIDENT_PHONE[-4:])
    page.get_by_role("button", name="Track").click()
    expect(page).to_have_url(re.compile(f"/track/{issue.access_token}/$"))
    expect(page.get_by_test_id("status")).to_be_visible()
    context.close()
