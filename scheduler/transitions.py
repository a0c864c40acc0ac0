"""A scheduled run's guarded status change as one UPDATE statement, built once per process.

Every arrow of a scheduled run's life (see ``models``) is an ``UPDATE ... WHERE id = %s AND
status = <from> [AND attempts = <n>]``. A worker makes two per run, the claim and
"succeeded"; through ``QuerySet.update`` each costs more Python (building and compiling the
query: about 0.5 ms on the benchmark machine) than the database spends on it, a fifth of a
trivial run (docs/performance.md). Here the SQL text for a given set of columns is built
once, and only the values are prepared per call, by the fields' own ``get_db_prep_*``
methods, as Django's compiler would. The guard, and so the atomicity of the claim, is the
same statement's ``WHERE``; ``QuerySet.update`` sends no signals, so none are lost.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.db import connections, router
from django.db.models import Model

from .models import ScheduledRun


@functools.cache
def _statement(vendor: str, columns: tuple[str, ...], with_attempts: bool) -> str:
    """``UPDATE <table> SET <columns> = %s ... WHERE id = %s AND status = %s [...]``."""
    del vendor  # part of the cache key: quoting differs between databases
    connection = connections[router.db_for_write(ScheduledRun)]
    quote = connection.ops.quote_name
    meta = ScheduledRun._meta
    sets = ", ".join(f"{quote(column)} = %s" for column in columns)
    where = f"{quote(meta.pk.column)} = %s AND {quote(meta.get_field('status').column)} = %s"
    if with_attempts:
        where += f" AND {quote(meta.get_field('attempts').column)} = %s"
    return f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {where}"  # noqa: S608 - quoted model metadata


def transition(pk: Any, from_status: str, attempts: int | None, changes: Mapping[str, Any]) -> bool:
    """Apply ``changes`` (field names to values; a related field takes an instance or its
    id) to run ``pk`` if it is in ``from_status`` (and at ``attempts``, when not None);
    whether it was."""
    connection = connections[router.db_for_write(ScheduledRun)]
    meta = ScheduledRun._meta
    fields = [meta.get_field(name) for name in changes]
    values = [
        field.get_db_prep_save(value.pk if isinstance(value, Model) else value, connection)
        for field, value in zip(fields, changes.values(), strict=True)
    ]
    values += [
        meta.pk.get_db_prep_value(pk, connection),
        meta.get_field("status").get_db_prep_value(from_status, connection),
    ]
    if attempts is not None:
        values.append(attempts)
    sql = _statement(
        connection.vendor, tuple(field.column for field in fields), attempts is not None
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount == 1
