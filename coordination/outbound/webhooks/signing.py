"""The signature of a webhook delivery: HMAC-SHA256 of ``"<timestamp>." + body``."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

TOLERANCE_SECONDS = 300
SIGNATURE_PREFIX = "sha256="


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
