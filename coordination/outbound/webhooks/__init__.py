"""Signed webhooks: partner agencies receive their assignment events over HTTPS.

``signing`` signs and verifies, ``addresses`` decides which hosts may be reached,
``transport`` POSTs with that check at every connection, ``services`` registers endpoints
and records and makes deliveries.

An agency registers an endpoint (an ``https://`` URL) and gets a signing secret. Each event
for that agency becomes one ``WebhookDelivery`` row per subscribed endpoint, written in the
transaction that caused the event, with its outbox row (``outbound/outbox.py``); the relay
POSTs the JSON body after the commit, retrying with exponential backoff scheduled in the
database. Every attempt is a ``WebhookAttempt`` row, written before its POST, shown to the
agency's managers on ``/staff/webhooks/``. A partner acts back through the
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
