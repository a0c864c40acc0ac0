"""What other apps add to the document, so this app need not know them.

Filled when apps load (the scheduler does, from ``scheduler.apps``), read on every
generation:

* ``add_workflow_operation``: a view whose URL names a workflow (``/api/1.1/wf/{name}/...``)
  becomes one operation per exposed workflow, described by the schema the app gives for
  that workflow (the scheduler's ``/schedule``). The operation ids and components it names
  per workflow are claimed with the workflow's own (``names``), so they never collide.
* ``reserve_names``: the components and operation ids of an app's fixed endpoints, which
  no workflow or data type may then be named after.

The fixed endpoints themselves are described where their views live, with drf-spectacular
view extensions (``endpoints.replaced`` helps), registered when that module is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

    from .workflows import WorkflowDoc


@dataclass(frozen=True)
class WorkflowOperation:
    """An operation each exposed workflow gets at ``/api/1.1/wf/<name><suffix>``."""

    suffix: str  # "/schedule"
    schema: Callable[[WorkflowDoc], AutoSchema]  # its description, for one workflow
    operation_suffixes: tuple[str, ...] = ()  # "_schedule": ids it gives, after the base
    component_suffixes: tuple[str, ...] = ()  # "ScheduleRequest": components it names


#: per-workflow operations, by the view that serves them
WORKFLOW_VIEWS: dict[type, WorkflowOperation] = {}
#: fixed component names and operation ids of other apps' endpoints
RESERVED_COMPONENTS: set[str] = set()
RESERVED_OPERATIONS: set[str] = set()


def add_workflow_operation(view: type, operation: WorkflowOperation) -> None:
    """Describe ``view`` (whose URL has the workflow's ``name``) once per exposed workflow."""
    WORKFLOW_VIEWS[view] = operation


def workflow_operation(view: type | None) -> WorkflowOperation | None:
    return WORKFLOW_VIEWS.get(view) if view is not None else None


def reserve_names(components: Iterable[str] = (), operations: Iterable[str] = ()) -> None:
    RESERVED_COMPONENTS.update(components)
    RESERVED_OPERATIONS.update(operations)


def workflow_component_suffixes() -> tuple[str, ...]:
    return tuple(s for op in WORKFLOW_VIEWS.values() for s in op.component_suffixes)


def workflow_operation_suffixes() -> tuple[str, ...]:
    return tuple(s for op in WORKFLOW_VIEWS.values() for s in op.operation_suffixes)
