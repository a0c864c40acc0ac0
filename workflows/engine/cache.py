"""Compiled workflows cached per process, checked against ``(revision, updated_at)``.

A workflow is compiled (expressions parsed and checked) the first time it runs after a
change, not on every run; every process sees a change at once because the revision is
read with the workflow row. ``updated_at`` is part of the key because SQLite may give a
new workflow the id of a deleted one, which would start again at the same revision.

A workflow is also compiled against the workflows its actions name (the custom event it
triggers, the workflow it schedules: their kind and parameters). When one of those is
saved, renamed or deleted, or its parameters or actions change, ``refresh_callers`` gives
the workflows naming it a new ``updated_at`` in the same transaction, so every process
compiles them again and answers alike (``INVALID_DEFINITION`` for a caller left broken).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Any

from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from ..models import Action, Parameter, Workflow
from .compiler import CompiledWorkflow, compile_definition

_cache: dict[int, CompiledWorkflow] = {}
_lock = threading.Lock()


def get_compiled(workflow: Workflow) -> CompiledWorkflow:
    """``workflow`` as the call or run in progress is served: its deployed version's
    definition while one is pinned (docs/versions.md), else the development row's."""
    from ..versions.serving import pinned

    version = pinned()
    if version is not None:
        return version.require(workflow.name)
    return development_compiled(workflow)


def development_compiled(workflow: Workflow) -> CompiledWorkflow:
    """The development row ``workflow``, compiled (and kept while it is unchanged)."""
    hit = _cache.get(workflow.pk)
    if hit is not None and hit.version == (workflow.revision, workflow.updated_at):
        return hit
    from ..definitions import workflow_definition

    fresh = Workflow.objects.prefetch_related("parameters", "actions").get(pk=workflow.pk)
    # a stored workflow runs whatever became of its error workflow (workflows/failures.py)
    compiled = compile_definition(workflow_definition(fresh), check_error_workflow=False)
    compiled.pk = fresh.pk
    compiled.revision = fresh.revision
    compiled.version = (fresh.revision, fresh.updated_at)
    with _lock:
        _cache[fresh.pk] = compiled
    return compiled


def clear() -> None:
    with _lock:
        _cache.clear()


def refresh_callers(names: Collection[str]) -> None:
    """Give the workflows whose actions name one of ``names`` (config key ``workflow``) a
    new ``updated_at``: their compiled copies, checked against those, are out of date."""
    if names:
        called = Cast(KT("config__workflow"), models.TextField())  # ``json`` has no ``=``
        calls = Action.objects.alias(called=called).filter(called__in=list(names))
        Workflow.objects.filter(pk__in=calls.values("workflow_id")).update(
            updated_at=timezone.now()
        )


def _name_before(sender: Any, instance: Workflow, raw: bool = False, **kwargs: Any) -> None:
    if instance.pk is not None and not raw:
        instance._name_before = (
            Workflow.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
        )


def _workflow_saved(sender: Any, instance: Workflow, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # loaddata: definitions restored as they were
        refresh_callers({instance.name, getattr(instance, "_name_before", None)} - {None})


def _workflow_deleted(sender: Any, instance: Workflow, **kwargs: Any) -> None:
    refresh_callers({instance.name})


def _part_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # a workflow deleted with its parts is handled by _workflow_deleted
        names = Workflow.objects.filter(pk=instance.workflow_id).values_list("name", flat=True)
        refresh_callers(set(names))


def connect_signals() -> None:
    """Keep callers' compiled copies in step with what they name (``WorkflowsConfig.ready``)."""
    uid = "workflows-refresh-callers"
    pre_save.connect(_name_before, sender=Workflow, dispatch_uid=f"{uid}-pre-save")
    post_save.connect(_workflow_saved, sender=Workflow, dispatch_uid=f"{uid}-save")
    post_delete.connect(_workflow_deleted, sender=Workflow, dispatch_uid=f"{uid}-delete")
    for part in (Parameter, Action):
        post_save.connect(_part_changed, sender=part, dispatch_uid=f"{uid}-{part.__name__}-save")
        post_delete.connect(
            _part_changed, sender=part, dispatch_uid=f"{uid}-{part.__name__}-delete"
        )
