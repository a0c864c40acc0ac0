"""The run log: one ``Run`` per execution, one ``StepRun`` per action."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from ..choices import RunSource, RunStatus, StepStatus
from .definitions import Workflow
from .fields import OrderedJSONField


class Run(models.Model):
    """One execution of a workflow, whatever started it; written before any work."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # no index of their own: the (workflow, -started_at) and (actor, -started_at) indexes
    # below serve lookups by either; every run writes its row's index entries twice
    workflow = models.ForeignKey(
        Workflow,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        db_index=False,
    )
    workflow_name = models.CharField(max_length=100)
    workflow_revision = models.PositiveIntegerField(default=0)
    #: the deployed version that ran (docs/versions.md); empty: the development version
    version = models.PositiveIntegerField(null=True, blank=True)
    #: started at /version-test/ (or by a run that was): a test of the development version
    test = models.BooleanField(default=False)
    source = models.CharField(max_length=20, choices=RunSource.choices, default=RunSource.API)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workflow_runs",
        help_text="The user the run ran as (none: anonymous).",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    # a re-run from the admin points at the run it repeated (docs/operations.md#the-runs-log);
    # its partial index (below) holds only re-runs, so other runs write no entry
    rerun_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reruns",
        db_index=False,
        help_text="The run this one repeated (Re-run in the admin).",
    )
    params = OrderedJSONField(default=dict, blank=True)
    result = OrderedJSONField(null=True, blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    error_message = models.TextField(blank=True)
    error_parameter = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        permissions = [("rerun_run", "Can re-run a finished run, as the user it ran as")]
        indexes = [
            models.Index(fields=["-started_at"], name="run_started_idx"),
            models.Index(fields=["workflow", "-started_at"], name="run_workflow_started_idx"),
            models.Index(fields=["status", "-started_at"], name="run_status_started_idx"),
            models.Index(fields=["actor", "-started_at"], name="run_actor_started_idx"),
            # the run statistics' reads: runs by the hour they finished (workflows/stats/);
            # partial, so a run's first write (still running) adds no entry
            models.Index(
                fields=["finished_at"],
                name="run_finished_idx",
                condition=models.Q(finished_at__isnull=False),
            ),
            # the Runs list's source filter (docs/performance.md)
            models.Index(fields=["source", "-started_at"], name="run_source_started_idx"),
            models.Index(
                fields=["rerun_of"],
                name="run_rerun_of_idx",
                condition=models.Q(rerun_of__isnull=False),
            ),
            # the Runs list's "test" filter: test runs only, newest first
            models.Index(
                fields=["-started_at"], name="run_test_started_idx", condition=models.Q(test=True)
            ),
        ]
        # The text of finished runs is indexed for the Runs list's search by SQL the
        # migration 0017 writes, per database (workflows/admin/run_search.py).

    def __str__(self) -> str:
        return f"{self.workflow_name} {self.started_at:%Y-%m-%d %H:%M:%S} ({self.status})"


class StepRun(models.Model):
    """What one action did in a run: condition, resolved inputs, output, error, time."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(
        "step", help_text="The step's number in its workflow: 1 for the first."
    )
    step_id = models.CharField(max_length=100, blank=True)
    action_type = models.CharField(max_length=50)
    label = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=StepStatus.choices)
    condition_result = models.BooleanField(null=True, blank=True)
    inputs = OrderedJSONField(null=True, blank=True)
    output = OrderedJSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.FloatField(default=0)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="unique_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label or self.step_id or self.action_type}"
