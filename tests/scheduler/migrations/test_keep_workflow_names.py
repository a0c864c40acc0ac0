"""Migration 0007: scheduled runs and recurring events made before it are named after their
workflow, and outlive it when it is deleted in development (docs/versions.md)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from scheduler.models import RecurringEvent, ScheduledRun
from workflows.models import Workflow

BEFORE = [("scheduler", "0006_scheduled_run_test")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)  # migrations change the schema
def test_rows_made_before_it_are_named_after_their_workflow(make_workflow):
    remind = make_workflow("send-reminder", actions=[{"type": "log", "message": "x"}])
    nightly = make_workflow("nightly-report", actions=[{"type": "log", "message": "x"}])
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    now = timezone.now()
    for workflow in (remind, nightly):
        old.get_model("scheduler", "ScheduledRun").objects.create(
            workflow_id=workflow.pk, due_at=now, created_at=now
        )
    old.get_model("scheduler", "RecurringEvent").objects.create(
        workflow_id=remind.pk, frequency={"every": "1 day"}, start=now, created_at=now
    )
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())
    assert sorted(ScheduledRun.objects.values_list("workflow_name", flat=True)) == [
        "nightly-report",
        "send-reminder",
    ]
    assert RecurringEvent.objects.get().workflow_name == "send-reminder"
    Workflow.objects.filter(pk=remind.pk).delete()
    assert ScheduledRun.objects.filter(workflow=None, workflow_name="send-reminder").count() == 1
    assert RecurringEvent.objects.get().workflow_id is None
