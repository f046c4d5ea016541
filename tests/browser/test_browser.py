"""A resident and an agency's staff in a real browser (headless Chromium via Playwright)."""

import re

import pytest
from playwright.sync_api import expect

from agencies.models import Membership
from tests.factories import PASSWORD, AgencyFactory, CategoryFactory, RoutingRuleFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resident_report_is_resolved_by_the_routed_agency_and_shown_on_tracking(
    live_server, browser
):
    category = CategoryFactory(code="street-light", name_en="Street light broken")
    lead = AgencyFactory(code="urban", name_en="City Management Bureau")
    RoutingRuleFactory(category=category, lead=lead)
    member(lead, role=Membership.Role.STAFF, username="staff_urban")

    # The resident files the issue on a phone-sized screen, in English.
    resident = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = resident.new_page()
    page.goto(f"{live_server.url}/report/")
    page.fill("#id_title", "Street light out at Willow Lane")
    page.fill("#id_description", "Dark for three nights, children walk here.")
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_address", "12 Willow Lane")
    page.click("form button[type=submit].primary")
    tracking_number = page.get_by_test_id("tracking-number").inner_text().strip()
    track_url = page.get_by_test_id("track-link").get_attribute("href")
    assert re.fullmatch(r"\d{8}-[2-9A-Z]{6}", tracking_number)

    # Staff of the routed agency sign in, accept and resolve it.
    staff = browser.new_context(locale="en-US").new_page()
    staff.goto(f"{live_server.url}/accounts/login/")
    staff.fill("#id_username", "staff_urban")
    staff.fill("#id_password", PASSWORD)
    staff.click("form button[type=submit].primary")
    staff.wait_for_url(re.compile(r"/staff/$"))
    staff.click(f"text={tracking_number}")
    staff.get_by_role("button", name="Accept (签收)").click()
    expect(staff.get_by_test_id("issue-status")).to_have_text("In progress")
    staff.fill("#id_resolution", "Lamp replaced on 28 November.")
    staff.get_by_role("button", name="Record resolution").click()
    expect(staff.get_by_test_id("issue-status")).to_have_text("Resolved")

    # The resident's tracking page shows the resolution.
    page.goto(f"{live_server.url}{track_url}")
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    expect(page.get_by_test_id("resolution")).to_contain_text("Lamp replaced on 28 November.")
    expect(page.locator(".timeline")).to_contain_text("City Management Bureau")
    resident.close()
