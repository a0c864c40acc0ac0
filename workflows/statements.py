"""SELECT, INSERT and UPDATE statements whose SQL text is built once per process.

Through the ORM, a small query costs more Python (building and compiling it) than the
database spends on it. The project writes a statement by hand only where
``bench/statements.py`` shows it saves more than 10% of the call it is part of on either
database (docs/performance.md, "Hand-written SQL against the ORM"): the reads every API
call starts with (its key, its workflow) and a scheduled run's worker starts with (the
run, with its workflow and user), ``select_one``; the run log every run writes (its
``Run`` row, its steps, its end), ``insert`` and ``update``; and, on PostgreSQL, a
worker's claim with its ``Run`` row in one statement, ``update_then_insert``. Only the
values are prepared per call, by the fields' own ``pre_save`` and ``get_db_prep_*``
methods, and read rows are converted by the backend's and the columns' converters, then
``Model.from_db``: the public APIs of Django's fields and backends that its compiler
uses. tests/workflows/test_statements.py checks the results against the ORM's on each
database. The numbers every call reads to know whether its caches are current (the live
version's, the data model's) are ORM queries compiled once, ``FirstValue``. Everything
else uses the ORM.

No model signals are sent and no database-generated value is read back (an auto-increment
primary key stays None on the instance): write with these only rows nobody listens to and
whose ids are set in Python or not needed afterwards (the run log).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model, QuerySet

Converter = Callable[[Any, Any, Any], Any]


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


def _update_parts(
    model: type[Model], pk: Any, changes: Mapping[str, Any], guards: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    connection = _connection(model)
    meta = model._meta
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
    return sql, values


def update(
    model: type[Model],
    pk: Any,
    changes: Mapping[str, Any],
    guards: Mapping[str, Any] | None = None,
) -> bool:
    """Set ``changes`` (field names to values; a related field takes an instance or its id)
    on row ``pk`` of ``model`` if its ``guards`` fields hold the given values, in one
    statement (the guard and the change are atomic); whether a row was changed."""
    sql, values = _update_parts(model, pk, changes, guards or {})
    with _connection(model).cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1


def can_update_then_insert(model: type[Model]) -> bool:
    """Whether ``update_then_insert`` is available for ``model``'s database: PostgreSQL's
    data-modifying CTEs (SQLite has none)."""
    return _connection(model).vendor == "postgresql"


@functools.cache
def _conditional_insert_sql(model: type[Model], vendor: str) -> str:
    """``INSERT INTO <table> (<columns>) SELECT CAST(%s AS <type>), ... FROM changed``: the
    casts give the server the columns' types, which a SELECT list does not."""
    del vendor
    connection = _connection(model)
    quote = connection.ops.quote_name
    fields = _written_fields(model)
    names = ", ".join(quote(f.column) for f in fields)
    casts = ", ".join(f"CAST(%s AS {_cast_type(f, connection)})" for f in fields)
    return f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {casts} FROM changed"  # noqa: S608 - quoted model metadata


def _cast_type(field: Field, connection: Any) -> str:
    """The column's type for a cast, text for character columns: an explicit cast to
    ``varchar(n)`` would cut a longer value short, where the INSERT's own assignment
    refuses it ("value too long")."""
    db_type = field.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type


def update_then_insert(
    model: type[Model],
    pk: Any,
    changes: Mapping[str, Any],
    guards: Mapping[str, Any],
    obj: Model,
) -> bool:
    """``update(model, pk, changes, guards)`` and, only if it changed the row, the INSERT of
    ``obj``, in one statement (one round trip, one commit in autocommit); whether it did.
    PostgreSQL only (``can_update_then_insert``)."""
    connection = _connection(model)
    update_sql, values = _update_parts(model, pk, changes, guards)
    inserted = type(obj)
    values += [
        f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in _written_fields(inserted)
    ]
    sql = f"WITH changed AS ({update_sql} RETURNING 1) " + _conditional_insert_sql(
        inserted, connection.vendor
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        done = cursor.rowcount == 1
    if done:
        obj._state.adding = False
        obj._state.db = connection.alias
    return done


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """One model's columns in a SELECT: where they start, and how each is converted."""

    model: type[Model]
    table: str  # the table's name or alias in the statement
    fields: tuple[Field, ...]
    start: int
    converters: tuple[tuple[tuple[Converter, ...], Any], ...]

    @property
    def end(self) -> int:
        return self.start + len(self.fields)

    def sql(self, quote: Callable[[str], str]) -> list[str]:
        return [f"{quote(self.table)}.{quote(field.column)}" for field in self.fields]

    def instance(self, row: Sequence[Any], db: str, connection: Any) -> Model | None:
        values = row[self.start : self.end]
        if values[0] is None:  # the primary key: no such row (an outer join's NULLs)
            return None
        converted = []
        for value, (functions, column) in zip(values, self.converters, strict=True):
            for convert in functions:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(db, [f.attname for f in self.fields], converted)


def columns(
    model: type[Model],
    table: str,
    start: int,
    connection: Any,
    only: frozenset[str] | None = None,
) -> Columns:
    """``model``'s concrete fields (``only`` these, and the key) as Django's compiler
    selects and converts them: the backend's converters, then the column's own. The
    fields left out are deferred on the instances, loaded on access as with ``.only()``."""
    fields = tuple(
        f for f in model._meta.concrete_fields if only is None or f.name in only or f.primary_key
    )
    converters = []
    for field in fields:
        column = field.get_col(table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((tuple(functions), column))
    return Columns(model, table, tuple(fields), start, tuple(converters))


Related = tuple[tuple[str, frozenset[str] | None], ...]


@dataclass(frozen=True)
class _Select:
    sql: str
    base: Columns
    related: tuple[tuple[Field, Columns], ...]
    where: tuple[Field, ...]


@functools.cache
def _select(
    model: type[Model],
    db: str,
    where: tuple[str, ...],
    only: frozenset[str] | None,
    related: Related,
) -> _Select:
    connection = connections[db]
    quote = connection.ops.quote_name
    meta = model._meta
    base = columns(model, meta.db_table, 0, connection, only)
    parts, joins = [], []
    for name, fields in related:
        key = meta.get_field(name)
        alias = f"related_{name}"  # its own name: a model may be joined to itself
        part = columns(
            key.related_model, alias, (parts[-1][1] if parts else base).end, connection, fields
        )
        left = f"{quote(base.table)}.{quote(key.column)}"
        right = f"{quote(alias)}.{quote(key.target_field.column)}"
        joins.append(
            f"{'LEFT OUTER' if key.null else 'INNER'} JOIN "
            f"{quote(key.related_model._meta.db_table)} {quote(alias)} ON {left} = {right}"
        )
        parts.append((key, part))
    where_fields = tuple(meta.pk if name == "pk" else meta.get_field(name) for name in where)
    select = ", ".join(base.sql(quote) + [c for _, part in parts for c in part.sql(quote)])
    conditions = " AND ".join(f"{quote(base.table)}.{quote(f.column)} = %s" for f in where_fields)
    sql = " ".join(
        [f"SELECT {select} FROM {quote(meta.db_table)}", *joins, f"WHERE {conditions}"]  # noqa: S608 - quoted model metadata
    )
    return _Select(sql, base, tuple(parts), where_fields)


def select_one(
    model: type[Model],
    where: Mapping[str, Any],
    *,
    only: frozenset[str] | None = None,
    related: Mapping[str, frozenset[str] | None] | None = None,
) -> Model | None:
    """The row of ``model`` whose ``where`` fields (``pk`` for the key) equal the given
    values, as ``.filter(**where).first()`` without its ordering: use it on a unique
    match. ``only``: the fields read (the rest deferred). ``related``: foreign keys to
    load in the same statement (``select_related``), each with its ``only`` or None for
    every field. None when there is no such row."""
    db = router.db_for_read(model)
    connection = connections[db]
    plan = _select(model, db, tuple(where), only, tuple((related or {}).items()))
    values = [
        f.get_db_prep_value(value, connection)
        for f, value in zip(plan.where, where.values(), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    obj = plan.base.instance(row, db, connection)
    for key, part in plan.related:
        target = part.instance(row, db, connection)
        if target is not None or getattr(obj, key.attname) is None:
            key.set_cached_value(obj, target)
    return obj


class FirstValue:
    """The first value of a query without parameters that every call makes (``build``: a
    ``values_list(..., flat=True)`` of integers: the value is returned as the driver reads
    it, without the ORM's converters), compiled to SQL by the ORM once per database and
    then executed as it is: building and compiling the query each time costs
    about ten times what the database spends answering it (docs/performance.md)."""

    def __init__(self, model: type[Model], build: Callable[[], QuerySet]) -> None:
        self.model = model
        self.build = build
        self._sql: dict[str, tuple[str, tuple[Any, ...]]] = {}

    def __call__(self) -> Any:
        db = router.db_for_read(self.model)
        sql = self._sql.get(db)
        if sql is None:
            query = self.build().using(db)[:1].query
            sql = self._sql[db] = query.get_compiler(using=db).as_sql()
        with connections[db].cursor() as cursor:
            cursor.execute(*sql)
            row = cursor.fetchone()
        return None if row is None else row[0]
