"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) and mySociety's
``servicerequestupdates`` extension, in XML and JSON, chosen by the path's extension.

Plain Django views: the spec's XML is easier to write by hand than through DRF. Every answer
about an issue is public: it shows only what the publication policy gives
(``issues.publication``): publishable issues, their public summary and rounded place, and
the timeline's public entries; nothing here reads the contact fields. ``jurisdiction_id`` is
accepted and ignored: the platform serves one jurisdiction. Every error, a wrong method and
an unknown path or format included, is the spec's error list; nothing here uses cookies, so
nothing needs CSRF (a partner's POST carries its API key instead).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from agencies.areas import AreaLocator, area_locator
from issues.models import Category, Issue, Update
from issues.publication import public_issue, public_note

from . import selectors
from .render import render, render_error, w3c_datetime
from .services import api_key_authenticate, open311_request_submit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
UPDATES_SPECIFICATION = (
    "https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Proposed-differences-to-Open311"
)
FORMATS = ["text/xml", "application/json"]
# The spec's limit on a request's description.
DESCRIPTION_MAX_LENGTH = 4000
# Besides the spec's ``api_key`` parameter: a header keeps the key out of access logs.
API_KEY_HEADER = "X-API-Key"
# The specification's default and largest window of a query, and its cap on answers.
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000

# Issue fields named by their Open311 parameter in error messages.
PARAMETER_OF_FIELD = {
    "lon": "long",
    "address": "address_string",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_name": "first_name",
    "title": "description",
    "category": "service_code",
    "answers": "attribute",
    "media_url": "media_url",
}


class BadRequest(Exception):
    """An Open311 error: rendered as the spec's error list with this HTTP status."""

    def __init__(self, description: str, status: int = 400):
        super().__init__(description)
        self.description = description
        self.status = status


def open311_view(*methods: str):
    """An Open311 endpoint answering ``methods``: ``BadRequest`` becomes the spec's error
    answer in the requested format, another method a 405 error list with ``Allow``. Exempt
    from CSRF: no Open311 request is authenticated by a cookie."""
    allowed = {m.upper() for m in methods} | ({"HEAD"} if "GET" in methods else set())

    def decorate(view):
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = render_error(fmt, 405, f"method: {request.method} is not allowed here")
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except BadRequest as error:
                return render_error(fmt, error.status, error.description)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return csrf_exempt(wrapped)

    return decorate


def format_of(path: str) -> str:
    """The answer's format a path asks for: XML for ``….xml``, else JSON."""
    return "xml" if path.lower().endswith(".xml") else "json"


def error_response(request: HttpRequest, status: int, description: str) -> HttpResponse:
    """The spec's error list for a request that reached no endpoint (``platform_gov.urls``'
    error handlers, the unknown paths below)."""
    return render_error(format_of(request.path), status, description)


# ---------------------------------------------------------------------------- parameters


def _parse_w3c(name: str, value: str) -> datetime:
    # An unencoded "+" in a query string arrives as a space: "…T16:00:00 08:00".
    value = value.strip().replace(" ", "+")
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time.min) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"{name}: not a W3C date-time such as 2026-11-28T16:00:00+08:00")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _window(params: QueryDict) -> tuple[datetime, datetime]:
    """``start_date``/``end_date``: the last 90 days by default, never wider than 90 days."""
    start = _parse_w3c("start_date", params["start_date"]) if params.get("start_date") else None
    end = _parse_w3c("end_date", params["end_date"]) if params.get("end_date") else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise BadRequest("end_date: before start_date")
    if end - start > WINDOW:
        raise BadRequest("start_date, end_date: the window may not be wider than 90 days")
    return start, end


def _comma_list(params: QueryDict, name: str) -> list[str]:
    return [part.strip() for part in ",".join(params.getlist(name)).split(",") if part.strip()]


def _limit(params: QueryDict) -> int:
    value = params.get("limit")
    if not value:
        return MAX_RESULTS
    try:
        limit = int(value)
    except ValueError:
        raise BadRequest("limit: not a whole number") from None
    if not 1 <= limit <= MAX_RESULTS:
        raise BadRequest(f"limit: from 1 to {MAX_RESULTS}")
    return limit


def _post_params(request: HttpRequest) -> QueryDict:
    """The POST body: form-encoded as the spec says, or a JSON object."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise BadRequest("The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise BadRequest("The JSON body must be an object.")
        params = QueryDict(mutable=True)
        for key, value in body.items():
            params[key] = "" if value is None else str(value)
        return params
    return request.POST


def _attributes(params: QueryDict) -> dict[str, Any]:
    """``attribute[code]=value`` (and ``attribute[code][]=v`` for several) as a dict."""
    answers: dict[str, Any] = {}
    for name in params:
        if not (name.startswith("attribute[") and "]" in name):
            continue
        code = name[len("attribute[") : name.index("]")]
        values = params.getlist(name)
        answers[code] = values if name.endswith("[]") or len(values) > 1 else values[0]
    return answers


def _coordinate(params: QueryDict, name: str) -> float | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise BadRequest(f"{name}: not a number") from None


# ---------------------------------------------------------------------------- shapes


def _service(category: Category) -> dict[str, Any]:
    keywords = [category.code, category.name_zh, category.name_en]
    return {
        "service_code": category.service_code,
        "service_name": category.name,
        "description": category.description,
        # True when the service definition lists questions (attributes) to answer.
        "metadata": bool(category.questions.all()),
        "type": "realtime",
        "keywords": ", ".join(k for k in keywords if k),
        "group": category.parent.name if category.parent else None,
    }


def _status_notes(issue: Issue) -> str | None:
    if issue.status == Issue.Status.MERGED and issue.merged_into is not None:
        return f"Duplicate of {issue.merged_into.tracking_number}."
    if selectors.open311_status(issue) == selectors.CLOSED:
        # The resolution only as staff published it (issues.publication), never as written
        # to the resident.
        published = issue.published_resolutions
        return (public_note(published[0]) or None) if published else None
    return None


def _request(issue: Issue, areas: AreaLocator) -> dict[str, Any] | None:
    """One issue as a service request: what the publication policy gives, never its contact
    fields or exact place; None for an issue the policy keeps private."""
    public = public_issue(issue, areas=areas)
    if public is None:
        return None
    lead = issue.leads[0] if issue.leads else None
    closed_at = issue.closed_at or issue.resolved_at
    is_open = selectors.open311_status(issue) == selectors.OPEN
    return {
        "service_request_id": public.tracking_number,
        "status": selectors.open311_status(issue),
        "status_notes": _status_notes(issue),
        "service_name": issue.category.name if issue.category else None,
        "service_code": issue.category.service_code if issue.category else "",
        "description": public.summary or None,
        "agency_responsible": lead.agency.name if lead else None,
        "service_notice": None,
        "requested_datetime": w3c_datetime(issue.created_at),
        "updated_datetime": w3c_datetime(
            issue.updated_at if is_open or closed_at is None else closed_at
        ),
        "expected_datetime": w3c_datetime(lead.due_at) if lead and is_open else None,
        # The area, never the address the resident typed; the point rounded to ~100 m.
        "address": public.place.area_name,
        "address_id": None,
        "zipcode": None,
        "lat": public.place.lat,
        "long": public.place.lon,
        "media_url": public.media_url or None,
    }


def _requests(issues) -> list[dict[str, Any]]:
    areas = area_locator()
    return [row for issue in issues if (row := _request(issue, areas)) is not None]


def _update(update: Update) -> dict[str, Any]:
    label = str(Update.Kind(update.kind).label)
    closing = update.kind in selectors.CLOSING_UPDATES
    note = public_note(update)
    return {
        "update_id": str(update.pk),
        "service_request_id": update.issue.tracking_number,
        "status": selectors.CLOSED if closing else selectors.OPEN,
        "updated_datetime": w3c_datetime(update.at),
        "description": f"{label}: {note}" if note else label,
        "media_url": "",
    }


# ---------------------------------------------------------------------------- views


@open311_view("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """Where this server is and what it speaks."""
    here = reverse("open311:discovery", kwargs={"fmt": fmt})
    # Without the trailing slash: clients append "/services.xml" themselves.
    base = request.build_absolute_uri(here.removesuffix(f"discovery.{fmt}")).rstrip("/")
    changeset = w3c_datetime(selectors.open311_changeset())
    endpoint = {
        "specification": SPECIFICATION,
        "url": base,
        "changeset": changeset,
        "type": "production",
        "formats": FORMATS,
    }
    updates = {**endpoint, "specification": UPDATES_SPECIFICATION}
    body = {
        "changeset": changeset,
        "contact": getattr(settings, "OPEN311_CONTACT", "12345 Citizen Service Hotline"),
        "key_service": getattr(
            settings,
            "OPEN311_KEY_SERVICE",
            "API keys for POST requests are issued to partners by the platform's administrators.",
        ),
        "endpoints": [endpoint, updates],
    }
    return render(fmt, "discovery", body)


@open311_view("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", [_service(c) for c in selectors.open311_services()])


@open311_view("GET")
def service_definition(request: HttpRequest, *, service_code: str, fmt: str) -> HttpResponse:
    category = selectors.open311_service(service_code=service_code)
    if category is None:
        raise BadRequest(f"service_code: no service {service_code}", status=404)
    attributes = [
        {
            "variable": True,
            "code": question.code,
            "datatype": question.datatype,
            "required": question.required,
            "datatype_description": question.get_datatype_display(),
            "order": question.order,
            "description": question.question,
            **(
                {"values": [{"key": v["key"], "name": v["name"]} for v in question.values]}
                if question.datatype in question.CHOICE_TYPES
                else {}
            ),
        }
        for question in category.questions.all()
    ]
    return render(
        fmt,
        "service_definition",
        {"service_code": category.service_code, "attributes": attributes},
    )


@open311_view("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    params = request.GET
    ids = [i.upper() for i in _comma_list(params, "service_request_id")]
    statuses = _comma_list(params, "status")
    unknown = set(statuses) - {selectors.OPEN, selectors.CLOSED}
    if unknown:
        raise BadRequest("status: open or closed")
    limit = _limit(params)
    start = end = None
    if not ids:  # the spec: service_request_id overrides every other parameter
        start, end = _window(params)
    issues = selectors.open311_requests(
        ids=ids,
        service_codes=_comma_list(params, "service_code"),
        start=start,
        end=end,
        statuses=statuses,
    )[:limit]
    return render(fmt, "service_requests", _requests(issues))


def _api_key(request: HttpRequest, params: QueryDict) -> str:
    """The key from the ``X-API-Key`` header (kept out of access logs), or the spec's
    ``api_key`` parameter in the body (or, as some clients send it, the query string)."""
    return (
        request.headers.get(API_KEY_HEADER)
        or params.get("api_key")
        or request.GET.get("api_key", "")
    ).strip()


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    params = _post_params(request)
    if api_key_authenticate(key=_api_key(request, params)) is None:
        raise BadRequest("api_key: missing, unknown or revoked", status=403)
    service_code = params.get("service_code", "").strip()
    if not service_code:
        raise BadRequest("service_code: required")
    category = selectors.open311_service(service_code=service_code)
    if category is None:
        raise BadRequest(f"service_code: no service {service_code}", status=404)
    lat, lon = _coordinate(params, "lat"), _coordinate(params, "long")
    if (lat is None) != (lon is None):
        raise BadRequest("lat, long: give both or neither")
    address = params.get("address_string", "").strip()
    address_id = params.get("address_id", "").strip()
    if lat is None and not address and not address_id:
        raise BadRequest("lat, long, address_string, address_id: a location is required")
    description = params.get("description", "")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise BadRequest(f"description: at most {DESCRIPTION_MAX_LENGTH} characters")
    try:
        issue = open311_request_submit(
            category=category,
            description=description,
            lat=lat,
            lon=lon,
            address=address,
            address_id=address_id,
            media_url=params.get("media_url", "").strip(),
            first_name=params.get("first_name", ""),
            last_name=params.get("last_name", ""),
            email=params.get("email", "").strip(),
            phone=params.get("phone", "").strip(),
            answers=_attributes(params),
        )
    except ValidationError as error:
        fields = getattr(error, "message_dict", {"": error.messages})
        description = "; ".join(
            f"{PARAMETER_OF_FIELD.get(field, field)}: {' '.join(messages)}"
            for field, messages in fields.items()
        )
        raise BadRequest(description) from None
    body = [{"service_request_id": issue.tracking_number, "service_notice": "", "account_id": None}]
    return render(fmt, "service_requests", body)


@open311_view("GET")
def request_detail(request: HttpRequest, *, service_request_id: str, fmt: str) -> HttpResponse:
    """One request; an issue the publication policy keeps private answers as one that does
    not exist."""
    issue = selectors.open311_request(service_request_id=service_request_id)
    answer = _requests([issue]) if issue is not None else []
    if not answer:
        raise BadRequest(f"service_request_id: no request {service_request_id}", status=404)
    return render(fmt, "service_requests", answer)


@open311_view("GET")
def token(request: HttpRequest, *, token: str, fmt: str) -> HttpResponse:
    """Our requests have their id at once, so a token is the id itself and answers it (the id
    alone, so even for a request the publication policy keeps private)."""
    issue = selectors.open311_request_filed(service_request_id=token)
    if issue is None:
        raise BadRequest(f"token: no request for token {token}", status=404)
    body = [{"service_request_id": issue.tracking_number, "token": token}]
    return render(fmt, "service_requests", body)


@open311_view("GET")
def service_request_updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """mySociety's extension: the public timeline entries in the window, oldest first."""
    start, end = _window(request.GET)
    updates = selectors.open311_updates(start=start, end=end)[: _limit(request.GET)]
    return render(fmt, "service_request_updates", [_update(u) for u in updates])


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under ``/open311/v2/``: a 404 error list (JSON, or XML for ``….xml``),
    saying which formats the endpoints answer in."""
    name, _dot, extension = rest.rpartition(".")
    if name and extension.lower() not in ("xml", "json"):
        description = f"format: {extension} is not offered; ask for .xml or .json"
    else:
        description = f"no endpoint {rest or '(none)'}: start from discovery.json or discovery.xml"
    return error_response(request, 404, description)
