"""What an error workflow is given, and which workflows can be one (docs/workflow-format.md,
"error_workflow").

A workflow's ``error_workflow`` runs when one of its runs fails for good
(``workflows/failures.py``), with these parameters of the failed run. It must be an API
workflow: the scheduler runs it on its own, as a scheduled run (it survives a crash and
runs once), and only API workflows are scheduled. A custom event runs only inside its
caller's run and transaction, which has rolled back by then; a trigger takes a thing, not
parameters. It declares the parameters it wants among these, with their type; any other
parameter it has must be optional, since nobody gives it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..choices import ParameterType, WorkflowKind
from .params import ParamSpec

#: name -> its type: what an error workflow is given about the failed run
ERROR_PARAMETERS: dict[str, str] = {
    "run_id": ParameterType.TEXT,
    "workflow": ParameterType.TEXT,
    "error_code": ParameterType.TEXT,
    "error_message": ParameterType.TEXT,
    # the failed step's number (from 1); none when the run failed outside its steps
    "step": ParameterType.NUMBER,
}
#: kinds of workflow whose runs can fail for good: a custom event's failure is its caller's
HAS_ERROR_WORKFLOW = (WorkflowKind.API, WorkflowKind.TRIGGER)


def problems(kind: str, parameters: Sequence[ParamSpec]) -> Iterator[str]:
    """Why a workflow of ``kind`` with ``parameters`` cannot be an error workflow; nothing
    if it can."""
    if kind != WorkflowKind.API:
        label = WorkflowKind(kind).label.lower() if kind in WorkflowKind.values else kind
        yield (
            f"is a {label}: an error workflow must be an API workflow (the scheduler runs "
            "it on its own, and only API workflows are scheduled)"
        )
        return
    for p in parameters:
        wanted = ERROR_PARAMETERS.get(p.key)
        required = not p.optional and p.default is None
        if wanted is None:
            if required:
                yield (
                    f"has a required parameter {p.key!r}, which an error workflow is not "
                    f"given (it is given {', '.join(ERROR_PARAMETERS)}): make it optional"
                )
        elif p.type != wanted or p.is_list:
            yield f"takes {p.key} as {p.type}{' list' if p.is_list else ''}: it is a {wanted}"
        elif p.key == "step" and required:
            yield (
                "takes step as a required parameter: make it optional (a run that fails "
                "before its first step has none)"
            )


def error_params(
    run_id: Any, workflow: str, error_code: str, error_message: str, step: int | None
) -> dict[str, Any]:
    """The parameters an error workflow is given (those it does not declare are ignored)."""
    params: dict[str, Any] = {
        "run_id": str(run_id),
        "workflow": workflow,
        "error_code": error_code,
        "error_message": error_message,
    }
    if step is not None:
        params["step"] = step
    return params
