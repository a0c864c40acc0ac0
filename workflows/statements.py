"""INSERT and UPDATE statements whose SQL text is built once per process.

Through the ORM, a small INSERT or UPDATE costs more Python (building and compiling the
query: about 0.3-0.5 ms on the benchmark machine) than the database spends on it. Every run
writes its log in three such statements (the ``Run`` row, its steps, the row's end) and a
scheduled run's worker adds two guarded status changes, so they are a large share of a
short run (docs/performance.md). Here the SQL for a given model and set of columns is built
once, and only the values are prepared per call, by the fields' own ``pre_save`` and
``get_db_prep_*`` methods, as Django's compiler does.

No model signals are sent and no database-generated value is read back (an auto-increment
primary key stays None on the instance): use these only for rows nobody listens to and
whose ids are set in Python or not needed afterwards (the run log, scheduled runs).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model


def _connection(model: type[Model]) -> Any:
    return connections[router.db_for_write(model)]


def _quote(model: type[Model]) -> Any:
    return _connection(model).ops.quote_name


@functools.cache
def _insert_sql(model: type[Model], vendor: str, columns: tuple[str, ...], rows: int) -> str:
    """``INSERT INTO <table> (<columns>) VALUES (%s, ...), ...`` for ``rows`` rows."""
    del vendor  # part of the cache key: quoting differs between databases
    quote = _quote(model)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = ", ".join(quote(column) for column in columns)
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {', '.join([row] * rows)}"  # noqa: S608 - quoted model metadata


@functools.cache
def _update_sql(
    model: type[Model], vendor: str, columns: tuple[str, ...], guards: tuple[str, ...]
) -> str:
    """``UPDATE <table> SET <column> = %s, ... WHERE <pk> = %s AND <guard> = %s ...``."""
    del vendor
    quote = _quote(model)
    sets = ", ".join(f"{quote(column)} = %s" for column in columns)
    where = " AND ".join(f"{quote(column)} = %s" for column in (model._meta.pk.column, *guards))
    return f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {where}"  # noqa: S608 - quoted model metadata


def _written_fields(model: type[Model]) -> list[Field]:
    """Every concrete field, except a primary key the database generates."""
    pk = model._meta.pk
    return [f for f in model._meta.concrete_fields if not (f is pk and f.db_returning)]


def insert(objs: Sequence[Model]) -> None:
    """INSERT ``objs`` (instances of one model) as ``Model.save(force_insert=True)`` or
    ``bulk_create`` would, in as few statements as the database's parameter limit allows;
    the instances are marked as saved."""
    if not objs:
        return
    model = type(objs[0])
    connection = _connection(model)
    fields = _written_fields(model)
    columns = tuple(f.column for f in fields)
    batch = max(1, connection.ops.bulk_batch_size(fields, objs))
    for start in range(0, len(objs), batch):
        chunk = objs[start : start + batch]
        values = [
            f.get_db_prep_save(f.pre_save(obj, add=True), connection)
            for obj in chunk
            for f in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(model, connection.vendor, columns, len(chunk)), values)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def update(
    model: type[Model],
    pk: Any,
    changes: Mapping[str, Any],
    guards: Mapping[str, Any] | None = None,
) -> bool:
    """Set ``changes`` (field names to values; a related field takes an instance or its id)
    on row ``pk`` of ``model`` if its ``guards`` fields hold the given values, in one
    statement (the guard and the change are atomic); whether a row was changed."""
    connection = _connection(model)
    meta = model._meta
    guards = guards or {}
    fields = [meta.get_field(name) for name in changes]
    guard_fields = [meta.get_field(name) for name in guards]
    values = [
        f.get_db_prep_save(value.pk if isinstance(value, Model) else value, connection)
        for f, value in zip(fields, changes.values(), strict=True)
    ]
    values.append(meta.pk.get_db_prep_value(pk, connection))
    values += [
        f.get_db_prep_value(value, connection)
        for f, value in zip(guard_fields, guards.values(), strict=True)
    ]
    sql = _update_sql(
        model,
        connection.vendor,
        tuple(f.column for f in fields),
        tuple(f.column for f in guard_fields),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1
