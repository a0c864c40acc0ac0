"""Loading a scheduled run on the worker, with its workflow and user, in one prepared query.

Every scheduled run starts with this read. Through the ORM
(``select_related("workflow", "actor")``) building and compiling the query cost about
0.5 ms of Python per run, as much as the rest of a trivial run's bookkeeping: the largest
part of the gap between a scheduled run and a raw django-q2 task (docs/performance.md,
"Scheduler throughput"). Here the SQL is built once per process from the models' metadata
and the rows become model instances as Django's compiler would make them: each column
through the converters Django applies (``connection.ops.get_db_converters`` and the
column's own), then ``Model.from_db``. The workflow comes with the columns a worker reads
(others are deferred and load on access, as with ``.defer()``); the scheduled run and the
user with all of theirs. tests/scheduler/test_loading.py checks the instances are equal,
field by field, to the ORM's on each database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, models, router

from workflows.models import Workflow

from .models import ScheduledRun

#: the workflow's columns a worker reads; the engine finds the rest in the compiled
#: definition it caches per revision
WORKFLOW_FIELDS = frozenset(
    {"id", "name", "timeout", "retries", "retry_delay", "revision", "updated_at"}
)

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Part:
    """One model's columns in the SELECT: where they start, and how each is converted."""

    model: type[models.Model]
    table: str
    fields: tuple[models.Field, ...]
    start: int
    converters: tuple[tuple[tuple[Converter, ...], Any], ...]

    @property
    def end(self) -> int:
        return self.start + len(self.fields)

    def columns(self, quote: Callable[[str], str]) -> list[str]:
        return [f"{quote(self.table)}.{quote(field.column)}" for field in self.fields]

    def instance(self, row: Sequence[Any], db: str, connection: Any) -> models.Model | None:
        values = row[self.start : self.end]
        if values[0] is None:  # the primary key: no such row (an outer join's NULLs)
            return None
        converted = []
        for value, (functions, column) in zip(values, self.converters, strict=True):
            for convert in functions:
                value = convert(value, column, connection)
            converted.append(value)
        return self.model.from_db(db, [f.attname for f in self.fields], converted)


def _part(
    model: type[models.Model],
    table: str,
    start: int,
    connection: Any,
    only: frozenset[str] | None = None,
) -> _Part:
    """``model``'s concrete fields (``only`` these, and the key) as Django's compiler
    selects and converts them: the backend's converters, then the column's own."""
    fields = tuple(
        f for f in model._meta.concrete_fields if only is None or f.name in only or f.primary_key
    )
    converters = []
    for field in fields:
        column = field.get_col(table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((tuple(functions), column))
    return _Part(model, table, fields, start, tuple(converters))


@dataclass(frozen=True)
class _Plan:
    sql: str
    run: _Part
    workflow: _Part
    actor: _Part


@functools.cache
def _plan(db: str) -> _Plan:
    connection = connections[db]
    quote = connection.ops.quote_name
    user_model = get_user_model()
    # each table under its own name: the three are distinct
    run = _part(ScheduledRun, ScheduledRun._meta.db_table, 0, connection)
    workflow = _part(Workflow, Workflow._meta.db_table, run.end, connection, WORKFLOW_FIELDS)
    actor = _part(user_model, user_model._meta.db_table, workflow.end, connection)
    meta = ScheduledRun._meta

    def join(kind: str, part: _Part, foreign_key: str) -> str:
        table = quote(part.model._meta.db_table)
        left = f"{quote(run.table)}.{quote(meta.get_field(foreign_key).column)}"
        right = f"{quote(part.table)}.{quote(part.model._meta.pk.column)}"
        return f"{kind} JOIN {table} ON {left} = {right}"

    select = ", ".join(run.columns(quote) + workflow.columns(quote) + actor.columns(quote))
    sql = " ".join(
        [
            f"SELECT {select} FROM {quote(meta.db_table)}",  # noqa: S608 - quoted model metadata
            join("INNER", workflow, "workflow"),
            join("LEFT OUTER", actor, "actor"),
            f"WHERE {quote(run.table)}.{quote(meta.pk.column)} = %s",
        ]
    )
    return _Plan(sql, run, workflow, actor)


def load_scheduled_run(pk: Any) -> ScheduledRun | None:
    """Scheduled run ``pk`` with its workflow and user attached, or None if there is none."""
    db = router.db_for_read(ScheduledRun)
    connection = connections[db]
    plan = _plan(db)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [ScheduledRun._meta.pk.get_db_prep_value(pk, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    run = plan.run.instance(row, db, connection)
    run.workflow = plan.workflow.instance(row, db, connection)
    actor = plan.actor.instance(row, db, connection)
    if actor is not None or run.actor_id is None:
        run.actor = actor
    return run
