"""Deployed versions and the definition audit trail keep their keys in the order written, on
PostgreSQL too (``json``, not ``jsonb``: workflows/models/fields.py), so a version's diff,
export and ``return_data`` keys read as the builder wrote them.

SQLite already stores the text as written: only PostgreSQL's columns change (Django would
otherwise rebuild the SQLite tables for a change of the field's class alone). Versions
deployed on PostgreSQL before this keep the order jsonb gave them.
"""

import workflows.models.fields
from django.db import migrations

COLUMNS = (
    ("workflows_definitionchange", "before"),
    ("workflows_definitionchange", "after"),
    ("workflows_version", "definition"),
)


def _alter(schema_editor, type_name):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in COLUMNS:
        schema_editor.execute(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {type_name} '
            f'USING "{column}"::{type_name}'
        )


def to_json(apps, schema_editor):
    _alter(schema_editor, "json")


def to_jsonb(apps, schema_editor):
    _alter(schema_editor, "jsonb")


class Migration(migrations.Migration):

    dependencies = [
        ("workflows", "0021_run_version"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="definitionchange",
                    name="after",
                    field=workflows.models.fields.OrderedJSONField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="definitionchange",
                    name="before",
                    field=workflows.models.fields.OrderedJSONField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="version",
                    name="definition",
                    field=workflows.models.fields.OrderedJSONField(
                        help_text="The whole backend, as a definition file has it."
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(to_json, to_jsonb)],
        ),
    ]
