"""Answers in the two formats of GeoReport v2: XML (required by the spec) and JSON.

The same Python value (lists, dicts, strings, numbers, booleans, None) renders to both. A
list becomes an element per item, named from the list's own name (``services`` →
``service``); None becomes an empty element; booleans are ``true``/``false``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET  # building only; nothing here parses XML

from django.http import HttpResponse
from django.utils import timezone

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"

# The element name of one item of each list the specification names.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# XML 1.0 cannot carry most control characters, escaped or not: drop them from text.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3c_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with the local offset, e.g. ``2026-11-28T16:00:00+08:00``."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES.get(name, "item")
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, root, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """``value`` as JSON, or as XML under the ``root`` element."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, value), content_type=XML_CONTENT_TYPE, status=status)
    body = json.dumps(value, ensure_ascii=False)
    return HttpResponse(body.encode(), content_type=JSON_CONTENT_TYPE, status=status)


def render_error(fmt: str, status: int, description: str) -> HttpResponse:
    """The specification's error list: ``[{"code": 400, "description": "..."}]``."""
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)
