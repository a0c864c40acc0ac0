"""Which version a run ran (docs/versions.md): ``Run.version`` and ``Run.test``, and the
Runs list's index of test runs (partial: other runs write no entry), built without
blocking the run log (``CONCURRENTLY`` on PostgreSQL, so this migration is not atomic).

On SQLite the run table is never rebuilt: Django's schema editor would rebuild it to add a
column that is not nullable (copying every row into a new table), which drops the text
search's triggers (0017) and may give rows new rowids the search index does not know.
SQLite adds a NOT NULL column with a constant default in place, so that is what is done
here; other databases add the columns as Django does.
"""

from django.db import migrations, models

FIELDS = (
    ("test", models.BooleanField(default=False)),
    ("version", models.PositiveIntegerField(blank=True, null=True)),
)


def add_columns(apps, schema_editor):
    model = apps.get_model("workflows", "Run")
    if schema_editor.connection.vendor != "sqlite":
        for name, field in FIELDS:  # the model as it was before: the fields are added here
            added = field.clone()
            added.set_attributes_from_name(name)
            schema_editor.add_field(model, added)
        return
    table = schema_editor.quote_name(model._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} ADD COLUMN "test" bool NOT NULL DEFAULT 0')
    schema_editor.execute(
        f'ALTER TABLE {table} ADD COLUMN "version" integer unsigned NULL '
        'CHECK ("version" >= 0)'
    )


TEST_INDEX = models.Index(
    fields=["-started_at"], name="run_test_started_idx", condition=models.Q(test=True)
)


def add_index(apps, schema_editor):
    model = apps.get_model("workflows", "Run")
    concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
    schema_editor.add_index(model, TEST_INDEX, **concurrently)


def remove_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("workflows", "Run"), TEST_INDEX)


def remove_columns(apps, schema_editor):
    model = apps.get_model("workflows", "Run")
    table = schema_editor.quote_name(model._meta.db_table)
    for name, _ in FIELDS:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workflows", "0020_versions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="run", name=name, field=field)
                for name, field in FIELDS
            ],
            database_operations=[migrations.RunPython(add_columns, remove_columns)],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="run", index=TEST_INDEX)],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]
