"""The console driven by the keyboard alone in Chromium, counting the keys of each happy path:
file a new call, answer one on the spot with a knowledge answer, and note a repeat caller's
follow-up. (Chinese is typed as characters: one key each here; an input method takes more.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from coordination.dispatch.models import Handoff
from issues.models import Issue
from tests.browser.conftest import new_context
from tests.factories import IssueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Keyboard:
    """Presses keys on the page and counts them: a typed text counts a key per character."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1


def console(browser, live_server, operator):
    context = new_context(browser, live_server, user=operator, language="zh-hans")
    page = context.new_page()
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("#id_contact_phone")).to_be_focused()
    return context, page, Keyboard(page)


def test_filing_a_call_by_keyboard(live_server, browser, operator, capsys):
    context, page, keys = console(browser, live_server, operator)
    keys.type("13900002222")
    keys.press("Tab")
    keys.type("路灯不亮")
    keys.press("Tab")
    keys.type("幸福路口路灯坏了三天")
    keys.press("Control+Enter")
    expect(page.locator("ul.messages")).to_be_visible(timeout=60_000)
    issue = Issue.objects.get()
    assert (issue.channel, issue.contact_phone, issue.title) == ("phone", "13900002222", "路灯不亮")
    assert issue.answered_at_first_contact is False
    with capsys.disabled():
        print(f"\n[desk] filing a call: {keys.count} keys, 0 clicks")
    assert keys.count == 11 + 1 + 4 + 1 + 10 + 1
    context.close()


def test_answering_on_the_spot_by_keyboard(live_server, browser, operator, article, capsys):
    context, page, keys = console(browser, live_server, operator)
    keys.type("13900003333")
    keys.press("Tab")
    keys.type("公积金提取")
    expect(page.get_by_test_id("desk-answers")).to_contain_text("住房公积金怎么提取？")
    keys.press("Alt+1")
    expect(page.locator("#id_answer")).to_have_value(article.answer)
    keys.press("Alt+Enter")
    expect(page.locator("ul.messages")).to_be_visible(timeout=60_000)
    issue = Issue.objects.get()
    assert issue.status == Issue.Status.CLOSED and issue.answered_at_first_contact
    assert issue.handoffs.get(kind=Handoff.Kind.CLOSED).details["article"] == article.pk
    with capsys.disabled():
        print(f"\n[desk] answering on the spot: {keys.count} keys, 0 clicks")
    context.close()


def test_a_repeat_callers_follow_up_by_keyboard(live_server, browser, operator, capsys):
    earlier = IssueFactory(contact_phone="13900004444", status=Issue.Status.DISPATCHED)
    context, page, keys = console(browser, live_server, operator)
    keys.type("13900004444")
    history = page.get_by_test_id("caller-history")
    expect(history).to_contain_text(earlier.tracking_number)
    keys.press("Tab")  # into the open issue's follow-up note
    keys.type("又来电催办")
    keys.press("Enter")
    expect(page.locator("ul.messages")).to_be_visible(timeout=60_000)
    note = earlier.handoffs.get(kind=Handoff.Kind.REMINDED)
    assert note.note == "又来电催办"
    assert Issue.objects.count() == 1  # no new issue
    with capsys.disabled():
        print(f"\n[desk] a repeat caller's follow-up: {keys.count} keys, 0 clicks")
    context.close()


def test_the_console_and_the_knowledge_pages_pass_axe(live_server, browser, operator, article):
    from axe_playwright_python.sync_playwright import Axe

    IssueFactory(contact_phone="13900005555", status=Issue.Status.DISPATCHED)
    axe = Axe()
    found = []
    context, page, keys = console(browser, live_server, operator)
    keys.type("13900005555")
    expect(page.get_by_test_id("caller-history")).to_be_visible()
    page.locator("#id_title").fill("公积金提取")
    expect(page.get_by_test_id("desk-answers")).to_be_visible()
    pages = [page]
    for path in ("/knowledge/", f"/knowledge/{article.pk}/", "/knowledge/?q=公积金"):
        other = context.new_page()
        other.goto(f"{live_server.url}{path}")
        pages.append(other)
    for shown in pages:
        for violation in axe.run(shown).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                found.append((shown.url, violation["id"], violation["nodes"][0]["target"]))
    context.close()
    assert found == []
