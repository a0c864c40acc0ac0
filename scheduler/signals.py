"""Keeping each workflow's own recurring event in step with its ``schedule`` key."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from workflows.exceptions import WorkflowError
from workflows.models import Workflow

logger = logging.getLogger("scheduler")


def _workflow_saved(sender: type, instance: Workflow, raw: bool = False, **kw: Any) -> None:
    if raw:
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


def connect() -> None:
    post_save.connect(_workflow_saved, sender=Workflow, dispatch_uid="scheduler-sync-schedule")
