"""Compiled workflows cached per process, checked against ``(revision, updated_at)``.

A workflow is compiled (expressions parsed and checked) the first time it runs after a
change, not on every run; every process sees a change at once because the revision is
read with the workflow row. ``updated_at`` is part of the key because SQLite may give a
new workflow the id of a deleted one, which would start again at the same revision.
"""

from __future__ import annotations

import threading

from ..models import Workflow
from .compiler import CompiledWorkflow, compile_definition

_cache: dict[int, CompiledWorkflow] = {}
_lock = threading.Lock()


def get_compiled(workflow: Workflow) -> CompiledWorkflow:
    hit = _cache.get(workflow.pk)
    if hit is not None and hit.version == (workflow.revision, workflow.updated_at):
        return hit
    from ..definitions import workflow_definition

    fresh = Workflow.objects.prefetch_related("parameters", "actions").get(pk=workflow.pk)
    compiled = compile_definition(workflow_definition(fresh))
    compiled.pk = fresh.pk
    compiled.revision = fresh.revision
    compiled.version = (fresh.revision, fresh.updated_at)
    with _lock:
        _cache[fresh.pk] = compiled
    return compiled


def clear() -> None:
    with _lock:
        _cache.clear()
