"""The index of the scheduled runs of workflows deleted in development, by the name they
kept (the Scheduler's "deleted workflow" filter): partial, so other rows write no entry;
built ``CONCURRENTLY`` on PostgreSQL, so this migration is not atomic (as 0006)."""

from django.db import migrations, models

DELETED_INDEX = models.Index(
    fields=["workflow_name", "due_at"],
    name="sched_deleted_wf_due_idx",
    condition=models.Q(workflow__isnull=True),
)


def add_index(apps, schema_editor):
    model = apps.get_model("scheduler", "ScheduledRun")
    concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
    schema_editor.add_index(model, DELETED_INDEX, **concurrently)


def remove_index(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("scheduler", "ScheduledRun"), DELETED_INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("scheduler", "0007_keep_workflow_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="scheduledrun", index=DELETED_INDEX)],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]
