"""A run may be a re-run of another (Re-run in the admin), and re-running needs its own
permission, ``workflows.rerun_run`` (docs/security.md#the-admin). The column is nullable
without a default, so adding it rewrites no table; its index comes in 0015."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0015_run_finished_index"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="run",
            options={
                "ordering": ["-started_at"],
                "permissions": [
                    ("rerun_run", "Can re-run a finished run, as the user it ran as")
                ],
            },
        ),
        migrations.AddField(
            model_name="run",
            name="rerun_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The run this one repeated (Re-run in the admin).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reruns",
                to="workflows.run",
            ),
        ),
    ]
