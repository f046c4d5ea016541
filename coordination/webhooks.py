"""Signed webhooks: partner agencies receive their assignment events over HTTPS.

An agency registers an endpoint (an ``https://`` URL) and gets a signing secret. Each event
for that agency becomes one ``WebhookDelivery`` row per subscribed endpoint, written in the
transaction that caused the event; the ``webhook_deliver`` task is enqueued after commit and
POSTs the JSON body, retrying with exponential backoff. Every attempt is a ``WebhookAttempt``
row, shown to the agency's managers on ``/staff/webhooks/``. A partner acts back through the
REST API with its token (``POST /api/v1/auth/token/``, then e.g.
``POST /api/v1/assignments/<id>/accept/`` with ``Authorization: Token …``).

The request a partner receives::

    POST <url>
    Content-Type: application/json; charset=utf-8
    X-Platform-Event: assignment.created
    X-Platform-Delivery: 3f0c…  (the event_id, a UUID: the same on every retry; dedupe on it)
    X-Platform-Timestamp: 1767225600  (unix seconds, fresh on every attempt)
    X-Platform-Signature: sha256=<hex>

    {"assignment": {...}, "event": "...", "event_id": "...", "issue": {...}, "occurred_at": "..."}

The signature is the hex HMAC-SHA256, keyed with the secret, of ``"<timestamp>."`` followed
by the raw body bytes. A partner checks it exactly as ``verify()`` does: recompute over the
body as received (before parsing it), compare in constant time, and refuse a timestamp more
than five minutes from its own clock, so a captured request cannot be replayed later.
Any 2xx answer counts as delivered; anything else (redirects included) is retried.

Delivery is at least once: a partner may see the same ``X-Platform-Delivery`` twice (two
workers, a worker lost mid-request) and should ignore the second. The body carries no
contact data of the resident.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency

from .models import Assignment, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .notifications import _enqueue

logger = logging.getLogger(__name__)

EVENTS = {
    "assignment.created": _("An assignment was created for the organisation"),
    "assignment.decided": _("A coordination request on an assignment was decided"),
    "assignment.deadline_near": _("An assignment's deadline is near"),
    "assignment.resolved": _("The organisation's lead assignment was resolved"),
}
# Staff notifications (``notify_agency_after_commit``) that are also webhook events.
AGENCY_NOTIFICATION_EVENTS = {
    "assigned": "assignment.created",
    "request_decided": "assignment.decided",
    "deadline_warning": "assignment.deadline_near",
}
# Resident notifications (``notify_resident_after_commit``) that are webhook events of the lead.
RESIDENT_NOTIFICATION_EVENTS = {"resolved": "assignment.resolved"}

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
TOLERANCE_SECONDS = 300
SIGNATURE_PREFIX = "sha256="
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_SECRET_LENGTH = 16


# ------------------------------------------------------------------------ the signature


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` keyed with ``secret``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    *,
    now: datetime | float,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether ``signature`` (``sha256=<hex>`` or bare hex) signs ``body`` at ``timestamp``.

    False as well when the timestamp is not a whole number of seconds, or lies more than
    ``tolerance`` seconds before or after ``now`` (a datetime or unix seconds): a replayed
    request is refused even though its signature is genuine. This is the receiver's check;
    partners replicate it.
    """
    text = str(timestamp).strip()
    if not (text.isascii() and text.isdigit()):
        return False
    sent = int(text)
    current = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - sent) > tolerance:
        return False
    given = signature.strip()
    if given.startswith(SIGNATURE_PREFIX):
        given = given[len(SIGNATURE_PREFIX) :]
    # Bytes: compare_digest refuses str with non-ASCII characters (a hostile header).
    return hmac.compare_digest(sign(secret, sent, body).encode(), given.lower().encode())


def body_bytes(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact, sorted, UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signed_headers(*, secret: str, event: str, event_id: str, body: bytes, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "platform-gov-webhooks/1",
        "X-Platform-Event": event,
        "X-Platform-Delivery": event_id,
        "X-Platform-Timestamp": str(timestamp),
        "X-Platform-Signature": SIGNATURE_PREFIX + sign(secret, timestamp, body),
    }


# ------------------------------------------------------------------------ registration


def _insecure_localhost_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOK_ALLOW_INSECURE_LOCALHOST", False))


def _private_networks_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def address_problem(host: str, address: str) -> str | None:
    """Why the platform may not connect to ``address`` (what ``host`` resolved to), or None.

    A webhook URL is typed by a partner's manager, and the worker that POSTs it sits inside
    the platform's network: without this check a URL could reach the database, Redis or a
    cloud metadata service (server-side request forgery). Only public addresses are allowed,
    unless ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is set (partners on a government intranet);
    this machine itself only in development and tests (``WEBHOOK_ALLOW_INSECURE_LOCALHOST``).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback and host in LOCAL_HOSTS and _insecure_localhost_allowed():
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    if _private_networks_allowed() and ip.is_private and not (ip.is_loopback or ip.is_link_local):
        return None
    return str(_("The URL must point to an address on the public internet."))


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` may not receive webhooks, or None.

    Only ``https://``: the body and its signature must not travel in the clear. Plain
    ``http://`` to this machine (127.0.0.1, localhost) is allowed in development
    (``DEBUG``) or where ``WEBHOOK_ALLOW_INSECURE_LOCALHOST`` is set. A host written as an
    address must be a public one (:func:`address_problem`); a name is checked again at
    every delivery, against what it resolves to then.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        return str(_("Enter a valid URL."))
    if not host:
        return str(_("Enter a valid URL."))
    if parts.scheme == "https" or (
        parts.scheme == "http" and host in LOCAL_HOSTS and _insecure_localhost_allowed()
    ):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return None  # a name: resolved and checked when connecting
        return address_problem(host, host)
    return str(_("The URL must start with https://."))


def webhook_endpoint_register(
    *,
    agency: Agency,
    url: str,
    secret: str | None = None,
    events: list[str] | None = None,
) -> WebhookEndpoint:
    """Register an endpoint of ``agency`` for ``events`` (none: every event).

    Without ``secret`` a random 256-bit one is made; the caller shows it to the partner
    once. Raises ValidationError naming the field (``url``, ``events``, ``secret``) when the
    URL is not ``https://`` (see ``webhook_url_problem``), an event is unknown, or the
    secret is shorter than 16 characters.
    """
    url = (url or "").strip()
    events = list(dict.fromkeys(events or []))
    errors: dict[str, str] = {}
    if problem := webhook_url_problem(url):
        errors["url"] = problem
    if unknown := [e for e in events if e not in EVENTS]:
        errors["events"] = str(_("Unknown events: %(events)s")) % {"events": ", ".join(unknown)}
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        errors["secret"] = str(_("The secret must have at least 16 characters."))
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        agency=agency, url=url, secret=secret or secrets.token_hex(32), events=events
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def assignment_payload(assignment: Assignment, *, occurred_at: datetime) -> dict:
    """What a partner learns of an event: the assignment and the issue, never the resident.

    ``event`` and ``event_id`` are added per delivery.
    """
    issue = assignment.issue

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "occurred_at": occurred_at.isoformat(),
        "assignment": {
            "id": assignment.pk,
            "issue_id": issue.pk,
            "tracking_number": issue.tracking_number,
            "role": assignment.role,
            "status": assignment.status,
            "response_due_at": iso(assignment.response_due_at),
            "due_at": iso(assignment.due_at),
        },
        "issue": {
            "title": issue.title,
            "category": issue.category.code if issue.category_id else None,
            "status": issue.status,
            "address": issue.address,
            "lat": issue.lat,
            "lon": issue.lon,
        },
    }


def _endpoints_for(*, agency_id: int, event: str) -> list[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(agency_id=agency_id, active=True).order_by("pk")
    return [e for e in endpoints if not e.events or event in e.events]


def webhook_events_enqueue(
    *, agency_id: int, event: str, payload: dict | Callable[[], dict]
) -> list[WebhookDelivery]:
    """Write one delivery per active endpoint of the agency subscribed to ``event``.

    Call it inside the transaction that caused the event: the rows commit with it, and
    ``webhook_deliver`` is enqueued after the commit (a broker outage is logged, not
    raised; the row stays ``pending``). ``payload`` may be a function, called only when
    some endpoint listens. Each delivery gets its own ``event_id``. Returns the deliveries.
    """
    from .tasks import webhook_deliver

    endpoints = _endpoints_for(agency_id=agency_id, event=event)
    if not endpoints:
        return []
    data = payload() if callable(payload) else payload
    deliveries = []
    for endpoint in endpoints:
        event_id = uuid.uuid4()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event_id,
            event=event,
            payload={**data, "event": event, "event_id": str(event_id)},
        )
        _enqueue(webhook_deliver, delivery_id=delivery.pk)
        deliveries.append(delivery)
    return deliveries


def _assignment_for(*, issue_id: int, agency_id: int | None) -> Assignment | None:
    assignments = Assignment.objects.select_related("issue__category").filter(issue_id=issue_id)
    if agency_id is None:  # a resident's notification: the lead that resolved the issue
        return (
            assignments.filter(role=Assignment.Role.LEAD, status=Assignment.Status.DONE)
            .order_by("-done_at", "-id")
            .first()
        )
    assignments = assignments.filter(agency_id=agency_id).order_by("-created_at", "-id")
    # The active one; after an approved bounce or transfer, the one just ended.
    return assignments.filter(status__in=Assignment.ACTIVE_STATUSES).first() or assignments.first()


def webhook_events_for_notification(*, event: str, issue_id: int, agency_id: int | None) -> None:
    """Turn a notification into webhook deliveries, where it is one of ``EVENTS``.

    Called by ``notify_agency_after_commit`` (with ``agency_id``: ``assigned``,
    ``request_decided``, ``deadline_warning`` concern that agency's assignment on the issue)
    and ``notify_resident_after_commit`` (without: ``resolved`` goes to the lead agency
    whose assignment is done), so every workflow service that tells people also tells the
    partners' systems, without another call in each service. Writes in a savepoint: a
    failure here is logged and never undoes the workflow change that caused the event.
    """
    mapping = RESIDENT_NOTIFICATION_EVENTS if agency_id is None else AGENCY_NOTIFICATION_EVENTS
    webhook_event = mapping.get(event)
    if webhook_event is None:
        return
    try:
        # Most agencies have no endpoint: one query, and nothing else, for them.
        if agency_id is not None and not _endpoints_for(agency_id=agency_id, event=webhook_event):
            return
        assignment = _assignment_for(issue_id=issue_id, agency_id=agency_id)
        if assignment is None:
            return
        occurred_at = timezone.now()
        # The writes in a savepoint, so that their failure leaves the caller's transaction
        # usable (on PostgreSQL a failed statement would otherwise abort it).
        with transaction.atomic():
            webhook_events_enqueue(
                agency_id=assignment.agency_id,
                event=webhook_event,
                payload=lambda: assignment_payload(assignment, occurred_at=occurred_at),
            )
    except Exception:  # a partner's webhook must never fail the 12345 workflow
        logger.exception("webhook event %s for issue %s not recorded", webhook_event, issue_id)


# -------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool
    attempts: int
    error: str = ""
    retry: bool = False


def webhook_backoff(attempts: int) -> int:
    """Seconds to wait after ``attempts`` failed attempts: 20 s, 40 s, … at most an hour."""
    return min(2**attempts * 10, 3600)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer to record, not to follow: following would re-send the
    # signed body to a URL nobody registered (and POST turns into GET on 301-303).
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class RefusedAddress(OSError):
    """The URL's host resolved to an address webhooks may not reach."""


def _checked_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """``socket.create_connection`` that resolves the name once, checks every address it
    gets, and connects to a checked one: a DNS answer cannot change between the check and
    the connection (DNS rebinding)."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_rest, sockaddr in infos:
        if problem := address_problem(host, sockaddr[0]):
            raise RefusedAddress(f"{host} → {sockaddr[0]}: {problem}")
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"{host}: no address")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_connection


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


# No proxies from the environment either: a proxy would connect where we did not check.
_opener = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _NoRedirect, _CheckedHTTPHandler, _CheckedHTTPSHandler
)


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    """POST and return (status code, error text); the error is empty on a 2xx answer."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 -- scheme checked by webhook_url_problem
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip()
        return exc.code, f"HTTP {exc.code} {exc.reason}: {detail}".strip(": ")
    except urllib.error.URLError as exc:  # refused, DNS, TLS, an address not allowed
        return None, f"{type(exc.reason).__name__}: {exc.reason}"
    except (OSError, ValueError) as exc:  # timeout while reading, a malformed answer
        return None, f"{type(exc).__name__}: {exc}"


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptOutcome | None:
    """Make one attempt at a pending delivery and record it as a ``WebhookAttempt``.

    Returns None when there is nothing to do (gone, delivered or given up: safe to run
    twice). A 2xx answer marks it delivered; otherwise ``retry`` says whether to try again,
    and after ``MAX_ATTEMPTS`` attempts, or when the endpoint was deactivated or its URL is
    no longer allowed, it is marked failed. The POST runs outside any transaction; two
    workers at once may both POST (partners dedupe on ``X-Platform-Delivery``).
    """
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    started = timezone.now()
    clock = time.monotonic()
    problem = (
        str(_("The endpoint is deactivated.")) if not endpoint.active else None
    ) or webhook_url_problem(endpoint.url)
    if problem:
        status_code, error = None, problem
    else:
        body = body_bytes(delivery.payload)
        headers = signed_headers(
            secret=endpoint.secret,
            event=delivery.event,
            event_id=str(delivery.event_id),
            body=body,
            timestamp=int(time.time()),
        )
        status_code, error = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - clock) * 1000)
    delivered = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=started,
            status_code=status_code,
            error=error[:2000],
            duration_ms=duration_ms,
        )
        attempts = delivery.attempts + 1
        give_up = not delivered and (problem is not None or attempts >= MAX_ATTEMPTS)
        changes: dict = {"attempts": F("attempts") + 1}
        if delivered:
            changes.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now())
        elif give_up:
            changes["status"] = WebhookDelivery.Status.FAILED
        # Only a pending row: another worker may have delivered it meanwhile.
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING
        ).update(**changes)
    if give_up:
        logger.warning("webhook delivery %s failed after %s attempts", delivery.pk, attempts)
    return AttemptOutcome(
        delivered=delivered,
        attempts=attempts,
        error=error,
        retry=not delivered and not give_up,
    )


def webhook_deliveries_stranded(*, older_than) -> list[int]:
    """Deliveries still pending with no attempt since before ``older_than``: their message was
    lost (the broker was down when they were enqueued) and the sweep sends them again."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, attempts=0, created_at__lt=older_than
        ).values_list("pk", flat=True)[:500]
    )
