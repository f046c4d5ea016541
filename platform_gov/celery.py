"""The Celery application shared by the web process, workers and beat.

Configuration comes from Django settings under the ``CELERY_`` prefix, so the
environment decides whether tasks go to Redis or run eagerly in the web process.
"""

import logging
import os
from functools import partial

from celery import Celery
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")

app = Celery("platform_gov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# What a task may meet when the database or the broker hiccups (a connection terminated, a
# failover, Redis restarting): worth trying again shortly, never a bug.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    BrokerOperationalError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
)

# ``@shared_task(**RETRIED)``: Celery retries the task on a transient error with exponential
# backoff (1 s, 2 s, 4 s … at most a minute, jittered so workers do not retry in step), ten
# times. Only for idempotent tasks: a retry runs the whole task again.
RETRIED = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 10,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def enqueue(task, /, **kwargs) -> bool:
    """``task.delay(**kwargs)``; False, logged, when the broker cannot take the message.

    A message is never the only record of work owed: the row it names stays as it is (an
    issue ``submitted``, a delivery ``pending``) and a periodic sweep enqueues it again, so a
    broker outage must never fail the request or the transaction that owes the work.
    """
    try:
        task.delay(**kwargs)
    except Exception:
        logger.warning("broker unavailable: %s%s not enqueued", task.name, kwargs, exc_info=True)
        return False
    return True


def enqueue_after_commit(task, /, **kwargs) -> None:
    """:func:`enqueue` once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, task, **kwargs))


def requeue(task, ids, *, argument: str) -> int:
    """The periodic sweeps' half: enqueue ``task`` again for each of ``ids`` (rows whose message
    was lost), ``argument`` naming the id. Returns how many were enqueued."""
    return sum(enqueue(task, **{argument: pk}) for pk in ids)
