"""A workflow deleted in development no longer takes its scheduled runs and recurring events
with it (docs/versions.md): their ``workflow`` becomes nullable (``SET_NULL``), and each
row keeps the workflow's name, ``workflow_name``, filled here from the workflow in one
UPDATE per table.

The scheduled-run table may be large, so it is not rebuilt needlessly. On PostgreSQL the
column is added with a constant default (no rewrite) and the foreign key only loses its
``NOT NULL`` (the constraint is kept: Django's way drops and adds it again, which checks
every row); the UPDATE of the name is the one pass over the rows. On SQLite the column is
added in place, and the table is rebuilt once, as it must be to make a column nullable.
The recurring events' table is small: Django's operations.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def name_field():
    return models.CharField(default="", editable=False, max_length=100)


def nullable_workflow(related_name, **options):
    return models.ForeignKey(
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name=related_name,
        to="workflows.workflow",
        **options,
    )


def add_name_column(apps, schema_editor):
    model = apps.get_model("scheduler", "ScheduledRun")
    if schema_editor.connection.vendor != "sqlite":
        added = name_field()
        added.set_attributes_from_name("workflow_name")
        schema_editor.add_field(model, added)
        return
    table = schema_editor.quote_name(model._meta.db_table)
    schema_editor.execute(
        f"ALTER TABLE {table} ADD COLUMN \"workflow_name\" varchar(100) NOT NULL DEFAULT ''"
    )


def drop_name_column(apps, schema_editor):
    model = apps.get_model("scheduler", "ScheduledRun")
    table = schema_editor.quote_name(model._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "workflow_name"')


def fill_names(apps, schema_editor):
    """Each row's workflow's name, one UPDATE per table."""
    workflow = apps.get_model("workflows", "Workflow")
    name = Subquery(workflow.objects.filter(pk=OuterRef("workflow_id")).values("name")[:1])
    for model_name in ("ScheduledRun", "RecurringEvent"):
        model = apps.get_model("scheduler", model_name)
        model.objects.filter(workflow__isnull=False).update(workflow_name=name)


class AlterWorkflowNullability(migrations.AlterField):
    """``AlterField`` of ``ScheduledRun.workflow``'s nullability: on PostgreSQL only the
    column's ``NOT NULL`` (the foreign key's constraint is kept as it is); elsewhere
    Django's way (SQLite: the table rebuilt, its only way)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not self._not_null(schema_editor, from_state, "DROP"):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not self._not_null(schema_editor, from_state, "SET"):
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def _not_null(self, schema_editor, state, change):
        if schema_editor.connection.vendor != "postgresql":
            return False
        model = state.apps.get_model("scheduler", self.model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN "workflow_id" {change} NOT NULL')
        return True


class Migration(migrations.Migration):
    dependencies = [
        ("scheduler", "0006_scheduled_run_test"),
    ]

    operations = [
        migrations.AddField(model_name="recurringevent", name="workflow_name", field=name_field()),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="scheduledrun", name="workflow_name", field=name_field()
                )
            ],
            database_operations=[migrations.RunPython(add_name_column, drop_name_column)],
        ),
        migrations.RunPython(fill_names, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="recurringevent", name="workflow", field=nullable_workflow("recurring")
        ),
        AlterWorkflowNullability(
            model_name="scheduledrun",
            name="workflow",
            field=nullable_workflow("scheduled_runs", db_index=False),
        ),
    ]
