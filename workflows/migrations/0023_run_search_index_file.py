"""SQLite: the Runs search's text index moves to a database file of its own.

0017 kept an FTS5 table in the main database; its merges ran inside the transactions of
whoever wrote to it (a pruning batch, a run ending), holding SQLite's one write lock for up
to 0.4 s (docs/performance.md, "Pruning run history"). Now the main database keeps only a
queue of the rowids of runs that ended, changed or were deleted (one small insert each, by
the triggers below) and a random id of the database; the index itself is a file beside it,
kept by the scheduler from the queue and built from the run table when new
(workflows/run_text_index.py). PostgreSQL's index (0017) is not touched.

Self-contained, as a migration must be: ``BODY`` is run_text_index.BODY
(tests/workflows/test_run_text_index.py checks that both say the same).
"""

import importlib
import secrets

from django.db import migrations

BODY = (
    "substr({p}workflow_name || ' ' || {p}error_code || ' ' || {p}error_message || ' ' || "
    "{p}params || ' ' || coalesce({p}result, ''), 1, 20000)"
)
QUEUE = "workflows_run_text_queue"
STATE = "workflows_run_text_state"
OLD_FTS = "workflows_run_text"
TRIGGERS = ("insert", "finish", "change", "delete")


def _drop_0017(cursor):
    for suffix in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {OLD_FTS}_{suffix}")
    cursor.execute(f"DROP TRIGGER IF EXISTS {QUEUE}_batch")
    cursor.execute(f"DROP TABLE IF EXISTS {QUEUE}")
    cursor.execute(f"DROP TABLE IF EXISTS {OLD_FTS}")


def to_index_file(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    old, new = BODY.format(p="old."), BODY.format(p="new.")
    queue_new = f"INSERT INTO {QUEUE} (run) VALUES (new.rowid);"
    queue_old = f"INSERT INTO {QUEUE} (run) VALUES (old.rowid);"
    with schema_editor.connection.cursor() as cursor:
        _drop_0017(cursor)
        for statement in (
            # AUTOINCREMENT: a seq is never reused, so "every seq up to N is indexed" holds
            f"CREATE TABLE {QUEUE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, run INTEGER NOT NULL)",
            f"CREATE TABLE {STATE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            # a run ends (or is written ended)
            f"CREATE TRIGGER {OLD_FTS}_insert AFTER INSERT ON workflows_run "
            f"WHEN new.finished_at IS NOT NULL BEGIN {queue_new} END",
            f"CREATE TRIGGER {OLD_FTS}_finish AFTER UPDATE ON workflows_run "
            f"WHEN old.finished_at IS NULL AND new.finished_at IS NOT NULL BEGIN {queue_new} END",
            # an ended run's text changed (rare: nothing rewrites the log today)
            f"CREATE TRIGGER {OLD_FTS}_change AFTER UPDATE ON workflows_run "
            f"WHEN old.finished_at IS NOT NULL AND (new.finished_at IS NULL OR {old} IS NOT {new}) "
            f"BEGIN {queue_old} END",
            # an ended run is deleted (pruned): its entry goes at the next catch-up
            f"CREATE TRIGGER {OLD_FTS}_delete AFTER DELETE ON workflows_run "
            f"WHEN old.finished_at IS NOT NULL BEGIN {queue_old} END",
        ):
            cursor.execute(statement)
        cursor.execute(
            f"INSERT INTO {STATE} (key, value) VALUES ('database', %s)", [secrets.token_hex(16)]
        )


def to_0017(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        _drop_0017(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {STATE}")
    importlib.import_module("workflows.migrations.0017_run_search_indexes")._create_sqlite(
        schema_editor
    )


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0022_ordered_definitions"),
    ]

    operations = [migrations.RunPython(to_index_file, to_0017)]
