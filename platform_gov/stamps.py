"""When to read a small table again: the per-process caches of areas, organisations and rules
compare a stamp of the table with the one they were built from."""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db.models import Count, Max, QuerySet


def table_stamp(queryset: QuerySet) -> tuple:
    """How many rows, the newest id and the latest ``updated_at``: one aggregate query.

    The newest id matters as much as the time: rows replaced within the same clock tick (or
    under a frozen clock in tests) leave the count and the latest change as they were.
    """
    row = queryset.aggregate(count=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
    return (row["count"], row["last"], row["changed"])


_recent: dict[str, tuple[float, tuple]] = {}
_recent_lock = threading.Lock()


def shown_table_stamp(name: str, queryset: QuerySet) -> tuple:
    """``table_stamp`` for caches of what is only shown (the case page's organisation lists,
    the public area of a place): asked of the database at most once every
    ``DISPLAY_STAMP_SECONDS`` per process, so a change shows that much later, and a busy page
    saves the query. Never for what decides (routing, validation): those read the table.
    ``name`` says which table (and condition) the stamp is of."""
    seconds = settings.DISPLAY_STAMP_SECONDS
    now = time.monotonic()
    with _recent_lock:
        kept = _recent.get(name)
    if seconds > 0 and kept is not None and now - kept[0] < seconds:
        return kept[1]
    stamp = table_stamp(queryset)
    with _recent_lock:
        _recent[name] = (now, stamp)
    return stamp


def shown_stamps_forget() -> None:
    """Ask the database again at the next ``shown_table_stamp`` (tests; after a restore)."""
    with _recent_lock:
        _recent.clear()
