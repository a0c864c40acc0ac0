"""Scheduled runs, recurring events and pauses: when workflows run, not how.

A ``ScheduledRun`` is one future execution. Its life:

    scheduled ──dispatcher──▶ queued ──worker──▶ running ──▶ succeeded | failed
        │                       │                   └──(retry)──▶ scheduled
        └──────── cancelled ◀───┘        scheduled ──(too late)──▶ missed

Every arrow is a guarded UPDATE (``WHERE status = <from>``), so two dispatchers, a
duplicate django-q2 delivery or a cancel racing a worker can never both win.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from workflows.models import Run, Workflow
from workflows.versions.edition import testing


class Status(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued (handed to a worker)"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed (too late to run)"


#: statuses a run can still be cancelled from
CANCELLABLE = (Status.SCHEDULED, Status.QUEUED)
#: statuses a run ends in
FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.MISSED)


class Origin(models.TextChoices):
    ACTION = "action", "schedule_workflow"
    LIST = "list", "schedule_workflow_on_list"
    API = "api", "REST /schedule"
    ADMIN = "admin", "Admin"
    RECURRING = "recurring", "Recurring event"
    TRIGGER = "trigger", "Database trigger"
    #: a workflow's error workflow, after one of its runs failed for good
    ERROR_WORKFLOW = "error_workflow", "Error workflow"


class KeepsWorkflowName:
    """A row of a workflow that outlives development's row: deleting a workflow in
    development leaves its scheduled runs and recurring events (``workflow`` empty), which
    go on running the live version's workflow of that name until a deploy removes it
    (docs/versions.md). ``workflow_name`` is its name when the row was made, brought up to
    date when the workflow is deleted (``scheduler/signals.py``)."""

    workflow: Workflow | None
    workflow_id: int | None
    workflow_name: str

    @property
    def workflow_deleted(self) -> bool:
        return self.workflow_id is None

    @property
    def current_workflow_name(self) -> str:
        """The name its workflow is found by: development's row's while it exists (a
        rename follows it), else the name the row kept."""
        if self.workflow_id is None:
            return self.workflow_name
        return self.workflow.name

    @property
    def workflow_label(self) -> str:
        """Its workflow's name as pages show it: "send-reminder (deleted)" once deleted."""
        name = self.current_workflow_name
        return deleted_label(name) if self.workflow_deleted else name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """``workflow_name`` filled from the workflow when left empty (a row made directly,
        not through ``services``, which names it)."""
        if not self.workflow_name and self.workflow_id is not None:
            self.workflow_name = self.workflow.name
        super().save(*args, **kwargs)  # type: ignore[misc]


def deleted_label(name: str) -> str:
    """The name of a workflow deleted in development, as pages show it."""
    return f"{name} (deleted)"


def named(names: Iterable[str]) -> Q:
    """Rows of the workflows called one of ``names``, deleted ones included: a workflow
    deleted and made again in development is the same workflow to live."""
    names = list(names)
    return Q(workflow__name__in=names) | Q(workflow__isnull=True, workflow_name__in=names)


class ScheduledRun(KeepsWorkflowName, models.Model):
    """One execution of a workflow due at ``due_at``, run by django-q2 when due."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # no index of their own: the (workflow, due_at) and (actor, due_at) indexes below serve
    # lookups by either, and every status change rewrites each index's entry for the row.
    # Empty once the workflow is deleted in development (``KeepsWorkflowName``).
    workflow = models.ForeignKey(
        Workflow,
        on_delete=models.SET_NULL,
        null=True,
        related_name="scheduled_runs",
        db_index=False,
    )
    workflow_name = models.CharField(max_length=100, default="", editable=False)
    params = models.JSONField(
        default=dict, blank=True, help_text="Parameters as stored: things by id."
    )
    #: names besides params a run sees (a trigger's thing and thing_before), as stored
    context = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.ACTION)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scheduled_workflow_runs",
        help_text="The user the run runs as: whoever scheduled it (none: anonymous).",
        db_index=False,
    )
    scheduled_by = models.ForeignKey(
        Run,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scheduled_runs",
        help_text="The run that scheduled it, if a workflow did.",
    )
    recurring = models.ForeignKey(
        "RecurringEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="occurrences",
    )
    run = models.ForeignKey(
        Run,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The log of its latest attempt.",
    )
    #: the failed (or missed) run this one retries, made by "Retry now" in the admin;
    #: indexed only where set (few rows), so "retried as" on the old row is one lookup
    retry_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retries",
        db_index=False,
    )
    depth = models.PositiveSmallIntegerField(default=0)
    ignore_privacy = models.BooleanField(default=False)
    #: the IANA zone it runs in (its dates shown and read there, days counted there), named
    #: when it was scheduled; empty: its workflow's ``time_zone``, else TIME_ZONE
    time_zone = models.CharField(max_length=64, blank=True, default="")
    #: scheduled by a test run (/version-test/): runs the development version when it fires;
    #: otherwise the version live when it fires (docs/versions.md)
    test = models.BooleanField(default=testing)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: until when the current holder (queue or worker) may keep it before the reaper takes
    #: it back
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    #: while queued or running: the ``SchedulerProcess`` whose queue or worker has it
    #: (empty: django-q2's shared queue, ``run_scheduler --no-cluster``); when that process
    #: is found dead, the run is taken back at once (scheduler/processes.py)
    holder = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # the Scheduler list's "test" filter: test runs only (docs/versions.md)
            models.Index(fields=["due_at"], name="sched_test_due_idx", condition=Q(test=True)),
            # the dispatcher's query: pending rows by due time (a partial index stays small)
            models.Index(
                fields=["due_at"], name="sched_pending_due_idx", condition=Q(status="scheduled")
            ),
            # the reaper's query: rows held by a queue or a worker
            models.Index(
                fields=["lease_expires_at"],
                name="sched_held_lease_idx",
                condition=Q(status__in=["queued", "running"]),
            ),
            models.Index(fields=["status", "due_at"], name="sched_status_due_idx"),
            models.Index(fields=["workflow", "due_at"], name="sched_workflow_due_idx"),
            # rows of workflows deleted in development, by the name they kept (the
            # Scheduler's "deleted workflow" filter); partial: the others write no entry
            models.Index(
                fields=["workflow_name", "due_at"],
                name="sched_deleted_wf_due_idx",
                condition=Q(workflow__isnull=True),
            ),
            models.Index(fields=["actor", "due_at"], name="sched_actor_due_idx"),
            models.Index(
                fields=["retry_of"],
                name="sched_retry_of_idx",
                condition=Q(retry_of__isnull=False),
            ),
        ]
        permissions = [
            (
                "schedule_as_other_user",
                "Can schedule runs that run as another user (admin: Schedule, run as)",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow_label} at {self.due_at:%Y-%m-%d %H:%M:%S} ({self.status})"


class SchedulerProcess(models.Model):
    """A live ``run_scheduler`` with its own django-q2 cluster and queue, by its heartbeat.

    Runs it dispatches wait in its own queue and carry its id (``ScheduledRun.holder``), so
    when it dies — its heartbeat goes stale, or its PID is gone from this machine — another
    scheduler (or the one restarted in its place) takes back exactly what it held, at once
    instead of after ``QUEUED_TIMEOUT`` (docs/scheduler.md, "Recovery").
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: the host name, for people reading the table
    host = models.CharField(max_length=255)
    #: host name, boot id and PID namespace: processes with the same ``machine`` can check
    #: each other's PIDs
    machine = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"run_scheduler {self.pid} on {self.host}"


class RecurringEvent(KeepsWorkflowName, models.Model):
    """A workflow run again and again: a workflow's own ``schedule`` or one bound to a thing.

    One upcoming ``ScheduledRun`` exists at a time; when it starts, the next occurrence is
    scheduled at the next point of the frequency's grid (no drift, missed ones skipped).
    """

    #: empty once the workflow is deleted in development (``KeepsWorkflowName``)
    workflow = models.ForeignKey(
        Workflow, on_delete=models.SET_NULL, null=True, related_name="recurring"
    )
    workflow_name = models.CharField(max_length=100, default="", editable=False)
    #: the thing it is bound to ("" for the workflow's own schedule)
    data_type = models.CharField(max_length=100, blank=True)
    thing_id = models.CharField(max_length=64, blank=True)
    frequency = models.JSONField(help_text='{"cron": "0 3 * * *"} or {"every": "1 day"}.')
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recurring_workflow_events",
    )
    created_by = models.ForeignKey(
        Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    #: set up by a test run (/version-test/): its occurrences are test runs, running
    #: development; it is an event of its own beside the live one for the same thing
    test = models.BooleanField(default=testing)
    active = models.BooleanField(default=True)
    occurrences_run = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_status = models.CharField(max_length=20, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workflow", "data_type", "thing_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "data_type", "thing_id", "test"],
                condition=Q(active=True),
                name="one_active_recurring_event_per_thing",
            )
        ]

    def __str__(self) -> str:
        bound = f" for {self.data_type} {self.thing_id}" if self.thing_id else ""
        return f"{self.workflow_label}{bound}"

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0


class TriggerWorkflow(Workflow):
    """The database trigger workflows, for their own list page in the admin (no table)."""

    class Meta:
        proxy = True
        verbose_name = "trigger workflow"
        verbose_name_plural = "trigger workflows"


class Pause(models.Model):
    """The scheduler (``workflow`` empty) or one workflow is paused: nothing is dispatched."""

    #: "scheduler" or "workflow:<id>": unique, so pausing twice is one pause
    key = models.CharField(max_length=50, unique=True, editable=False)
    workflow = models.OneToOneField(
        Workflow, on_delete=models.CASCADE, null=True, blank=True, related_name="pause"
    )
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    paused_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.workflow or 'scheduler'} paused"

    @staticmethod
    def key_for(workflow: Workflow | None) -> str:
        return "scheduler" if workflow is None else f"workflow:{workflow.pk}"
