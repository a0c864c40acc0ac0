"""Saving what the editor sends: a whole definition, checked as an import is, written in
one transaction with its audit record.

The editor sends the workflow as one definition (docs/workflow-format.md), as JSON or, from
its "Definition" view, as YAML. A definition with problems is refused whole (every problem
listed, nothing written). A renamed workflow keeps its row (its runs, schedules and key
scopes stay attached).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import audit, yaml_loader
from ..definitions import save_definition
from ..engine.compiler import compile_definition
from ..exceptions import DefinitionError, Issue
from ..models import Workflow


class EditedDefinitionRefused(DefinitionError):
    """The edited definition has problems (``issues``); nothing was saved."""


def definition_from_text(text: str) -> dict[str, Any]:
    """A definition written as YAML (or JSON) in the editor's "Definition" view."""
    try:
        data, _ = yaml_loader.load(text, json_syntax=text.lstrip().startswith("{"))
    except yaml_loader.FileFormatError as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise EditedDefinitionRefused([Issue((), f"{where}{exc.message}")]) from None
    if isinstance(data, Mapping) and isinstance(data.get("workflows"), list):
        workflows = data["workflows"]
        if len(workflows) != 1:
            raise EditedDefinitionRefused(
                [Issue((), "the definition view holds one workflow, not a file of several")]
            )
        data = workflows[0]
    if not isinstance(data, Mapping):
        raise EditedDefinitionRefused([Issue((), "write one workflow: name, kind, actions...")])
    return dict(data)


@transaction.atomic
def workflow_save_edited(
    *, workflow: Workflow | None, definition: Mapping[str, Any], user: Any
) -> tuple[Workflow, bool]:
    """Save ``definition`` as a new workflow (``workflow`` None) or over ``workflow``;
    ``(workflow, changed)``. Raises ``EditedDefinitionRefused`` listing every problem."""
    name = definition.get("name")
    clash = Workflow.objects.filter(name=name)
    if workflow is not None:
        clash = clash.exclude(pk=workflow.pk)
    if isinstance(name, str) and clash.exists():
        raise EditedDefinitionRefused(
            [Issue(("name",), f"another workflow is already named {name!r}")]
        )
    try:
        compile_definition(definition)
    except DefinitionError as exc:
        raise EditedDefinitionRefused(exc.issues) from None
    before = audit.workflow_snapshot(workflow.pk) if workflow is not None else None
    if workflow is not None and workflow.name != name:
        workflow.name = name  # a rename: the same row, so its history stays with it
        workflow.save()
    saved, changed = save_definition(definition)
    audit.record_change(
        kind=audit.Kind.WORKFLOW,
        name=saved.name,
        action=audit.Action.CREATED if workflow is None else audit.Action.CHANGED,
        before=before,
        after=audit.workflow_snapshot(saved.pk),
        user=user,
        source="admin",
    )
    return saved, changed or before is None
