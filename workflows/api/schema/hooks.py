"""The preprocessing hook: the URL patterns' endpoints → the document's operations.

``/api/1.1/wf/{name}``, and what other apps serve under it (``registry``: the scheduler's
``/schedule``), become one set of operations per exposed API workflow,
``/api/1.1/obj/{data_type}[/{id}|/bulk]`` one per data type; the catch-all 404 and the
trailing-slash twin of the workflow URL are left out. Read from the database on every
generation, so the document is the editor's current state (``views`` caches it per set of
workflow revisions).

The Data API's part is that of one class of reader (``privacy.audience``), the one
``describing`` names (everything when none does: ``manage.py spectacular``): only the data
types its privacy rules could open to it, each with the fields they could show it. The
workflows' operations are the same for every reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ... import data_types
from ...choices import WorkflowKind
from ...engine.cache import get_compiled
from ...engine.compiler import param_spec_from_model
from ...exceptions import WorkflowError
from ...models import Workflow
from ...privacy.audience import Audience, exposure_to
from ...versions.serving import pinned
from ..data import ThingBulkView, ThingListView, ThingView
from ..views import NotFoundView, WorkflowView
from . import endpoints as _endpoints  # noqa: F401 - registers the fixed endpoints' schemas
from . import registry
from .data import DataTypeDoc, data_endpoints
from .names import Names
from .workflows import WorkflowDoc, broken_compiled, workflow_endpoints

Endpoint = tuple[str, str, str, Callable[..., Any]]

#: whom the document being generated is for
_reader: ContextVar[Audience] = ContextVar("schema_reader", default=Audience.ADMIN)


@contextmanager
def describing(audience: Audience) -> Iterator[None]:
    """Generate the document, inside this block, for readers of ``audience``."""
    token = _reader.set(audience)
    try:
        yield
    finally:
        _reader.reset(token)


@dataclass(frozen=True)
class Catalog:
    """What the document describes: the data types (those its reader's class could find,
    see or write things of) and the exposed API workflows."""

    data_types: tuple[DataTypeDoc, ...]
    workflows: tuple[WorkflowDoc, ...]


def exposed_workflows() -> list[Workflow]:
    return list(
        Workflow.objects.filter(kind=WorkflowKind.API, expose=True)
        .prefetch_related("parameters")
        .order_by("name")
    )


def build_catalog() -> Catalog:
    audience = _reader.get()
    names = Names()
    every = sorted(data_types.allowed_models(), key=lambda m: data_types.label_lower(m))
    exposures = {model: exposure_to(model, audience) for model in every}
    described = frozenset(data_types.label_lower(m) for m in every if exposures[m].opened)
    # every type claims its names, so a type's component is named alike in every document
    docs = tuple(
        DataTypeDoc(
            model,
            *names.data_type(data_types.label_of(model)),
            exposure=exposures[model],
            described=None if audience is Audience.ADMIN else described,
        )
        for model in every
    )
    # a workflow's thing of a type left out still has its component: the fields the
    # reader's class could see of it (those a run shows it, unless it ignores privacy)
    by_label = {data_types.label_lower(doc.model): doc for doc in docs}
    workflows = []
    deployed = pinned()
    if deployed is not None:  # the live version's exposed workflows, as deployed
        for compiled in deployed.exposed():
            component, operation = names.workflow(compiled.name)
            workflows.append(WorkflowDoc(compiled, component, operation, by_label, ""))
        return Catalog(tuple(doc for doc in docs if doc.exposure.opened), tuple(workflows))
    for workflow in exposed_workflows():
        component, operation = names.workflow(workflow.name)
        try:
            compiled, broken = get_compiled(workflow), ""
        except WorkflowError as exc:  # the endpoint answers 400 INVALID_DEFINITION
            specs = tuple(param_spec_from_model(p) for p in workflow.parameters.all())
            compiled, broken = broken_compiled(workflow, specs), exc.message
        workflows.append(WorkflowDoc(compiled, component, operation, by_label, broken))
    return Catalog(tuple(doc for doc in docs if doc.exposure.opened), tuple(workflows))


def expand_endpoints(endpoints: list[Endpoint], **kwargs: Any) -> list[Endpoint]:
    """drf-spectacular's PREPROCESSING_HOOKS entry."""
    catalog = build_catalog()
    expanded: list[Endpoint] = []
    for path, path_regex, method, callback in endpoints:
        view = getattr(callback, "cls", None)
        if view is NotFoundView:
            continue
        if view is WorkflowView:
            if path.endswith("/"):
                continue  # /api/1.1/wf/{name}/, the same operation
            expanded += [workflow_endpoints(doc, view, method) for doc in catalog.workflows]
        elif (operation := registry.workflow_operation(view)) is not None:
            expanded += [
                workflow_endpoints(doc, view, method, operation) for doc in catalog.workflows
            ]
        elif view in (ThingListView, ThingView, ThingBulkView):
            one, bulk = view is ThingView, view is ThingBulkView
            expanded += [
                data_endpoints(doc, method, view, one=one, bulk=bulk) for doc in catalog.data_types
            ]
        else:
            expanded.append((path, path_regex, method, callback))
    return expanded


#: the header of idempotent calls (workflows/idempotency.py), on every POST that honours it
IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": (
        "Any text (a UUID): a repeat of this POST with the same key, by the same caller, "
        "within 24 hours gets the first call's answer (same status and body, with the "
        "header Idempotent-Replayed: true) without running anything again; 409 while the "
        "first is still running, 422 if the key came with another request."
    ),
}


def add_idempotency_key(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The ``Idempotency-Key`` header on each POST that honours it (all under /api/1.1/
    but Detect data's ``/initialize``)."""
    for path, operations in result.get("paths", {}).items():
        post = operations.get("post")
        if post is None or path.endswith("/initialize"):
            continue
        parameters = post.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters):
            parameters.append(dict(IDEMPOTENCY_PARAMETER))
    return result
