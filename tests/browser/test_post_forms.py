"""Every POST form of every page, submitted in Chromium: none may be refused by the CSRF check.

The tracking page once sent ``Referrer-Policy: no-referrer``, so Chromium posted its forms
(rating, reopen, the language switcher) with ``Origin: null`` and Django answered 403: residents
could neither rate nor reopen. A request-level test cannot see that (the test client sends no
Origin); only a real browser does. Each form is filled with something for each field (what is
filled need not be valid: a refusal of the input is a 400, never a 403) and submitted on a
fresh load of its page, as the person the page is for.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.browser.conftest import new_context
from tests.browser.pages import NOT_PAGE_PREFIXES, NOT_PAGE_ROUTES, NOT_PAGES, PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILL_AND_SUBMIT = """(index) => {
  const forms = [...document.querySelectorAll("form")].filter(
    (f) => (f.getAttribute("method") || "get").toLowerCase() === "post");
  const form = forms[index];
  for (const el of form.elements) {
    if (el.disabled || !el.name) continue;
    const type = (el.type || "").toLowerCase();
    if (el.tagName === "SELECT") {
      if (!el.value) { const o = [...el.options].find((o) => o.value); if (o) o.selected = true; }
    } else if (type === "radio") {
      const group = [...form.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
      if (!group.some((r) => r.checked)) group[0].checked = true;
    } else if (["checkbox", "hidden", "submit", "file", "button", "reset"].includes(type)) {
      continue;
    } else if (type === "datetime-local") {
      if (!el.value) el.value = "2030-01-07T10:00";
    } else if (type === "date") {
      if (!el.value) el.value = "2030-01-07";
    } else if (type === "number") {
      if (!el.value) el.value = "1";
    } else if (type === "email") {
      if (!el.value) el.value = "someone@example.org";
    } else if (!el.value) {
      el.value = "Browser test";
    }
  }
  form.noValidate = true;
  form.requestSubmit();
  return form.getAttribute("action") || location.pathname;
}"""

COUNT_POST_FORMS = """() => [...document.querySelectorAll("form")].filter(
  (f) => (f.getAttribute("method") || "get").toLowerCase() === "post").length"""


def _url_names(resolver=None, prefix="", route="") -> set[str]:
    """The names of the URL patterns outside the API, Open311 and the admin."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        path = route + str(entry.pattern)
        if path.startswith(NOT_PAGE_ROUTES):
            continue
        if isinstance(entry, URLResolver):
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            names |= _url_names(entry, space, path)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{prefix}{entry.name}")
    return names


def test_every_page_is_in_the_catalogue():
    """A new page must be added to ``tests/browser/pages.py`` (or named as no page there)."""
    catalogued = {page.name for page in PAGES} | set(NOT_PAGES)
    missing = sorted(
        name
        for name in _url_names()
        if name not in catalogued and not name.startswith(NOT_PAGE_PREFIXES)
    )
    assert missing == []


def test_every_post_form_of_every_page_passes_the_csrf_check(live_server, browser, demo_world):
    submitted = []
    refused = []
    for page_spec in PAGES:
        user = demo_world.user(page_spec.user) if page_spec.user else None
        url = f"{live_server.url}{page_spec.url(demo_world)}"
        context = new_context(browser, live_server, user=user)
        page = context.new_page()
        page.goto(url)
        count = page.evaluate(COUNT_POST_FORMS)
        context.close()
        for index in range(count):
            # A fresh context and load for each form: signing out or switching the language
            # must not change what the next form is submitted as.
            context = new_context(browser, live_server, user=user)
            page = context.new_page()
            page.goto(url)
            if page.evaluate(COUNT_POST_FORMS) <= index:
                # An earlier form changed the state (a rating closes the issue, and its form
                # goes): what it took away is covered by the page of that state.
                context.close()
                continue
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                action = page.evaluate(FILL_AND_SUBMIT, index)
            response = answer.value
            body = response.text() if response.status >= 400 else ""
            submitted.append((page_spec.label, action, response.status))
            if response.status == 403 or response.status >= 500 or "CSRF" in body:
                refused.append((page_spec.label, action, response.status))
            context.close()
    assert refused == []
    # Every page has at least the language switcher; the tracking pages their own forms.
    labels = {label for label, _action, _status in submitted}
    assert {page.label for page in PAGES} <= labels
    actions = {action for _label, action, _status in submitted}
    assert any(action.endswith("/feedback/") for action in actions)
    assert any(action.endswith("/reopen/") for action in actions)
