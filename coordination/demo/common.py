"""What every part of the demo city uses to write its rows."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def upsert(model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[M, bool]:
    """The row ``lookup`` finds, created or brought in line with ``values``; True if new.

    Unlike ``update_or_create`` this validates the row (``full_clean``) and does not write
    a row that already matches, so a second run leaves every seeded row as it was.
    """
    row = model._default_manager.filter(**lookup).first()
    created = row is None
    if row is None:
        row = model(**lookup)
    if created or any(getattr(row, field) != value for field, value in values.items()):
        for field, value in values.items():
            setattr(row, field, value)
        row.full_clean()
        row.save()
    return row, created
