"""Reads: which workflows and runs a caller may see."""

from __future__ import annotations

from typing import Any

from .choices import WorkflowKind
from .engine.compiler import CompiledWorkflow
from .exceptions import WorkflowNotFound
from .models import Run, Workflow
from .statements import select_one
from .versions.serving import pinned


def exposed_workflow(name: str) -> Workflow | CompiledWorkflow:
    """The exposed API workflow called ``name`` as this call is served: the pinned deployed
    version's (compiled), or development's row; anything else is NOT_FOUND. The row is read
    by a prepared statement: every API call starts here (workflows/statements.py)."""
    version = pinned()
    if version is not None:
        compiled = version.workflow(name)
        if compiled is None or compiled.kind != WorkflowKind.API or not compiled.expose:
            raise WorkflowNotFound(_not_live(name, version.number))
        return compiled
    workflow = select_one(Workflow, {"name": name, "kind": WorkflowKind.API, "expose": True})
    if workflow is None:
        raise WorkflowNotFound(f"no exposed API workflow named {name!r}")
    return workflow


def _not_live(name: str, number: int) -> str:
    """Why the live version has no exposed workflow ``name``; a builder who saved one in
    development (exposed) learns that it is not deployed yet, and where it answers."""
    message = f"no exposed API workflow named {name!r}"
    if Workflow.objects.filter(name=name, kind=WorkflowKind.API, expose=True).exists():
        message += (
            f" in the live version {number}: it is saved in development, not deployed yet — "
            f"call /version-test/api/1.1/wf/{name} to try it, or deploy it "
            "(Workflows → Versions → Deploy to live)"
        )
    return message


def run_for_caller(run_id: Any, user: Any) -> Run:
    """A run the caller made (NOT_FOUND otherwise, so others' runs are not revealed)."""
    run = (
        Run.objects.filter(pk=run_id, actor=user).prefetch_related("steps").first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if run is None:
        raise WorkflowNotFound(f"no run {run_id} made by you")
    return run
