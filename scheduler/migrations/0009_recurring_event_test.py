"""``RecurringEvent.test``: set up by a test of development (docs/versions.md), its
occurrences run development; part of the one-active-event-per-thing constraint, so a test's
event and the live one for the same workflow and thing are two events. The recurring
events' table is small: Django's operations."""

import workflows.versions.edition
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduler", "0008_deleted_workflow_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="recurringevent",
            name="one_active_recurring_event_per_thing",
        ),
        migrations.AddField(
            model_name="recurringevent",
            name="test",
            field=models.BooleanField(default=workflows.versions.edition.testing),
        ),
        migrations.AddConstraint(
            model_name="recurringevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("workflow", "data_type", "thing_id", "test"),
                name="one_active_recurring_event_per_thing",
            ),
        ),
    ]
