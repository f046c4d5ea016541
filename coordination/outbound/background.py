"""The relay of outbox messages, after the commit: to the broker, or without one (``make
run``) e-mail in line and webhooks on a background thread.

With a broker, a relay is a Celery message for the ``notifications`` queue's workers.
Without one, Celery runs tasks eagerly, in the web process — and a partner that does not
answer held the resident's request for every timeout (77 seconds against a black-hole
address). So without a broker a webhook's relay runs on a small pool of background threads
after the commit, and the request answers at once (``WEBHOOKS_EAGER_IN_BACKGROUND``; tests relay
in line). Either way the row is the record: what a relay does not send, the sweep does.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import connections

from platform_gov.celery import enqueue

from .models import OutboxMessage
from .tasks import outbox_relay, webhook_relay

logger = logging.getLogger(__name__)

THREADS = 2
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_running: set[Future] = set()  # relays submitted and not finished


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="outbox")
        return _pool


def _submit(message_id: int) -> Future:
    future = _executor().submit(_relay, message_id)
    with _pool_lock:
        _running.add(future)
    future.add_done_callback(_forget)
    return future


def _forget(future: Future) -> None:
    with _pool_lock:
        _running.discard(future)


def background_relays_wait(timeout: float) -> bool:
    """Wait until every relay on the background threads has finished (for a clean shutdown,
    and for a test that must not read while one writes: SQLite refuses a write while another
    connection of the same in-memory database reads the table). False if some still run."""
    with _pool_lock:
        running = list(_running)
    return not futures_wait(running, timeout=timeout).not_done


def in_background() -> bool:
    """Whether relays run on the background threads: no broker, and not switched off."""
    return bool(outbox_relay.app.conf.task_always_eager and settings.WEBHOOKS_EAGER_IN_BACKGROUND)


def _relay(message_id: int) -> None:
    try:
        outbox_relay.apply(kwargs={"message_id": message_id})
    except Exception:  # a thread has no caller to tell: the outbox row keeps the record
        logger.exception("outbox message %s failed on its background thread", message_id)
    finally:
        connections.close_all()


# Inside a request, background relays wait for its end: the thread's first writes (the
# attempt recorded before the POST) would otherwise contend with the request's own, which
# SQLite (the only database without a broker) answers with "database table is locked".
_request = threading.local()


def _started(**kwargs) -> None:
    _request.held = []


def _finished(**kwargs) -> None:
    held, _request.held = getattr(_request, "held", None), None
    for message_id in held or []:
        _submit(message_id)


request_started.connect(_started, dispatch_uid="outbox-background-started")
request_finished.connect(_finished, dispatch_uid="outbox-background-finished")


def outbox_relay_send(message_id: int, kind: str = OutboxMessage.Kind.MAIL):
    """Relay one committed outbox message now (called after the commit): e-mail on the
    ``notifications`` queue, webhooks on ``webhooks``."""
    webhook = kind == OutboxMessage.Kind.WEBHOOK
    if webhook and in_background():
        held = getattr(_request, "held", None)
        if held is not None:
            return held.append(message_id)
        return _submit(message_id)
    return enqueue(webhook_relay if webhook else outbox_relay, message_id=message_id)


def outbox_relay_send_many(message_ids: list[int], kind: str = OutboxMessage.Kind.MAIL) -> None:
    """Relay committed outbox messages of one kind: e-mails in one message on the
    ``notifications`` queue, webhooks one by one (a partner that does not answer holds only
    its own delivery)."""
    if kind == OutboxMessage.Kind.WEBHOOK or len(message_ids) == 1:
        for message_id in message_ids:
            outbox_relay_send(message_id, kind)
        return
    enqueue(outbox_relay, message_ids=message_ids)
