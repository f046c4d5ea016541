"""A NUL character or a lone surrogate anywhere in a request answers 400, never 500.

PostgreSQL cannot store NUL in text, and no database can store a lone UTF-16 surrogate (JSON's
``\\ud800``): before ``platform_gov.characters`` such a value in a path, a query parameter or
a body reached a query in about ten places and answered 500 (on PostgreSQL; surrogates on
SQLite too). The sweep below tries every route that takes text in its path, the query
parameters the views read, and bodies of each kind.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from agencies.models import Agency
from tests.factories import AgencyFactory, UserFactory, member

pytestmark = pytest.mark.django_db

NUL = "\x00"
SURROGATE = "\ud800"
# Routes with text parameters outside our control: the admin's and the static files'.
SKIPPED = ("admin/", "static/", "i18n/")


def _text_routes(patterns, prefix: str = ""):
    """Every route path with its ``<str:…>`` (or regex) parameters filled with ``%00``."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _text_routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            if pattern.startswith(SKIPPED) or pattern.startswith("^"):
                continue
            if "<str:" in pattern or "<slug:" in pattern or "(?P<" in pattern:
                path = re.sub(r"<(?:str|slug):\w+>", "%00", pattern)
                path = re.sub(r"<int:\w+>", "1", path)
                path = re.sub(r"\(\?P<fmt>[^)]*\)", "json", path)
                path = re.sub(r"\(\?P<\w+>[^)]*\)", "%00", path)
                if "%00" not in path:
                    continue  # only the format: no text of the client's
                yield "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


ROUTES = sorted(set(_text_routes(get_resolver().url_patterns)))
OPEN311 = [
    "/open311/v2/requests/%00.json",
    "/open311/v2/services/%00.xml",
    "/open311/v2/tokens/%00.json",
]


@pytest.fixture
def dispatcher():
    centre = AgencyFactory(code="centre", kind=Agency.Kind.DISPATCH_CENTRE)
    return member(centre, username="dispatcher")


def test_the_sweep_finds_the_routes_that_take_text():
    assert "/track/%00/" in ROUTES
    assert "/api/v1/track/%00/" in ROUTES


@pytest.mark.parametrize("path", ROUTES + OPEN311)
def test_nul_in_a_path_answers_400(client, dispatcher, path):
    client.force_login(dispatcher)
    assert client.get(path).status_code == 400
    assert client.post(path, {}).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/issues/?search=%00",
        "/api/v1/issues/?category=%00",
        "/api/v1/issues/?status=%00",
        "/api/v1/assignments/?status=%00",
        "/api/v1/coordination-requests/?kind=%00",
        "/api/v1/stats/agencies/?from=%00",
        "/api/v1/agencies/?search=%00",
        "/open311/v2/requests.json?service_code=%00",
        "/open311/v2/requests.json?service_request_id=%00",
        "/open311/v2/requests.xml?start_date=%00",
        "/track/?code=%00",
        "/staff/?page=%00",
        "/dashboard/?from=%00",
        "/?next=%ED%A0%80%00",
    ],
)
def test_nul_in_a_query_answers_400(client, dispatcher, path):
    client.force_login(dispatcher)
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/issues/", {"title": "Lamp{}", "description": "Dark."}),
        ("/api/v1/issues/", {"title": "Lamp", "description": "Dark.", "category": "x{}"}),
        ("/api/v1/auth/token/", {"username": "a{}", "password": "b"}),
        ("/open311/v2/requests.json", {"service_code": "X{}", "api_key": "k"}),
        ("/api/v1/issues/1/dispatch/", {"lead": "x{}"}),
    ],
)
def test_a_bad_character_in_a_json_body_answers_400(dispatcher, bad, path, body):
    client = APIClient()
    client.force_authenticate(dispatcher)
    payload = json.dumps({k: v.replace("{}", bad) for k, v in body.items()})
    response = client.generic(
        "POST", path, payload.encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert response.status_code == 400, response.content


def test_nul_in_a_form_body_answers_400(client):
    UserFactory(username="someone")
    assert (
        client.post("/accounts/login/", {"username": "some\x00one", "password": "x"}).status_code
        == 400
    )
    response = client.post("/open311/v2/requests.json", {"service_code": "\x00", "api_key": "k"})
    assert response.status_code == 400


def test_each_surface_words_the_answer_its_own_way(client):
    api = client.get("/api/v1/track/%00/")
    assert api.json() == {
        "detail": "The request contains a character that cannot be stored (NUL or a lone "
        "surrogate).",
        "code": "invalid_character",
    }
    open311 = client.get("/open311/v2/requests/%00.xml")
    assert open311["Content-Type"] == "text/xml; charset=utf-8"
    assert b"<errors><error><code>400</code>" in open311.content
    assert client.get("/open311/v2/requests/%00.json").json()[0]["code"] == 400
    page = client.get("/track/%00/")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
