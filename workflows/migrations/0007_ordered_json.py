# Objects keep their keys in order on PostgreSQL: `json`, not `jsonb` (workflows/models/fields.py).

import workflows.models.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('workflows', '0006_workflow_commit'),
    ]

    operations = [
        migrations.AlterField(
            model_name='action',
            name='config',
            field=workflows.models.fields.OrderedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='parameter',
            name='default',
            field=workflows.models.fields.OrderedJSONField(blank=True, help_text='Used when the parameter is not sent (JSON).', null=True),
        ),
        migrations.AlterField(
            model_name='run',
            name='params',
            field=workflows.models.fields.OrderedJSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='run',
            name='result',
            field=workflows.models.fields.OrderedJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='steprun',
            name='inputs',
            field=workflows.models.fields.OrderedJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='steprun',
            name='output',
            field=workflows.models.fields.OrderedJSONField(blank=True, null=True),
        ),
    ]
