"""No personal data in the application's logs.

The redacting filter (``platform_gov.logging.RedactPersonalData``) sits on every handler of
``settings.LOGGING``. The flow test files issues with a name, a phone and an e-mail through the
page and the API, follows them, hits 404s on tracking links, and logs an exception that carries
contact data, then reads what was logged twice: as pytest's ``caplog`` saw it at DEBUG on the
root logger, and as the real configured handler wrote it.
"""

from __future__ import annotations

import io
import logging
import runpy
import sys

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import Agency
from issues.models import Issue
from platform_gov.logging import REDACTED, RedactPersonalData, redact
from tests.factories import AgencyFactory, CategoryFactory, RoutingRuleFactory, member

CONTACT_NAME = "欧阳娜娜"
CONTACT_PHONE = "13987654321"
CONTACT_EMAIL = "ouyang.nana@example.net"
API_NAME = "Zhuge Liangyu"
API_PHONE = "15011223344"
API_EMAIL = "zhuge.liangyu@example.com"
UNKNOWN_TOKEN = "Zx9" * 14 + "q"


# ------------------------------------------------------------------------- the patterns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13912345678 now", "call [phone] now"),
        ("call +86 139 1234 5678 now", "call [phone] now"),
        ("call 139-1234-5678 now", "call [phone] now"),
        ("tel:+8613912345678", "tel:[phone]"),
        ("landline 010-65123456", "landline 010-[number]"),
        ("landline 0571 8888 7777 ext 12", "landline [number] ext 12"),
        ("call 01065123456.", "call [number]."),
        ("mail li.hua+12345@mail.example.org please", "mail [email] please"),
        ("13800138000@qq.com", "[email]"),
        ("Not Found: /track/AbC-123_xyz/", f"Not Found: /track/{REDACTED}/"),
        ("GET /track/AbC-123_xyz/feedback/ 403", f"GET /track/{REDACTED}/feedback/ 403"),
        ("Not Found: /api/v1/track/AbC-123/", f"Not Found: /api/v1/track/{REDACTED}/"),
        ("GET /track/AbC/photos/3/", f"GET /track/{REDACTED}/photos/3/"),
        ("GET /report/submitted/AbC-123/", f"GET /report/submitted/{REDACTED}/"),
        ("GET /track/?code=https%3A%2F%2Fx%2Ftrack%2FAbC", f"GET /track/?code={REDACTED}"),
        ('"GET /track/AbC HTTP/1.1" 404', f'"GET /track/{REDACTED} HTTP/1.1" 404'),
    ],
)
def test_personal_data_is_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "issue 20251128-ABC234 routed to env",  # tracking numbers help support, name no one
        "GET /open311/v2/tokens/AbC123.json 200",  # Open311 request tokens are public
        "GET /track/ 200",
        "webhook delivery 123456 failed after 5 attempts",
        "deadline 2025-11-28 18:00:00 for assignment 42",
        "health check: database unavailable at 127.0.0.1:5432",
        "Task issue_route[12345678-3c46-43e1-8c26-309507123456] succeeded in 0.0123456789s",
        "amount 1234567.89",
    ],
)
def test_what_is_not_personal_is_kept(text):
    assert redact(text) == text


def test_the_filter_formats_with_the_arguments_then_redacts_and_clears_them():
    record = logging.LogRecord(
        "issues", logging.WARNING, __file__, 1, "resident %s at %s", (CONTACT_EMAIL, 42), None
    )

    assert RedactPersonalData().filter(record) is True

    assert record.msg == "resident [email] at 42"
    assert record.args is None
    assert record.getMessage() == "resident [email] at 42"


def test_the_filter_redacts_the_exception_text():
    try:
        raise ValueError(f"duplicate contact {CONTACT_PHONE} / {CONTACT_EMAIL}")
    except ValueError:
        record = logging.LogRecord(
            "issues", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )

    RedactPersonalData().filter(record)
    written = logging.Formatter().format(record)

    assert "ValueError: duplicate contact [phone] / [email]" in written
    assert CONTACT_PHONE not in written
    assert CONTACT_EMAIL not in written


def test_every_configured_handler_carries_the_filter():
    handlers = settings.LOGGING["handlers"]

    assert handlers
    for name, handler in handlers.items():
        assert "redact" in handler.get("filters", []), name
    assert settings.LOGGING["filters"]["redact"]["()"] == "platform_gov.logging.RedactPersonalData"
    # Django's own loggers would bring their own handlers: every logger uses ours or none.
    for name, logger in settings.LOGGING["loggers"].items():
        assert set(logger.get("handlers", [])) <= set(handlers), name


def test_gunicorns_access_log_from_its_config_file_is_redacted():
    """``gunicorn.conf.py`` (read by gunicorn from the directory it starts in) sets the logger."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config_file = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", config_file["logger_class"])
    cfg.set("accesslog", "-")
    logger = cfg.logger_class(cfg)
    assert isinstance(logger, Logger)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)
    path = f"/track/{UNKNOWN_TOKEN}/"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?code={UNKNOWN_TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://12345.example/report/submitted/{UNKNOWN_TOKEN}/",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])

    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=12))

    written = stream.getvalue()
    assert f'"GET /track/{REDACTED}/?code={REDACTED} HTTP/1.1" 200 512' in written
    assert f"/report/submitted/{REDACTED}/" in written
    assert UNKNOWN_TOKEN not in written


# ---------------------------------------------------------------------- the whole flow


@pytest.fixture
def configured_handler_output():
    """What the real console handler on the root logger writes, captured."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonalData) for f in handler.filters)
    ]
    assert len(handlers) == 1, "the configured console handler is not on the root logger"
    handler = handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def city():
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    lead = AgencyFactory(code="urban", name_en="City Management Bureau")
    member(lead, username="staff_urban")
    member(centre, username="dispatcher")
    category = CategoryFactory(code="street-light", name_en="Street light broken")
    RoutingRuleFactory(category=category, lead=lead)
    return {"category": category}


@pytest.mark.django_db
def test_a_whole_flow_logs_no_phone_email_name_or_access_token(
    city, caplog, configured_handler_output, django_capture_on_commit_callbacks, mailoutbox
):
    caplog.set_level(logging.DEBUG)
    page = Client()
    page.cookies["django_language"] = "en"

    # A resident files through the page; routing and the resident's e-mail run after commit.
    with django_capture_on_commit_callbacks(execute=True):
        filed = page.post(
            "/report/",
            {
                "title": "Street light out at Willow Lane",
                "description": f"Call me on {CONTACT_PHONE} or write to {CONTACT_EMAIL}.",
                "category": city["category"].pk,
                "address": "12 Willow Lane",
                "contact_name": CONTACT_NAME,
                "contact_phone": CONTACT_PHONE,
                "contact_email": CONTACT_EMAIL,
            },
        )
    assert filed.status_code == 302
    by_page = Issue.objects.get(contact_phone=CONTACT_PHONE)
    assert by_page.status == Issue.Status.DISPATCHED
    assert mailoutbox, "the resident was not told by e-mail"

    # Another through the API, then a bad one that names its field.
    api = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/issues/",
            {
                "title": "Noise at night",
                "description": "Drilling after midnight.",
                "category": "street-light",
                "contact_name": API_NAME,
                "contact_phone": API_PHONE,
                "contact_email": API_EMAIL,
            },
            format="json",
        )
    assert created.status_code == 201
    by_api = Issue.objects.get(pk=created.json()["id"])
    bad = api.post(
        "/api/v1/issues/",
        {"title": "t", "description": "d", "contact_email": f"{API_PHONE}@"},
        format="json",
    )
    assert bad.status_code == 400

    # Following the issues, a pasted link, and links that lead nowhere (logged as 404s).
    assert page.get(f"/track/{by_page.access_token}/").status_code == 200
    assert page.get(f"/report/submitted/{by_page.access_token}/").status_code == 200
    assert api.get(f"/api/v1/track/{by_api.access_token}/").status_code == 200
    assert page.get("/track/", {"code": f"/track/{by_page.access_token}/"}).status_code == 302
    assert page.get(f"/track/{UNKNOWN_TOKEN}/").status_code == 404
    assert api.get(f"/api/v1/track/{UNKNOWN_TOKEN}/").status_code == 404
    refused = page.post(f"/track/{by_page.access_token}/feedback/", {"rating": 9})
    assert refused.status_code < 500

    # Our own code logging an error whose exception carries contact data.
    try:
        raise RuntimeError(f"could not notify {CONTACT_PHONE} {CONTACT_EMAIL}")
    except RuntimeError:
        logging.getLogger("coordination.outbound.mail").exception(
            "notification for %s failed", CONTACT_EMAIL
        )

    written = configured_handler_output.getvalue()
    captured = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    # The flow did log, and what it logged is redacted rather than missing.
    assert f"Not Found: /track/{REDACTED}/" in written
    assert f"Not Found: /api/v1/track/{REDACTED}/" in written
    assert "notification for [email] failed" in written
    assert "RuntimeError: could not notify [phone] [email]" in written
    assert f"Not Found: /track/{REDACTED}/" in captured
    secrets = [
        CONTACT_NAME,
        CONTACT_PHONE,
        CONTACT_EMAIL,
        API_NAME,
        API_PHONE,
        API_EMAIL,
        by_page.access_token,
        by_api.access_token,
        UNKNOWN_TOKEN,
    ]
    for output in (written, captured):
        for secret in secrets:
            assert secret not in output
