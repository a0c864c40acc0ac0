"""``ScheduledRun.test``: scheduled by a test of development (docs/versions.md), and the
Scheduler list's index of test runs (partial: other rows write no entry; built
``CONCURRENTLY`` on PostgreSQL, so this migration is not atomic).

On SQLite the column is added in place (a NOT NULL column with a constant default), not by
rebuilding the table as Django's schema editor would: a large scheduler table is copied
row by row by a rebuild, holding the database's write lock all along.
"""

import workflows.versions.edition
from django.db import migrations, models


def field():
    return models.BooleanField(default=workflows.versions.edition.testing)


def add_column(apps, schema_editor):
    model = apps.get_model("scheduler", "ScheduledRun")
    if schema_editor.connection.vendor != "sqlite":
        added = field()
        added.set_attributes_from_name("test")
        schema_editor.add_field(model, added)
        return
    table = schema_editor.quote_name(model._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} ADD COLUMN "test" bool NOT NULL DEFAULT 0')


TEST_INDEX = models.Index(
    fields=["due_at"], name="sched_test_due_idx", condition=models.Q(test=True)
)


def add_index(apps, schema_editor):
    model = apps.get_model("scheduler", "ScheduledRun")
    concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
    schema_editor.add_index(model, TEST_INDEX, **concurrently)


def remove_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("scheduler", "ScheduledRun"), TEST_INDEX)


def remove_column(apps, schema_editor):
    model = apps.get_model("scheduler", "ScheduledRun")
    table = schema_editor.quote_name(model._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "test"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("scheduler", "0005_error_workflow_origin"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="scheduledrun", name="test", field=field())
            ],
            database_operations=[migrations.RunPython(add_column, remove_column)],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="scheduledrun", index=TEST_INDEX)],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]
