"""Indexes of the admin's Runs list (docs/operations.md#the-runs-log): by source, the
re-runs of a run, and the text of finished runs for its search.

Written without blocking the run log on a large table: on PostgreSQL every index is built
``CONCURRENTLY`` (so this migration is not atomic), and the text index is a pg_trgm GIN
index on an expression, partial to finished runs (a run adds one entry, when it ends). The
extension pg_trgm is created if missing; where the database user may not create it
(PostgreSQL 13+ lets a user with CREATE on the database; a superuser always can), the
migration says so and goes on without the index: search then reads the table, and the
system check workflows.W020 repeats what to run.

On SQLite the text is an FTS5 table (trigram tokenizer: any part of a word is found, as
with pg_trgm) without content of its own, filled here from the finished runs already
there and then kept by triggers on the run table. FTS5 writes a segment per transaction,
which would cost each run more than its own log: an ended run's row id goes to a queue
instead, and every ``QUEUE_BATCH`` runs the queue is indexed in one statement (the search
reads the few queued runs directly). Every ended run is in the index or in the queue, never
both: a change or a deletion removes it from whichever holds it.

Self-contained, as a migration must be: ``BODY`` is the expression
workflows/admin/run_search.py searches (tests/workflows/admin/test_runs_search.py checks
that both say the same).
"""

import sys

from django.db import migrations, models

#: how much of a run's text is indexed and searched
LIMIT = 20_000
#: a run's searchable text: its workflow's name, error, parameters and result (as JSON)
BODY = {
    "postgresql": (
        "left({p}workflow_name || ' ' || {p}error_code || ' ' || {p}error_message || ' ' || "
        "{p}params::text || ' ' || coalesce({p}result::text, ''), " + str(LIMIT) + ")"
    ),
    "sqlite": (
        "substr({p}workflow_name || ' ' || {p}error_code || ' ' || {p}error_message || ' ' || "
        "{p}params || ' ' || coalesce({p}result, ''), 1, " + str(LIMIT) + ")"
    ),
}
PG_INDEX = "workflows_run_text_trgm"
FTS = "workflows_run_text"
#: SQLite: ended runs not indexed yet, indexed together every QUEUE_BATCH
QUEUE = "workflows_run_text_queue"
QUEUE_BATCH = 100

INDEXES = (
    models.Index(fields=["source", "-started_at"], name="run_source_started_idx"),
    models.Index(
        fields=["rerun_of"], name="run_rerun_of_idx", condition=models.Q(rerun_of__isnull=False)
    ),
)


def add_indexes(apps, schema_editor):
    model = apps.get_model("workflows", "Run")
    concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
    for index in INDEXES:
        schema_editor.add_index(model, index, **concurrently)


def remove_indexes(apps, schema_editor):
    model = apps.get_model("workflows", "Run")
    for index in INDEXES:
        schema_editor.remove_index(model, index)


def _say(text):
    sys.stdout.write(f"\n  {text}\n")


def create_text_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _create_pg(schema_editor)
    elif vendor == "sqlite":
        _create_sqlite(schema_editor)


def _create_pg(schema_editor):
    from django.db import DatabaseError

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as exc:
                _say(
                    "The Runs list's text search has no index: this database user may not "
                    f"create the extension pg_trgm ({str(exc).strip()}). Search still works, "
                    "reading the table. To index it, run as a superuser: "
                    "CREATE EXTENSION pg_trgm; then: python manage.py migrate workflows "
                    "0014 && python manage.py migrate (see docs/operations.md#the-runs-log)."
                )
                return
        body = BODY["postgresql"].format(p="")
        cursor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {PG_INDEX} ON workflows_run "
            f"USING gin (({body}) gin_trgm_ops) WHERE finished_at IS NOT NULL"
        )


def _create_sqlite(schema_editor):
    from django.db import DatabaseError

    new, old = BODY["sqlite"].format(p="new."), BODY["sqlite"].format(p="old.")
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute(
                f"CREATE VIRTUAL TABLE {FTS} USING fts5(body, content='', tokenize='trigram')"
            )
        except DatabaseError as exc:  # SQLite before 3.34, or built without FTS5
            _say(
                "The Runs list's text search has no index: this SQLite cannot make an FTS5 "
                f"trigram table ({exc}; SQLite 3.34 or later is needed). Search still works, "
                "reading the table."
            )
            return
        indexed = f"old.finished_at IS NOT NULL AND old.rowid NOT IN (SELECT rowid FROM {QUEUE})"
        unindex_old = (
            f"INSERT INTO {FTS}({FTS}, rowid, body) SELECT 'delete', old.rowid, {old} "
            f"WHERE {indexed};"
        )
        queue_new = f"INSERT OR IGNORE INTO {QUEUE}(rowid) VALUES (new.rowid);"
        for statement in (
            f"CREATE TABLE {QUEUE} (rowid INTEGER PRIMARY KEY)",
            # a run ends (or is written ended): it waits in the queue
            f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON workflows_run "
            f"WHEN new.finished_at IS NOT NULL BEGIN {queue_new} END",
            f"CREATE TRIGGER {FTS}_finish AFTER UPDATE ON workflows_run "
            f"WHEN old.finished_at IS NULL AND new.finished_at IS NOT NULL BEGIN {queue_new} END",
            # an ended run's text changed (rare: nothing rewrites the log today)
            f"CREATE TRIGGER {FTS}_change AFTER UPDATE ON workflows_run "
            f"WHEN old.finished_at IS NOT NULL AND (new.finished_at IS NULL OR {old} IS NOT {new}) "
            f"BEGIN {unindex_old} {queue_new} END",
            f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON workflows_run "
            f"BEGIN {unindex_old} DELETE FROM {QUEUE} WHERE rowid = old.rowid; END",
            # every QUEUE_BATCH runs, the queue is indexed at once: one FTS5 segment per
            # batch instead of one per run (a segment per commit costs more than the run)
            f"CREATE TRIGGER {QUEUE}_batch AFTER INSERT ON {QUEUE} "
            f"WHEN (SELECT count(*) FROM {QUEUE}) >= {QUEUE_BATCH} BEGIN "
            f"INSERT INTO {FTS}(rowid, body) SELECT r.rowid, {BODY['sqlite'].format(p='r.')} "
            # CROSS JOIN: the queue first (SQLite would rather scan the runs)
            f"FROM {QUEUE} q CROSS JOIN workflows_run r ON r.rowid = q.rowid "
            f"WHERE r.finished_at IS NOT NULL; DELETE FROM {QUEUE}; END",
            f"INSERT INTO {FTS}(rowid, body) SELECT rowid, {BODY['sqlite'].format(p='')} "
            "FROM workflows_run WHERE finished_at IS NOT NULL",
        ):
            cursor.execute(statement)


def drop_text_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {PG_INDEX}")
        elif vendor == "sqlite":
            for suffix in ("insert", "finish", "change", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {QUEUE}_batch")
            cursor.execute(f"DROP TABLE IF EXISTS {QUEUE}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workflows", "0016_run_rerun_of"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="run", index=index) for index in INDEXES
            ],
            database_operations=[migrations.RunPython(add_indexes, remove_indexes)],
        ),
        migrations.RunPython(create_text_index, drop_text_index),
    ]
