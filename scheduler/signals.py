"""Keeping each workflow's own recurring event in step with its ``schedule`` key: the
development row's before the first deploy, then the live version's, at each deploy
(docs/versions.md): saving a workflow in development does not change what runs live.

A workflow deleted in development leaves its scheduled runs and recurring events, named
(``KeepsWorkflowName``): they run from live until a deploy removes the workflow, which then
stops its own schedule.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_delete

from workflows.exceptions import WorkflowError
from workflows.models import Version, Workflow
from workflows.versions.deploy import deployed

logger = logging.getLogger("scheduler")


def _workflow_saved(sender: type, instance: Workflow, raw: bool = False, **kw: Any) -> None:
    if raw or Version.objects.exists():  # live schedules change when a version is deployed
        return
    pk = instance.pk
    # After commit: the admin and import save parameters after the workflow itself.
    transaction.on_commit(lambda: sync_schedule(pk))


def sync_schedule(pk: int) -> None:
    from .services import sync_workflow_schedule

    workflow = Workflow.objects.filter(pk=pk).first()
    if workflow is None:
        return
    try:
        sync_workflow_schedule(workflow)
    except WorkflowError as exc:
        logger.error("the schedule of workflow %s cannot start: %s", workflow.name, exc.message)


def _version_deployed(sender: type, version: Version, **kw: Any) -> None:
    """Each workflow's own schedule as the version now live has it; a workflow it does not
    have runs no schedule, whether development still has it or deleted it."""
    from .services import SCHEDULABLE_KINDS, stop_deleted_schedules, sync_workflow_schedule

    definitions = {w.get("name"): w for w in version.definition.get("workflows") or ()}
    for workflow in Workflow.objects.all():
        try:
            sync_workflow_schedule(workflow, definitions.get(workflow.name, {}))
        except WorkflowError as exc:
            logger.error("the schedule of workflow %s cannot start: %s", workflow.name, exc.message)
    stop_deleted_schedules(
        name
        for name, w in definitions.items()
        if w.get("schedule") and (w.get("kind") or "api") in SCHEDULABLE_KINDS
    )


def _workflow_deleting(sender: type, instance: Workflow, **kw: Any) -> None:
    """The rows the workflow leaves keep the name it has now, which live finds it by (a
    rename since they were made included); its foreign key empties them next."""
    from .models import RecurringEvent, ScheduledRun

    for model in (ScheduledRun, RecurringEvent):
        model.objects.filter(workflow=instance).exclude(workflow_name=instance.name).update(
            workflow_name=instance.name
        )


def connect() -> None:
    post_save.connect(_workflow_saved, sender=Workflow, dispatch_uid="scheduler-sync-schedule")
    pre_delete.connect(_workflow_deleting, sender=Workflow, dispatch_uid="scheduler-keep-names")
    deployed.connect(_version_deployed, dispatch_uid="scheduler-sync-schedules-on-deploy")
