"""Webhook deliveries outside the request when there is no broker (``make run``).

With a broker, a delivery is a Celery message for the ``webhooks`` queue's workers. Without
one, Celery runs tasks eagerly, in the web process — and a partner that does not answer
held the resident's request for every timeout and every retry (77 seconds against a
black-hole address). So without a broker a delivery runs on a small pool of background
threads after the commit, and the request answers at once (``WEBHOOKS_EAGER_IN_BACKGROUND``;
tests deliver in line).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.conf import settings
from django.db import connections, transaction

from platform_gov.celery import enqueue

from .tasks import webhook_deliver

logger = logging.getLogger(__name__)

THREADS = 2
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="webhook")
        return _pool


def in_background() -> bool:
    """Whether deliveries run on the background threads: no broker, and not switched off."""
    return bool(
        webhook_deliver.app.conf.task_always_eager and settings.WEBHOOKS_EAGER_IN_BACKGROUND
    )


def _deliver(delivery_id: int) -> None:
    """One delivery's whole life (attempts and retries) on a background thread."""
    try:
        webhook_deliver.apply(kwargs={"delivery_id": delivery_id})
    except Exception:  # a thread has no caller to tell: the delivery row keeps the record
        logger.exception("webhook delivery %s failed on its background thread", delivery_id)
    finally:
        connections.close_all()


def _send(delivery_id: int):
    if in_background():
        return _executor().submit(_deliver, delivery_id)
    return enqueue(webhook_deliver, delivery_id=delivery_id)


def webhook_deliver_after_commit(delivery_id: int) -> None:
    """Send the delivery once the transaction commits: to the broker, or without one to a
    background thread (never inside the request)."""
    transaction.on_commit(partial(_send, delivery_id))
