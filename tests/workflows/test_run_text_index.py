"""SQLite's index of the runs' text, in a file of its own (workflows/run_text_index.py):
the main database only queues rowids, the scheduler's catch-up keeps the file, and a new or
foreign file is built from the runs."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from workflows import run_text_index
from workflows.admin import run_search
from workflows.choices import RunStatus
from workflows.models import Run

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's index file")


@pytest.fixture
def wf(make_workflow):
    return make_workflow("process-order", actions=[{"type": "log", "message": "x"}])


@pytest.fixture
def make_run(db):
    """An ended run (or running: ``status=RUNNING``) as the log writes it."""

    def make(workflow, *, status: str = RunStatus.SUCCEEDED, **fields) -> Run:
        finished = None if status == RunStatus.RUNNING else timezone.now()
        return Run.objects.create(
            workflow=workflow,
            workflow_name=workflow.name,
            status=status,
            finished_at=finished,
            **fields,
        )

    return make


@pytest.fixture
def fresh_index():
    """A new, empty index file, as after the file was deleted."""
    run_text_index.forget_connection()
    path = Path(run_text_index.index_path())
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        file.unlink(missing_ok=True)
    return run_text_index


def in_index(text: str) -> int:
    rows = run_text_index._index().execute(
        f"SELECT count(*) FROM {run_text_index.FTS} WHERE {run_text_index.FTS} MATCH ?",  # noqa: S608 - fixed name
        [f'"{text}"'],
    )
    return rows.fetchone()[0]


def queued() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {run_text_index.QUEUE}")  # noqa: S608 - fixed name
        return cursor.fetchone()[0]


def main_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master")
        return {name for (name,) in cursor.fetchall()}


def test_the_main_database_has_no_full_text_table(db):
    """Its merges would hold the main database's write lock (the pruning goal)."""
    assert not any(
        name.startswith("workflows_run_text_") and "fts" in name for name in main_tables()
    )
    assert "workflows_run_text" not in main_tables()
    assert {run_text_index.QUEUE, run_text_index.STATE} <= main_tables()


def test_a_run_is_queued_when_it_ends_and_indexed_by_the_catch_up(wf, make_run, fresh_index):
    fresh_index.catch_up()
    first = make_run(wf, params={"k": "FILE-FOUND"})
    assert (queued(), in_index("file-found")) == (1, 0)
    assert run_search.indexed_ids(["FILE-FOUND"]).ids == [first.pk]  # read from the queue
    assert fresh_index.catch_up() == 1
    assert (queued(), in_index("file-found")) == (0, 1)
    assert run_search.indexed_ids(["FILE-FOUND"]).ids == [first.pk]  # read from the file

    # its text changes: queued again; the stale entry is checked against the run, not trusted
    Run.objects.filter(pk=first.pk).update(params={"k": "FILE-CHANGED"})
    assert queued() == 1
    assert run_search.indexed_ids(["FILE-FOUND"]).ids == []
    assert run_search.indexed_ids(["FILE-CHANGED"]).ids == [first.pk]
    fresh_index.catch_up()
    assert (in_index("file-found"), in_index("file-changed")) == (0, 1)

    # deleted (pruned): one small insert in the main database, the entry goes at catch-up
    Run.objects.filter(pk=first.pk).delete()
    assert queued() == 1 and in_index("file-changed") == 1
    assert run_search.indexed_ids(["FILE-CHANGED"]).ids == []
    fresh_index.catch_up()
    assert (queued(), in_index("file-changed")) == (0, 0)
    fts = run_text_index.FTS
    run_text_index._index().execute(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")  # noqa: S608 - fixed name


def test_a_running_run_is_not_queued_and_deleting_it_queues_nothing(wf, make_run, fresh_index):
    fresh_index.catch_up()
    running = make_run(wf, status=RunStatus.RUNNING, params={"k": "STILL-RUNNING"})
    assert queued() == 0
    Run.objects.filter(pk=running.pk).delete()
    assert queued() == 0


def test_a_new_index_file_is_built_from_the_runs_and_only_then_used(wf, make_run, fresh_index):
    runs = [make_run(wf, params={"k": f"BUILT-{i:02d}"}) for i in range(12)]
    with connection.cursor() as cursor:  # as if they had been indexed into a lost file
        cursor.execute(f"DELETE FROM {run_text_index.QUEUE}")  # noqa: S608 - fixed name
    assert not fresh_index.ready()
    assert run_search.has_index() is False  # the search reads the table meanwhile
    assert run_search.indexed_ids(["BUILT-07"]).ids == [runs[7].pk]
    fresh_index.step()  # starts over: a new file
    assert fresh_index.ready()  # a chunk covers these few runs
    assert in_index("built-07") == 1 and in_index("built-11") == 1


def test_a_large_build_takes_several_steps_newest_first(wf, make_run, fresh_index, monkeypatch):
    monkeypatch.setattr(run_text_index, "BUILD_CHUNK", 4)
    runs = [make_run(wf, params={"k": f"CHUNK-{i:02d}"}) for i in range(10)]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {run_text_index.QUEUE}")  # noqa: S608 - fixed name
    fresh_index.step()
    assert not fresh_index.ready()
    assert in_index(f"chunk-{9:02d}") == 1 and in_index("chunk-00") == 0
    fresh_index.catch_up()
    assert fresh_index.ready()
    assert all(in_index(run.params["k"].lower()) == 1 for run in runs)


def test_an_index_made_for_another_database_is_built_again(wf, make_run, fresh_index):
    run = make_run(wf, params={"k": "MINE-ONLY"})
    fresh_index.catch_up()
    assert fresh_index.ready() and in_index("mine-only") == 1
    with connection.cursor() as cursor:  # another database (a copy, a restored backup)
        cursor.execute(
            f"UPDATE {run_text_index.STATE} SET value = 'another' WHERE key = 'database'"  # noqa: S608 - fixed name
        )
        cursor.execute(f"DELETE FROM {run_text_index.QUEUE}")  # noqa: S608 - fixed name
    assert not fresh_index.ready()
    Run.objects.filter(pk=run.pk).update(params={"k": "MINE-NOW"})
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {run_text_index.QUEUE}")  # noqa: S608 - fixed name
    fresh_index.catch_up()
    assert fresh_index.ready()
    assert (in_index("mine-only"), in_index("mine-now")) == (0, 1)


def test_the_index_lock_never_holds_up_the_run_log(wf, make_run, fresh_index):
    """Another process holding the index file's write lock (a catch-up merging): runs end
    and are deleted in the main database without waiting for it."""
    fresh_index.catch_up()
    holder = sqlite3.connect(run_text_index.index_path(), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        run = make_run(wf, params={"k": "WHILE-LOCKED"})
        Run.objects.filter(pk=run.pk).update(finished_at=timezone.now())
        Run.objects.filter(pk=run.pk).delete()
        assert queued() == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_catches_up_in_a_thread(make_workflow, make_run, monkeypatch):
    from scheduler import conf, dispatch, housekeeping

    monkeypatch.setitem(conf.DEFAULTS, "SEARCH_INDEX_INTERVAL", 5.0)
    # only the catch-up writes meanwhile: the test database is SQLite's shared cache,
    # where a table another connection writes is refused at once ("table is locked"),
    # not waited for as in a database file (housekeeping's own tests cover its chores)
    monkeypatch.setattr(housekeeping, "run_chores", lambda: None)
    run_text_index.catch_up()  # what earlier tests queued: this test's run alone is left
    wf = make_workflow("indexed-later", actions=[{"type": "log", "message": "x"}])
    run = make_run(wf, params={"k": "IN-THE-BACKGROUND"})
    passes = []
    dispatch.run_forever(threading.Event(), alive=lambda: not passes.append(1) and len(passes) == 1)
    worker = run_text_index._worker
    assert isinstance(worker, threading.Thread)
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert queued() == 0
    assert run_text_index.ready()
    assert run_search.indexed_ids(["IN-THE-BACKGROUND"]).ids == [run.pk]
