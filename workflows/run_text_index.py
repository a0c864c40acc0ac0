"""The Runs search's text index on SQLite, in a database file of its own.

Why a file of its own: SQLite has one write lock per database file, and FTS5 merges its
segments inside whichever transaction writes to it. With the index in the main database,
pruning a million runs (each deleted run is removed from the index) held the write lock
for up to 0.4 s at a time, and every writer of runs waited (docs/performance.md, "Pruning
run history"). Now the main database only queues the row ids of runs that ended, changed or
were deleted (triggers of workflows/migrations/0023_run_search_index_file.py: one small
insert each), and the scheduler brings this file up to date from that queue (``catch_up``,
in a thread of the dispatcher): its merges hold this file's lock, which no run ever waits
for.

The index holds each ended run's text (``BODY``) under the run table's rowid. A queued
rowid is *refreshed*: its entry removed, and the run's current text added when the run
exists and has ended. Refreshing twice, or late, is harmless, and the search checks every
match against the runs' own text, so the index can only narrow a search down, never add to
it. One ``catch_up`` holds this file's write lock from reading the queue to committing, so
two schedulers never apply an older state over a newer one.

A new index file (the first start, or the file deleted), or one made for another database
(a main database restored or copied without it; each main database has a random id the
index records), is built from every ended run, newest first, a chunk at a time; until it is
built ``ready()`` is false and the search reads the run table. The file may be deleted at
any time: it is rebuilt (and should be after a ``VACUUM``, which may renumber the run
table's rowids).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connections, router

from .models import Run

#: how much of a run's text is indexed and searched
LIMIT = 20_000
#: a run's searchable text (SQLite), ``{p}`` the table's qualifier; the migration's
#: triggers compare the same expression to see an ended run's text change
BODY = (
    "substr({p}workflow_name || ' ' || {p}error_code || ' ' || {p}error_message || ' ' || "
    "{p}params || ' ' || coalesce({p}result, ''), 1, " + str(LIMIT) + ")"
)
TABLE = Run._meta.db_table
#: in the main database: rowids of runs to refresh, and the database's id
QUEUE = "workflows_run_text_queue"
STATE = "workflows_run_text_state"
#: in the index's file
FTS = "run_text"
META = "meta"

#: queued rowids refreshed per transaction of the index
QUEUE_BATCH = 2_000
#: rowids of the run table read per transaction while building the index
BUILD_CHUNK = 5_000


def available() -> bool:
    """Whether this SQLite can make the index (FTS5 with the trigram tokenizer: 3.34+)."""
    return _AVAILABLE


def _probe() -> bool:
    try:
        with contextlib.closing(sqlite3.connect(":memory:")) as probe:
            probe.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    except sqlite3.Error:
        return False
    return True


_AVAILABLE = _probe()


# --- where the index lives -----------------------------------------------------------------


def _main_alias() -> str:
    return router.db_for_write(Run)


def index_path(alias: str | None = None) -> str:
    """``RUN_SEARCH_INDEX`` when set; else beside the main database (``db.sqlite3`` →
    ``db.search.sqlite3``); for an in-memory main database (tests), a temporary file of
    this process."""
    configured = getattr(settings, "RUN_SEARCH_INDEX", None)
    if configured:
        return str(configured)
    name = str(connections[alias or _main_alias()].settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        return _temporary_path(name)
    main = Path(name)
    return str(main.with_name(f"{main.stem}.search{main.suffix or '.sqlite3'}"))


def _temporary_path(name: str) -> str:
    key = (os.getpid(), name)
    if key not in _temporary:
        handle, path = tempfile.mkstemp(prefix="bubble-run-text-", suffix=".sqlite3")
        os.close(handle)
        os.unlink(path)  # created by SQLite, with its -wal and -shm beside it
        _temporary[key] = path
        atexit.register(_remove, path)
    return _temporary[key]


def _remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.unlink(path + suffix)


_temporary: dict[tuple[int, str], str] = {}
_local = threading.local()


def _index() -> sqlite3.Connection:
    """This thread's connection to the index's file (made, with its tables, when missing).
    Per process too: a connection must not cross a fork."""
    path = index_path()
    key = (os.getpid(), path)
    held = getattr(_local, "held", None)
    if held is not None and held[0] == key:
        return held[1]
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(body, tokenize='trigram')"
    )
    connection.execute(f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value)")
    _local.held = (key, connection)
    return connection


def forget_connection() -> None:
    """Close this thread's connection (tests that remove the file)."""
    held = getattr(_local, "held", None)
    _local.held = None
    if held is not None:
        held[1].close()


@contextlib.contextmanager
def _writing(index: sqlite3.Connection) -> Iterator[None]:
    index.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        index.execute("ROLLBACK")
        raise
    index.execute("COMMIT")


# --- the main database's side ----------------------------------------------------------------


def _main_cursor():
    return connections[_main_alias()].cursor()


def queued_in_main() -> bool:
    """Whether the main database queues runs for this index (SQLite, migrated)."""
    connection = connections[_main_alias()]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [QUEUE])
        return cursor.fetchone() is not None


def _database_id(create: bool) -> str | None:
    """The main database's random id; made when missing and ``create`` (a database
    flushed, e.g. between tests, has none)."""
    select = f"SELECT value FROM {STATE} WHERE key = 'database'"  # noqa: S608 - fixed name
    with _main_cursor() as cursor:
        cursor.execute(select)
        row = cursor.fetchone()
        if row is None and create:
            cursor.execute(
                f"INSERT OR IGNORE INTO {STATE} (key, value) VALUES ('database', %s)",  # noqa: S608 - fixed name
                [secrets.token_hex(16)],
            )
            cursor.execute(select)
            row = cursor.fetchone()
    return row[0] if row else None


def _texts(where: str, params: list[object]) -> list[tuple[int, str]]:
    with _main_cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, {BODY.format(p='')} FROM {TABLE} "  # noqa: S608 - fixed SQL, values as parameters
            f"WHERE finished_at IS NOT NULL AND {where}",
            params,
        )
        return cursor.fetchall()


# --- keeping the index ---------------------------------------------------------------------


def _meta(index: sqlite3.Connection) -> dict[str, object]:
    return dict(index.execute(f"SELECT key, value FROM {META}").fetchall())  # noqa: S608 - fixed name


def _set(index: sqlite3.Connection, **values: object) -> None:
    index.executemany(
        f"INSERT OR REPLACE INTO {META} (key, value) VALUES (?, ?)",  # noqa: S608 - fixed name
        list(values.items()),
    )


def _start_over(index: sqlite3.Connection, database: str) -> None:
    """Empty the index and build it again from every ended run (rowids below the highest
    now; later runs are queued when they end)."""
    index.execute(f"DROP TABLE IF EXISTS {FTS}")
    index.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5(body, tokenize='trigram')")
    with _main_cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(rowid), 0) FROM {TABLE}")  # noqa: S608 - fixed name
        highest = cursor.fetchone()[0]
    _set(index, database=database, built_below=highest + 1)


def _replace(index: sqlite3.Connection, rowids: Iterable[int], texts: list[tuple[int, str]]):
    index.execute(
        f"DELETE FROM {FTS} WHERE rowid IN (SELECT value FROM json_each(?))",  # noqa: S608 - fixed name
        [json.dumps(list(rowids))],
    )
    index.executemany(f"INSERT INTO {FTS} (rowid, body) VALUES (?, ?)", texts)  # noqa: S608 - fixed name


def step() -> int:
    """One transaction of the index's upkeep: refresh up to ``QUEUE_BATCH`` queued runs
    and build one chunk of a new index. How many runs it refreshed or read (0: up to date)."""
    if not (available() and queued_in_main()):
        return 0
    database = _database_id(create=True)
    index = _index()
    with _writing(index):
        meta = _meta(index)
        if meta.get("database") != database:
            _start_over(index, str(database))
            meta = _meta(index)
        with _main_cursor() as cursor:
            cursor.execute(f"SELECT seq, run FROM {QUEUE} ORDER BY seq LIMIT %s", [QUEUE_BATCH])  # noqa: S608 - fixed name
            queued = cursor.fetchall()
        done = 0
        if queued:
            rowids = sorted({run for _, run in queued})
            where = "rowid IN (SELECT value FROM json_each(%s))"
            _replace(index, rowids, _texts(where, [json.dumps(rowids)]))
            done += len(rowids)
        built_below = int(meta.get("built_below") or 0)
        if built_below > 0:
            low = max(built_below - BUILD_CHUNK, 0)
            texts = _texts("rowid >= %s AND rowid < %s", [low, built_below])
            _replace(index, range(low, built_below), texts)
            _set(index, built_below=low)
            done += built_below - low
    if queued:  # refreshed and committed: off the queue (a crash before: refreshed again)
        with _main_cursor() as cursor:
            cursor.execute(f"DELETE FROM {QUEUE} WHERE seq <= %s", [queued[-1][0]])  # noqa: S608 - fixed name
    return done


def catch_up() -> int:
    """Bring the index up to date (the queue empty, the index built); how many runs it
    refreshed or read."""
    total = 0
    while done := step():
        total += done
    return total


_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def catch_up_in_background() -> None:
    """The dispatcher's call, every few seconds: catch up in a thread of its own (one per
    process), so dispatching never waits for the index."""
    global _worker
    if not (available() and queued_in_main()):
        return
    with _worker_lock:
        if _worker is not None and _worker.is_alive():
            return
        _worker = threading.Thread(target=_catch_up_and_close, name="run-text-index", daemon=True)
        _worker.start()


def _catch_up_and_close() -> None:
    import logging

    from django.db import connection

    try:
        catch_up()
    except Exception:  # noqa: BLE001 - tried again at the dispatcher's next call
        logging.getLogger(__name__).exception("indexing runs for the search failed")
    finally:
        connection.close()  # this thread's own
        forget_connection()


# --- searching ------------------------------------------------------------------------------


def ready() -> bool:
    """Whether the index is built for this database (else the search reads the table)."""
    if not (available() and queued_in_main()):
        return False
    database = _database_id(create=False)
    meta = _meta(_index())
    return database is not None and meta.get("database") == database and not meta.get("built_below")


def matching_rowids(texts: list[str], limit: int) -> list[int]:
    """Rowids of runs whose indexed text contains one of ``texts``, newest first, at most
    ``limit`` (to be checked against the runs: an entry may be stale)."""
    query = " OR ".join('"' + t.replace('"', '""') + '"' for t in texts)
    rows = _index().execute(
        f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH ? ORDER BY rowid DESC LIMIT ?",  # noqa: S608 - fixed name
        [query, limit],
    )
    return [rowid for (rowid,) in rows.fetchall()]
