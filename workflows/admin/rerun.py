"""Re-running a finished run from the admin: the same workflow, the same parameters, the
same user; a new run, linked to the old one (``Run.rerun_of``).

Why the same user, not the admin who asks: a run's meaning depends on who it ran as (the
current user in expressions, the things it creates and owns, the privacy rules its reads
pass), so repeating a customer's failed order as the admin would be a different run.
n8n's "retry with the same data" does the same. Who asked is kept in the admin's history
of the new run (``LogEntry``). Running as someone else is more than "Run now" (which runs
as oneself), hence its own permission, ``workflows.rerun_run``, in no ready-made group.

The parameters are read back from the run log, which is not always the parameters sent:
secret values are masked there, long text and lists are cut. A run whose logged
parameters are not whole is not re-run (``NotReplayable`` names the parameter): the
admin's "Run now" takes them typed again. Things are sent by id and looked up again under
the user's privacy rules as they are now; the workflow runs as it is now: a test run's
re-run runs development, any other the live version (``edition_of``, docs/versions.md).

It runs through ``engine.run`` in the request, like Run now, with ``source=admin``. The
new run's id is chosen when the confirmation page is shown and written with the ``Run``
row, before any work: a second submission of the same page finds the run made by the
first (or, if both race, fails on the primary key before doing anything), so one
confirmation makes at most one run.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import engine
from ..choices import ParameterType, RunSource, RunStatus, WorkflowKind
from ..engine.cache import get_compiled
from ..engine.compiler import CompiledWorkflow
from ..engine.runner import RunResult
from ..engine.serialize import MAX_LOG_TEXT
from ..exceptions import WorkflowError
from ..masking import MASK
from ..models import Run
from ..versions.edition import TEST, Edition, serving
from ..versions.serving import live
from .display import is_thing_reference

PERMISSION = "workflows.rerun_run"
RERUNNABLE_KINDS = (WorkflowKind.API, WorkflowKind.CUSTOM_EVENT)
#: how the run log marks what it cut (``engine.serialize``)
CUT = "…"


class NotReplayable(Exception):
    """The run cannot be repeated from its log; the message says why."""

    def __init__(self, message: str, parameter: str = ""):
        super().__init__(message)
        self.message = message
        self.parameter = parameter


def edition_of(run: Run) -> Edition:
    """What a re-run of ``run`` runs: development for a test run, else the live version."""
    return TEST if run.test else live()


def check(run: Run) -> CompiledWorkflow:
    """The workflow to run again, or ``NotReplayable``."""
    if run.status == RunStatus.RUNNING or run.finished_at is None:
        raise NotReplayable("This run has not finished.")
    workflow = run.workflow
    if workflow is None:
        raise NotReplayable(f"Its workflow {run.workflow_name!r} was deleted.")
    if workflow.kind not in RERUNNABLE_KINDS:
        raise NotReplayable(
            "A database trigger's run is made by a change of its data, not by parameters: "
            "it cannot be re-run from here (a failed scheduled run can be retried from the "
            "Scheduler)."
        )
    actor = run.actor
    if actor is not None and not actor.is_active:
        raise NotReplayable(f"The user it ran as, {actor}, is no longer active.")
    try:
        return get_compiled(workflow)
    except WorkflowError as exc:
        raise NotReplayable(f"The workflow cannot run now: {exc.message}") from exc


def replay_params(run: Run, compiled: CompiledWorkflow) -> dict[str, Any]:
    """The run's logged parameters as a caller sends them (things by id, files by URL),
    for the workflow's parameters as they are now; ``NotReplayable`` when a value was not
    logged whole."""
    logged = run.params if isinstance(run.params, Mapping) else {}
    raw: dict[str, Any] = {}
    for spec in compiled.parameters:
        value = logged.get(spec.key)
        if value is None or (spec.is_list and value == []):
            continue  # not sent: the engine gives it its default again
        problem = _not_whole(value)
        if problem:
            raise NotReplayable(
                f"Parameter {spec.key!r} {problem}: re-run it with Run now, typing it again.",
                parameter=spec.key,
            )
        raw[spec.key] = _as_sent(spec.type, value)
    return raw


def _not_whole(value: Any, depth: int = 0) -> str:
    """Why ``value`` is not what was sent (masked, cut), or ""."""
    if isinstance(value, str):
        if MASK in value:
            return "is secret: its value is masked in the log"
        if value == CUT or (value.endswith(CUT) and len(value) == MAX_LOG_TEXT + 1):
            return "was too long to be logged whole"
        return ""
    if isinstance(value, Mapping):
        if CUT in value:
            return "had too many keys to be logged whole"
        return next((p for v in value.values() if (p := _not_whole(v, depth + 1))), "")
    if isinstance(value, list):
        if value and isinstance(value[-1], str) and value[-1].startswith(CUT + " "):
            return "had too many items to be logged whole"
        return next((p for v in value if (p := _not_whole(v, depth + 1))), "")
    return ""


def _as_sent(kind: str, value: Any) -> Any:
    if isinstance(value, list):
        return [_as_sent(kind, item) for item in value]
    if kind == ParameterType.THING and is_thing_reference(value):
        return value["_id"]
    if kind == ParameterType.FILE and isinstance(value, Mapping) and value.get("url"):
        return value["url"]
    return value


def rerun(run: Run, key: uuid.UUID) -> RunResult:
    """Run ``run``'s workflow again with its parameters as its user; the new run's id is
    ``key``. Raises ``NotReplayable``, a parameter's ``WorkflowError`` (before any run
    exists), or ``IntegrityError`` when a run with that id exists (nothing was done)."""
    with serving(edition_of(run)):
        return _rerun(run, key)


def _rerun(run: Run, key: uuid.UUID) -> RunResult:
    compiled = check(run)
    params = replay_params(run, compiled)

    def write_start(row: Run) -> None:
        row.id = key
        row.rerun_of_id = run.pk
        # committed at once as the engine's own write is; inside a caller's transaction a
        # savepoint, so a refused duplicate leaves that transaction usable
        with transaction.atomic():
            Run.objects.bulk_create([row])

    return engine.run(compiled, params, run.actor, source=RunSource.ADMIN, write_start=write_start)
