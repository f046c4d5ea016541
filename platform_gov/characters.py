"""Refuse, before any view, text no database column can store: NUL and lone surrogates.

PostgreSQL's text types cannot hold the NUL character (U+0000), and a lone UTF-16 surrogate
(U+D800–U+DFFF, which JSON's ``\\ud800`` escape makes) cannot be encoded as UTF-8 at all: the
driver raises (``ValueError``, ``UnicodeEncodeError``) wherever such a value reaches a query,
as a lookup in a path (``/track/%00/``), a filter in a query string (``?search=%00``) or a
field in a body — a server error, on PostgreSQL only. Forms and serializers refuse NUL, but
paths, query parameters, cookies and bodies read by hand do not, so this middleware answers
every such request ``400`` at the door: the path, the query string, the cookies, and a
JSON, form or multipart body's text (not the files).

The answer is raised as ``django.core.exceptions.BadRequest``, so the project's
``handler400`` (``platform_gov.urls``) words it for the surface asked: the API's
``{"detail", "code"}``, Open311's error list, a page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "The request contains a character that cannot be stored (NUL or a lone surrogate)."
CODE = "invalid_character"


def has_unstorable(values: Iterable[Any]) -> bool:
    """True when any string in ``values`` (nested lists and dicts, keys too) has one."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


def _query_items(query) -> list[str]:
    return [text for key, values in query.lists() for text in (key, *values)]


def _body_unstorable(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return False
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return has_unstorable(_query_items(request.POST))
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return False  # not JSON: the parser answers that
        return has_unstorable([body])
    return False


class RejectUnstorableCharactersMiddleware:
    """Answers 400 (``BadRequest``) for NUL or a lone surrogate in a request's text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if (
            UNSTORABLE.search(request.path)
            or has_unstorable(_query_items(request.GET))
            or has_unstorable([*request.COOKIES.keys(), *request.COOKIES.values()])
            or _body_unstorable(request)
        ):
            raise BadRequest(MESSAGE)
        return self.get_response(request)
