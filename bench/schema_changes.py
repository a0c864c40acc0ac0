"""Changing a data type defined without code while its table is large and written to.

    DJANGO_SETTINGS_MODULE=bench.settings python -m bench.schema_changes --rows N

Makes a data type ``Lead`` (three fields), fills its table with ``N`` rows (one SQL
statement: ``generate_series`` on PostgreSQL, a recursive CTE on SQLite), then, while a
writer thread inserts one thing per transaction without pause, measures:

* adding a nullable field (``schema.add_field``): how long the change takes, and the
  longest any write waited meanwhile;
* adding a field with an index (``indexed: true``): the same, for a change that reads the
  whole table (docs/data-types.md says so before it runs);
* the baseline, measured in the same run: the longest write of the same writer over the
  same length of time with no change running.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

import django


def populate(rows: int) -> Any:
    from django.db import connection

    from workflows.data_model import schema

    data_type = schema.create_data_type(
        {
            "name": "Lead",
            "fields": [
                {"name": "email", "type": "text"},
                {"name": "score", "type": "number"},
                {"name": "active", "type": "yes_no"},
            ],
        }
    )
    email, score, active = (
        data_type.fields.get(name=n).column for n in ("email", "score", "active")
    )
    table = data_type.table_name
    columns = f"unique_id, created_date, modified_date, {email}, {score}, {active}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT 'b' || n, now(), now(), "  # noqa: S608
                "'lead' || n || '@example.com', n %% 100, n %% 2 = 0 "
                "FROM generate_series(1, %s) AS n",
                [rows],
            )
            cursor.execute(f"ANALYZE {table}")
        else:
            # table and columns are ids made by the project (things_<id>, f<id>)
            sql = (
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) "  # noqa: S608
                f"INSERT INTO {table} ({columns}) SELECT 'b' || n, "
                "datetime('now'), datetime('now'), 'lead' || n || '@example.com', n %% 100, "
                "n %% 2 = 0 FROM s"
            )
            cursor.execute(sql, [rows])
    return data_type


class Writer(threading.Thread):
    """Inserts one thing per transaction, as fast as it can; keeps each write's time."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.marks: list[tuple[float, float]] = []  # (start, seconds)
        self.error: str | None = None

    def run(self) -> None:
        from django.db import connection

        from workflows import data_types
        from workflows.data_model import registry

        try:
            while not self.stop.is_set():
                registry.ensure_current()  # as each request does
                model = data_types.get_model("Lead")
                start = time.perf_counter()
                model.objects.create(email="w@example.com", score=1, active=True)
                self.marks.append((start, time.perf_counter() - start))
        except Exception as exc:  # noqa: BLE001 - reported
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    def longest_between(self, start: float, end: float) -> float:
        """The longest write that was running at some moment in [start, end]."""
        waits = [s for t, s in self.marks if t <= end and t + s >= start]
        return max(waits, default=0.0)


def measured_change(writer: Writer, change: Any) -> dict[str, float]:
    time.sleep(0.5)  # the writer is in its stride  # noqa: TID251 - a benchmark's pacing
    start = time.perf_counter()
    change()
    end = time.perf_counter()
    time.sleep(0.2)  # writes that were waiting finish  # noqa: TID251
    return {
        "change_s": round(end - start, 3),
        "longest_write_s": round(writer.longest_between(start, end), 3),
    }


def measure(rows: int) -> dict[str, Any]:
    from workflows.data_model import schema

    started = time.perf_counter()
    data_type = populate(rows)
    populate_s = time.perf_counter() - started
    writer = Writer()
    writer.start()
    try:
        time.sleep(1.0)  # noqa: TID251 - a benchmark's pacing
        base_start = time.perf_counter()
        time.sleep(1.0)  # noqa: TID251
        baseline = writer.longest_between(base_start, time.perf_counter())
        nullable = measured_change(
            writer, lambda: schema.add_field(data_type, {"name": "company", "type": "text"})
        )
        indexed = measured_change(
            writer,
            lambda: schema.add_field(
                data_type, {"name": "rank", "type": "number", "indexed": True}
            ),
        )
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    if writer.error:
        raise RuntimeError(f"the writer failed: {writer.error}")
    writes = [s for _, s in writer.marks]
    return {
        "rows": rows,
        "populate_s": round(populate_s, 1),
        "writes": len(writes),
        "median_write_s": round(statistics.median(writes), 5) if writes else None,
        "baseline_longest_write_s": round(baseline, 3),
        "add_nullable_field": nullable,
        "add_indexed_field": indexed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    django.setup()
    print(json.dumps(measure(args.rows)))


if __name__ == "__main__":
    main()
