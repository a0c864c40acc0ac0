"""SQL the run statistics need that SQLite would otherwise run slowly: through an index it
should not pick, or through a Python function on every row.

- ``with_status``: without statistics (nobody runs ``ANALYZE`` on an application's SQLite
  file) SQLite takes an equality on an indexed column for a handful of rows, so for
  "failed runs since the watermark" it would read every failed run ever through
  ``run_status_started_idx`` instead of the few hours since the watermark. SQLite's
  documented way out is the unary ``+``: a term ``+status = 'failed'`` is still checked but
  never chosen as the index to search. PostgreSQL keeps statistics and plans these well
  alone; there the column is left as it is.
- ``HourOf``: Django's ``TruncHour`` on SQLite calls a Python function per row (parsing
  the text, converting time zones); the run log stores UTC text, whose first 13
  characters are the hour, which SQLite's own ``strftime`` gives at C speed.
"""

from __future__ import annotations

from datetime import timezone as datetime_timezone
from typing import Any

from django.db.models import CharField, F, Func, QuerySet
from django.db.models.functions import TruncHour

UTC = datetime_timezone.utc


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


class HourOf(TruncHour):
    """The start of a moment's hour in UTC (``TruncHour(field, tzinfo=UTC)``)."""

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, tzinfo=UTC, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.lhs)
        return f"strftime('%%Y-%%m-%%d %%H:00:00', {sql})", params
