"""Writing many scheduled runs fast: multi-row INSERTs, without model objects.

``bulk_create`` builds a model instance and prepares all 19 columns of every row in Python;
for 100,000 runs that is most of the time. Here the columns that are the same for every row
are prepared once, and only the id, parameters and due time per row. On PostgreSQL the
statement is kept short and identical (psycopg parses a 30,000-placeholder statement anew
each time) and batches of it go through ``executemany``, which psycopg pipelines.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connections, router

from .models import ScheduledRun


def insert_scheduled_runs(
    common: dict[str, Any],
    rows: Iterable[tuple[dict[str, Any], datetime.datetime]],
    batch_size: int,
) -> list[str]:
    """Insert one run per ``(params, due_at)`` with ``common`` field values; their ids.

    ``common`` holds model field names (``workflow``, ``actor``...) for values shared by all
    rows; every other field takes its model default.
    """
    using = router.db_for_write(ScheduledRun)
    connection = connections[using]
    meta = ScheduledRun._meta
    template = ScheduledRun(**common)  # defaults and shared values, prepared once below
    per_row = ("id", "params", "due_at")
    fields = list(meta.concrete_fields)
    shared = {
        f.attname: f.get_db_prep_save(getattr(template, f.attname), connection)
        for f in fields
        if f.name not in per_row
    }
    id_field, params_field, due_field = (meta.get_field(n) for n in per_row)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite parses fast and caps the variables of one statement: big statements. Elsewhere
    # (PostgreSQL) one modest statement, parsed once and sent many times, pipelined.
    sqlite = connection.vendor == "sqlite"
    size = max(1, min(batch_size, 30_000 // len(fields))) if sqlite else 100
    ids: list[str] = []
    batch: list[Any] = []
    count = 0
    full: list[list[Any]] = []  # PostgreSQL: full batches waiting for executemany

    def statement(rows_in_it: int) -> str:
        # identifiers are quoted model metadata; every value is a bound parameter
        values = ", ".join([one_row] * rows_in_it)
        return f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608

    def send_full() -> None:
        if full:
            with connection.cursor() as cursor:
                cursor.executemany(statement(size), full)
            full.clear()

    def flush(final: bool = False) -> None:
        nonlocal batch, count
        if count == size and not sqlite:
            full.append(batch)
            if len(full) >= 50 or final:
                send_full()
        elif count:
            send_full()
            with connection.cursor() as cursor:
                cursor.execute(statement(count), batch)
        if final:
            send_full()
        batch, count = [], 0

    # one row's values, shared ones in place; only the per-row slots change
    template_row = [shared.get(f.attname) for f in fields]
    id_at, params_at, due_at_at = (fields.index(f) for f in (id_field, params_field, due_field))
    adapt_due = _due_adapter(due_field, connection)
    for params, due_at in rows:
        pk = uuid.uuid4()
        ids.append(str(pk))
        row = template_row.copy()
        row[id_at] = id_field.get_db_prep_save(pk, connection)
        row[params_at] = params_field.get_db_prep_save(params, connection)
        row[due_at_at] = adapt_due(due_at)
        batch.extend(row)
        count += 1
        if count >= size:
            flush()
    flush(final=True)
    return ids


def _due_adapter(field: Any, connection: Any) -> Any:
    """Due times as the database takes them. An aware datetime (every due time the
    scheduler computes) goes straight to the database's adapter: the field's own
    preparation (type checks, the naive-datetime warning) was a fifth of the insert's time
    for 100,000 rows. Anything else takes the field's way."""
    adapt = connection.ops.adapt_datetimefield_value

    def prepare(value: Any) -> Any:
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return adapt(value)
        return field.get_db_prep_save(value, connection)

    return prepare
