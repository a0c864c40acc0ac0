"""Steering SQLite's query planner towards the index on ``Run.finished_at``.

Without statistics (nobody runs ``ANALYZE`` on an application's SQLite file) SQLite takes
an equality on an indexed column for a handful of rows, so for "failed runs since the
watermark" it would read every failed run ever through ``run_status_started_idx`` instead
of the few hours since the watermark. SQLite's documented way out is the unary ``+``: a
term ``+status = 'failed'`` is still checked but never chosen as the index to search.
PostgreSQL keeps statistics and plans these well alone; there the column is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Func, QuerySet


class NotIndexed(Func):
    """The column, which SQLite must not search an index of (``+column``)."""

    output_field = CharField()
    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def with_status(runs: QuerySet, status: str) -> QuerySet:
    """``runs.filter(status=status)``, leaving the choice of index to the other terms
    (``finished_at``'s range)."""
    return runs.alias(status_not_indexed=NotIndexed(F("status"))).filter(status_not_indexed=status)
