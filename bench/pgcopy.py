"""Bulk loading for benchmarks: rows into a model's table with PostgreSQL ``COPY``.

The column list comes from the model's ``_meta``, so a field added later (with a default, or
nullable, or a blank text) is filled without touching the benchmark; a NOT NULL field with
no default that the caller does not give stops the load with the field's name.

The caller gives, per row, a tuple of values for the fields it names (``given``), in that
order; every other concrete field is filled the way ``Model.save()`` would fill it: its
default (called per row when the field is unique, so each row gets its own token), ``now``
for ``auto_now`` fields, NULL when nullable, an empty string when blank text is allowed.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TextIO

from django.core.management.color import no_style
from django.db import connection, models, transaction

from platform_gov.progress import Progress

NULL = r"\N"  # COPY's NULL marker (``NULL '\N'``), so that '' stays an empty string


def _text(value: Any) -> str:
    """One value as COPY's CSV reads it (None is handled by the caller)."""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class CopyPlan:
    """How the rows of one model become ``COPY`` input: columns, and a value for each."""

    def __init__(self, model: type[models.Model], given: Sequence[str], *, now: datetime):
        self.model = model
        self.table = model._meta.db_table
        # Columns the database computes (GeneratedField) are not loaded.
        concrete = [f for f in model._meta.concrete_fields if not f.generated]
        fields = {f.attname: f for f in concrete}
        by_name = {f.name: f for f in concrete}
        self.given_index: dict[str, int] = {}
        for position, name in enumerate(given):
            field = fields.get(name) or by_name.get(name)
            if field is None:
                raise ValueError(f"{model.__name__} has no column {name!r}")
            self.given_index[field.attname] = position
        self.columns = [f.column for f in concrete]
        # For each column: ("given", position) | ("const", text) | ("call", function).
        self._fill: list[tuple[str, Any]] = []
        for field in concrete:
            if field.attname in self.given_index:
                self._fill.append(("given", self.given_index[field.attname]))
            else:
                self._fill.append(self._missing(field, now))

    def _missing(self, field: models.Field, now: datetime) -> tuple[str, Any]:
        name = f"{self.model.__name__}.{field.name}"
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return ("const", _text(now))
        if field.has_default():
            default = field.default
            if callable(default) and field.unique:
                return ("call", lambda: _text(field.get_default()))
            value = field.get_default()
            return ("const", NULL if value is None else _text(value))
        if field.null:
            return ("const", NULL)
        if field.blank and field.empty_strings_allowed:
            return ("const", "")
        if field.primary_key:
            raise ValueError(f"{name}: give the primary key (rows are loaded with their ids)")
        raise ValueError(f"{name} is NOT NULL without a default: the benchmark must give it")

    def encode(self, row: Sequence[Any]) -> list[str]:
        out = []
        for kind, what in self._fill:
            if kind == "given":
                value = row[what]
                out.append(NULL if value is None else _text(value))
            elif kind == "const":
                out.append(what)
            else:
                out.append(what())
        return out

    @property
    def sql(self) -> str:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        return f"COPY {quote(self.table)} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '{NULL}')"


def copy_rows(
    model: type[models.Model],
    given: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    total: int,
    now: datetime,
    batch: int = 50_000,
    label: str | None = None,
    stream: TextIO | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Load ``rows`` into ``model``'s table in batches of ``batch``, each in its own
    transaction (a savepoint inside an outer one), with a progress bar. Returns the count."""
    plan = CopyPlan(model, given, now=now)
    sql = plan.sql
    done = 0
    label = label or model._meta.db_table
    with Progress(total, label=f"{label:<34}", stream=stream) as progress:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        pending = 0

        def flush() -> None:
            nonlocal pending, buffer, writer
            if not pending:
                return
            buffer.seek(0)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.cursor.copy_expert(sql, buffer)  # psycopg2's own cursor under Django's
            progress.advance(pending)
            if on_batch:
                on_batch(pending)
            pending = 0
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")

        for row in rows:
            writer.writerow(plan.encode(row))
            pending += 1
            done += 1
            if pending >= batch:
                flush()
        flush()
    return done


def next_id(model: type[models.Model]) -> int:
    """The first free primary key of ``model``'s table (rows are loaded with their ids)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(MAX({quote(model._meta.pk.column)}), 0) + 1 "  # noqa: S608
            f"FROM {quote(model._meta.db_table)}"
        )
        return cursor.fetchone()[0]


def reset_sequence(model: type[models.Model]) -> None:
    """Move the id sequence past the loaded ids, so the application's inserts still work."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)
