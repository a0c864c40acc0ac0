"""Which workflow a scheduled run runs when it fires: the one of its name in the version
serving it — development for a test's run, else the version live then (docs/versions.md).

Found by name, not through development's row, so a workflow deleted in development goes on
running from live until a deploy removes it; from then on its runs fail saying so
(``WorkflowNotFound``), instead of disappearing with the row.
"""

from __future__ import annotations

from dataclasses import replace

from workflows.choices import WorkflowKind
from workflows.data_model.registry import scope as data_model_scope
from workflows.engine.cache import development_compiled
from workflows.engine.compiler import CompiledWorkflow
from workflows.exceptions import WorkflowError, WorkflowNotFound
from workflows.versions.edition import TEST, Edition, serving
from workflows.versions.serving import CompiledVersion, find, live, pinned

from .models import ScheduledRun


def edition_of(row: ScheduledRun) -> Edition:
    """What serves a scheduled run when it fires: development for a test's (``test``),
    else the version live at that moment."""
    return TEST if row.test else live()


def served_workflow(row: ScheduledRun) -> CompiledWorkflow:
    """``row``'s workflow as the edition in force serves it (call it inside
    ``serving(edition_of(row))``); ``WorkflowNotFound`` saying why when there is none, or
    the compiler's error when it no longer compiles. Compiled with the data model as it is
    now: a worker that built its models before a data type was made sees it (its own unit
    of work, or the run's it is part of: ``data_model.registry.scope``)."""
    with data_model_scope():
        return _served(row)


def _served(row: ScheduledRun) -> CompiledWorkflow:
    version = pinned()
    if version is None and row.workflow_id is not None:
        return development_compiled(row.workflow)  # read with the row: no query
    name = row.current_workflow_name
    found = find(name)
    if found is None:
        raise WorkflowNotFound(missing(name, version, deleted=row.workflow_deleted))
    if found.pk != row.workflow_id:
        # a deployed version links its runs to development's row of the name as this
        # process first found it, which may have been deleted since; the row just read
        # says what development has now
        found = replace(found, pk=row.workflow_id)
    return found


def missing(name: str, version: CompiledVersion | None, *, deleted: bool) -> str:
    """Why a run of workflow ``name`` found none in ``version`` (None: development)."""
    if version is None:
        return f"workflow {name!r} was deleted from the development version"
    if deleted:
        return (
            f"workflow {name!r} is not in the live version {version.number} "
            "(deleted in development and deployed)"
        )
    return f"workflow {name!r} is not in the live version {version.number}: deploy it first"


def settings_of(row: ScheduledRun) -> CompiledWorkflow:
    """What decides a run's lease, retries and error workflow outside its run (a claim made
    on its own, the reaper): the workflow serving it now, or, when there is none, a
    workflow of default settings (no retries, no error workflow)."""
    with serving(edition_of(row)):
        try:
            return served_workflow(row)
        except WorkflowError:
            return CompiledWorkflow(name=row.current_workflow_name, kind=WorkflowKind.API)
