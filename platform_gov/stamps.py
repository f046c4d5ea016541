"""When to read a small table again: the per-process caches of areas, organisations and rules
compare a stamp of the table with the one they were built from."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet


def table_stamp(queryset: QuerySet) -> tuple:
    """How many rows, the newest id and the latest ``updated_at``: one aggregate query.

    The newest id matters as much as the time: rows replaced within the same clock tick (or
    under a frozen clock in tests) leave the count and the latest change as they were.
    """
    row = queryset.aggregate(count=Count("pk"), last=Max("pk"), changed=Max("updated_at"))
    return (row["count"], row["last"], row["changed"])
