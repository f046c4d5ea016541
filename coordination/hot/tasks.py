"""Celery tasks of the hot room: thin and idempotent, on their own queue (``hot``).

One worker with concurrency 1 on the ``hot`` queue keeps the clusterer in memory and does all
the writing; more are safe (the state row is locked) but each would load it again.
"""

from __future__ import annotations

from celery import shared_task

from platform_gov.celery import enqueue_after_commit

from .services import clustering, warnings


@shared_task(acks_late=True, max_retries=5, default_retry_delay=10)
def hot_assign_pending() -> int:
    """Cluster the issues filed since the last run (all of them that wait, in order)."""
    return clustering.hot_assign_pending().clustered


def hot_assign_after_commit() -> None:
    """Enqueue the clustering once the filing commits; if the broker is down, the sweep
    (``hot_sweep``) clusters the issue later."""
    enqueue_after_commit(hot_assign_pending)


@shared_task(acks_late=True)
def hot_sweep() -> int:
    """Beat: cluster any issue of the window left behind (filed while the broker was down)."""
    return clustering.hot_sweep().clustered


@shared_task(acks_late=True)
def hot_supports_sync(issue_ids: list[int]) -> int:
    """Count new supports of these issues in their hot issues' heat."""
    return clustering.hot_supports_sync(issue_ids=issue_ids)


def hot_supports_sync_after_commit(*, issue_ids: list[int]) -> None:
    enqueue_after_commit(hot_supports_sync, issue_ids=issue_ids)


@shared_task(acks_late=True)
def hot_refresh() -> dict:
    """Beat: heat and growth as of now, and the open warnings' levels (they fall as time
    passes without new complaints)."""
    measured = clustering.hot_refresh()
    warnings.warnings_evaluate()
    return {"measured": measured}
