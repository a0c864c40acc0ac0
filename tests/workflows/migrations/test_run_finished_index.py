"""The run log's index by end time serves every read of the run statistics from the run
log (the runs since the watermark, a chunk being closed, the last failures) on each
database, though it is partial and SQLite keeps no statistics to plan with."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflows.models import Run
from workflows.stats import read, rollup


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask if it can
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def statistics_reads() -> list[str]:
    """The SQL of each read of the statistics that touches the run log by end time."""
    now = timezone.now()
    since = now - datetime.timedelta(hours=5)
    with CaptureQueriesContext(connection) as queries:
        read.window(since)
        read.totals()
        read.last_failures(["wf"], since, since)
        rollup._chunk_end(since, now)
        rollup._hour_rows(since, now)
    return [q["sql"] for q in queries.captured_queries if '"finished_at" >' in q["sql"]]


def test_every_read_by_end_time_uses_the_index(db):
    """A month of runs, one in ten failed: the last hours are a small share of them."""
    now = timezone.now()
    Run.objects.bulk_create(
        Run(
            workflow_name="wf",
            status="failed" if i % 10 == 0 else "succeeded",
            finished_at=now - datetime.timedelta(minutes=20 * i),
        )
        for i in range(2000)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would (SQLite keeps none)
            cursor.execute(f"ANALYZE {Run._meta.db_table}")
    reads = statistics_reads()
    assert len(reads) == 7
    for sql in reads:
        assert "run_finished_idx" in plan(sql), sql


def test_a_running_run_has_no_entry_in_it():
    """Partial: a run's first write (still running) costs no index entry."""
    index = next(i for i in Run._meta.indexes if i.name == "run_finished_idx")
    assert str(index.condition) == "(AND: ('finished_at__isnull', False))"


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_the_status_of_failed_runs_is_no_index_to_sqlite(vendor):
    from workflows.stats.sql import with_status

    sql = str(with_status(Run.objects.all(), "failed").query)
    if connection.vendor == vendor:
        assert ('+"workflows_run"."status"' in sql) == (vendor == "sqlite")
