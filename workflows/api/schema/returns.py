"""What a workflow returns, as a JSON schema: the keys of its ``return_data`` actions.

The keys and their kinds come from the engine (``engine.scope.returned_kind``: the same
reading of parameters, step results and fields the editor's picker shows); this module
only writes a kind as JSON schema. A kind read from a data type's field is written as that
field's own schema (its choices, an id's integer format); a thing as a reference to its
component; what cannot be known stays open (any JSON). Keys are never required: a
workflow whose condition is not met with ``condition_not_met: 200``, or one ending on
another path, returns ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import data_types
from ...engine.compiler import CompiledWorkflow
from ...engine.kinds import Kind
from ...engine.scope import returned_kind
from ...exceptions import WorkflowError
from .data import field_schema

#: the schema of a thing in a response, given its data type label (a component reference)
ThingRef = Callable[[str], dict[str, Any]]

_SIMPLE: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "number": {"type": "number"},
    "yes_no": {"type": "boolean"},
    "date": {"type": "string", "format": "date-time"},
    "duration": {"type": "number", "description": "seconds"},
    "file": {"type": "object", "description": "{url, name, size, content_type}"},
}


def returned_schema(compiled: CompiledWorkflow, thing_ref: ThingRef) -> dict[str, Any]:
    """The ``response`` object of ``compiled``'s success answer."""
    kind = returned_kind(compiled.definition) if compiled.definition else Kind.object()
    if kind.name == "nothing":
        return {
            "type": "object",
            "properties": {},
            "description": "This workflow returns no data: the response is always {}.",
            "additionalProperties": False,
        }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: kind_schema(k, thing_ref) for name, k in kind.keys},
    }
    if kind.name == "object" and (kind.keys or _returns_known_keys(compiled)):
        schema["additionalProperties"] = False
    return schema


def answer_types(compiled: CompiledWorkflow) -> dict[str, set[str]]:
    """How it may answer: ``{"json": set(), "text": {media types}, "redirect": set()}``
    from its ``return_data`` steps (a media type computed at run time is ``*/*``). JSON is
    there unless a step that always runs ends the workflow with text or a redirect first:
    a run that returns nothing answers ``{}``."""
    found: dict[str, set[str]] = {}
    always_ends = False
    for action in (compiled.definition or {}).get("actions") or []:
        if not isinstance(action, dict):
            continue
        if action.get("type") == "return_data":
            response_type = action.get("response_type") or "json"
            media = str(action.get("content_type") or "text/plain")
            found.setdefault(response_type, set()).add("*/*" if "{{" in media else media)
        if action.get("type") in ("return_data", "terminate") and not action.get("only_when"):
            always_ends = action.get("type") == "return_data"
            break
    if not always_ends:
        found.setdefault("json", set())
    return found


def _returns_known_keys(compiled: CompiledWorkflow) -> bool:
    """Every ``return_data`` gives a mapping written out key by key (none is a whole
    mapping computed at run time)."""
    actions = compiled.definition.get("actions") or []
    returns = [a for a in actions if isinstance(a, dict) and a.get("type") == "return_data"]
    return bool(returns) and all(isinstance(a.get("data"), dict) for a in returns)


def kind_schema(kind: Kind, thing_ref: ThingRef) -> dict[str, Any]:
    """A kind written as JSON schema, as ``to_response`` writes such a value."""
    schema = _schema(kind, thing_ref)
    return _nullable(schema, kind.nullable and kind.name not in ("nothing", "any"))


def _schema(kind: Kind, thing_ref: ThingRef) -> dict[str, Any]:
    field = _field(kind.source)
    if field is not None and (not field.is_relation or kind.name == "option"):
        return field_schema(field)  # its own schema: choices, an id's format, options...
    if kind.name == "option":  # returned as its display
        return {"type": "string", "description": f"An option of {kind.option_set or 'a set'}."}
    if kind.name == "thing":
        return thing_ref(kind.data_type) if kind.data_type else {"type": "object"}
    if kind.name == "number" and kind.format == "integer":
        return {"type": "integer"}
    if kind.name == "text" and kind.format:
        return {"type": "string", "format": kind.format}
    if kind.name in _SIMPLE:
        return dict(_SIMPLE[kind.name])
    if kind.name == "list":
        items = kind_schema(kind.item, thing_ref) if kind.item is not None else {}
        return {"type": "array", "items": items}
    if kind.name == "object":
        if not kind.keys:
            return {"type": "object"}
        properties = {name: kind_schema(k, thing_ref) for name, k in kind.keys}
        return {"type": "object", "properties": properties}
    if kind.name == "nothing":
        return {"nullable": True}
    return {}


def _field(source: tuple[str, str]) -> Any:
    if not source:
        return None
    try:
        return data_types.get_model(source[0])._meta.get_field(source[1])
    except (WorkflowError, LookupError):  # the data type or field is gone: unknown
        return None


def _nullable(schema: dict[str, Any], nullable: bool = True) -> dict[str, Any]:
    if not nullable or not schema or schema.get("nullable"):
        return schema
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}
