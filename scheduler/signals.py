"""Keeping each workflow's own recurring event in step with its ``schedule`` key: the
development row's before the first deploy, then the live version's, at each deploy
(docs/versions.md): saving a workflow in development does not change what runs live."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

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
    have runs no schedule."""
    from .services import sync_workflow_schedule

    definitions = {w.get("name"): w for w in version.definition.get("workflows") or ()}
    for workflow in Workflow.objects.all():
        try:
            sync_workflow_schedule(workflow, definitions.get(workflow.name, {}))
        except WorkflowError as exc:
            logger.error("the schedule of workflow %s cannot start: %s", workflow.name, exc.message)


def connect() -> None:
    post_save.connect(_workflow_saved, sender=Workflow, dispatch_uid="scheduler-sync-schedule")
    deployed.connect(_version_deployed, dispatch_uid="scheduler-sync-schedules-on-deploy")
