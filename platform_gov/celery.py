"""The Celery application shared by the web process, workers and beat.

Configuration comes from Django settings under the ``CELERY_`` prefix, so the
environment decides whether tasks go to Redis or run eagerly in the web process.
"""

import logging
import os
from functools import partial

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_gov.settings")

app = Celery("platform_gov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


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
