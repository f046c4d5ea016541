"""Security headers, cookies, CSRF on every form, and a Content-Security-Policy pages live with.

Production's cookie and HSTS settings apply only outside tests (``platform_gov.settings``), so
the tests that need them read those values from the settings module imported as production
does (a fresh process without pytest's marker, as in ``tests/platform/test_settings.py``) and
apply them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from agencies.models import Agency, Membership
from issues.services import issue_submit
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CategoryFactory,
    RoutingRuleFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
TEMPLATES = BASE_DIR / "templates"

PRODUCTION_SECURITY_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.fixture(scope="module")
def production_values() -> dict:
    """The security settings as production loads them (a fresh process, no .env)."""
    code = (
        "import json; from platform_gov import settings as s; "
        f"print(json.dumps({{k: getattr(s, k) for k in {PRODUCTION_SECURITY_SETTINGS!r}}}))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(Path.home())),
        "DJANGO_SECRET_KEY": "a-production-like-secret-key-used-only-by-this-test-0123456789",
        "DJANGO_DEBUG": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def production(settings, production_values):
    for name, value in production_values.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def staff():
    return member(AgencyFactory(code="env"), username="staff_env")


# ------------------------------------------------------------------------------ headers


def test_a_normal_page_carries_every_security_header():
    response = Client().get("/")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = [item.strip() for item in response["Permissions-Policy"].split(",")]
    assert "geolocation=(self)" in policy
    assert "camera=(self)" in policy
    assert "microphone=()" in policy
    assert "Content-Security-Policy" in response


def test_the_content_security_policy_allows_our_own_files_only():
    csp = directives(Client().get("/")["Content-Security-Policy"])

    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no nonce asked for, none given
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    everything = " ".join(value for values in csp.values() for value in values)
    assert "unsafe-inline" not in everything
    assert "unsafe-eval" not in everything
    assert "*" not in everything


def test_api_answers_carry_the_headers_too():
    response = Client().get("/api/v1/categories/")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "Permissions-Policy" in response


def test_the_api_docs_page_runs_its_inline_script_only_by_the_requests_nonce():
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    csp = directives(response["Content-Security-Policy"])
    nonces = [value for value in csp["script-src"] if value.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    assert f"'nonce-{nonce}'" in csp["style-src"]
    html = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
    assert {tag for tag, _attrs in inline} == {"script", "style"}
    for _tag, attributes in inline:
        assert f'nonce="{nonce}"' in attributes
    # A fresh nonce for every page.
    again = directives(Client().get("/api/docs/")["Content-Security-Policy"])
    assert f"'nonce-{nonce}'" not in again["script-src"]


def test_production_sends_hsts_for_a_year_with_subdomains(production):
    response = Client().get("/", secure=True)

    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_production_cookies_are_secure_httponly_and_same_site_lax(production, staff):
    client = Client()
    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies["csrftoken"]

    signed_in = client.post(
        "/accounts/login/",
        {
            "username": staff.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf.value,
        },
        secure=True,
    )

    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


# --------------------------------------------------------------------------------- CSRF


def template_files() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def post_forms(text: str) -> list[str]:
    """Each ``<form method="post">…</form>`` of a template, whole."""
    forms = re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.DOTALL | re.IGNORECASE)
    return [
        form
        for form in forms
        if re.search(r"""method=["']?post""", form.split(">", 1)[0], flags=re.IGNORECASE)
    ]


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    checked = 0
    missing = []
    for path in template_files():
        for form in post_forms(path.read_text(encoding="utf-8")):
            checked += 1
            if "{% csrf_token %}" not in form:
                missing.append(f"{path.relative_to(BASE_DIR)}: {form.splitlines()[0]}")

    assert checked >= 20  # the scan really finds the forms
    assert missing == []


def test_the_form_scan_notices_a_form_without_the_token():
    template = '<form method="post" action="/x/"><button>Go</button></form>'

    assert post_forms(template) == [template]
    assert "{% csrf_token %}" not in post_forms(template)[0]


def test_a_post_without_the_csrf_token_is_refused_with_403():
    category = CategoryFactory(code="street-light")
    RoutingRuleFactory(category=category, lead=AgencyFactory(code="urban"))
    strict = Client(enforce_csrf_checks=True)
    report = {
        "title": "Street light out",
        "description": "Dark for three nights.",
        "category": category.pk,
        "address": "12 Willow Lane",
    }

    refused = strict.post("/report/", report)
    csrf = strict.get("/report/").cookies["csrftoken"].value
    accepted = strict.post("/report/", {**report, "csrfmiddlewaretoken": csrf})

    assert refused.status_code == 403
    assert accepted.status_code == 302


def test_signing_in_without_the_csrf_token_is_refused_with_403(staff):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/accounts/login/", {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session


# ------------------------------------------------------------------------- inline code


def test_templates_have_no_inline_script_style_or_event_handler():
    """The policy would block them; an inline block needs the request's nonce."""
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<(script|style)\b([^>]*)>", text):
            tag, attributes = match.groups()
            if tag == "script" and "src=" in attributes:
                continue
            if "nonce=" not in attributes:
                offenders.append(f"{path.name}: <{tag}{attributes}>")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\sstyle=\"[^\"]*\"", text)]
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]

    assert offenders == []


# ------------------------------------------------------------------- in a real browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_main_pages_report_no_content_security_policy_violation(live_server, monkeypatch, browser):
    from playwright.sync_api import expect

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    member(centre, username="dispatcher")
    lead = AgencyFactory(code="urban", name_en="City Management Bureau")
    member(lead, role=Membership.Role.MANAGER, username="manager_urban")
    category = CategoryFactory(code="street-light", name_en="Street light broken")
    RoutingRuleFactory(category=category, lead=lead)
    issue = issue_submit(
        title="Street light out", description="Dark.", category=category, address="12 Lane"
    )
    UserFactory(username="admin", is_staff=True, is_superuser=True)

    # The session's one Chromium (``browser``, tests/conftest.py): a second Playwright in
    # the same process cannot start while it runs.
    violations: list[str] = []

    def new_page(username: str | None = None):
        page = browser.new_context(locale="en-US").new_page()
        page.on(
            "console",
            lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None,
        )
        if username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit].primary")
            page.wait_for_load_state()
        return page

    def visit(page, path: str) -> None:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 400, path
        page.wait_for_load_state("networkidle")

    resident = new_page()
    resident_pages = ["/", "/report/", "/track/", f"/track/{issue.access_token}/"]
    for path in [*resident_pages, "/accounts/login/"]:
        visit(resident, path)

    dispatcher = new_page("dispatcher")
    visit(dispatcher, "/dispatch/")

    admin = new_page("admin")
    for path in ["/admin/", "/admin/issues/issue/", f"/admin/issues/issue/{issue.pk}/change/"]:
        visit(admin, path)
    visit(admin, "/coordination/rules/")
    visit(admin, "/api/docs/")
    # The Swagger UI drew the operations: its start-up script ran under the policy.
    expect(admin.locator(".opblock").first).to_be_visible(timeout=20_000)

    assert violations == []
