"""What a workflow returns, as a JSON schema: the keys of its ``return_data`` actions.

Each key's type is read from its value where that is certain — a constant; text with
``{{ }}`` parts (always a string); a comparison or test (a boolean); a parameter
(``params.when`` is a date-time, ``params.order`` an order, ``params.order.id`` its id); a
step whose result is known (``steps.paid``, a ``make_changes`` of an order, is that order
and ``steps.paid.status`` its status; ``steps.review.due_at``, a scheduled run's time) —
and left open (any JSON) otherwise. Keys are never required: a workflow whose condition is
not met with ``condition_not_met: 200``, or one ending on another path, returns ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import models
from jinja2 import nodes

from ... import data_types
from ...choices import ParameterType
from ...engine.compiler import CompiledAction, CompiledWorkflow
from ...engine.params import ParamSpec
from ...engine.sandbox import environment
from ...engine.values import Const, Dynamic, ListValue, MapValue, Text, Value
from ...exceptions import WorkflowError
from ..params_serializer import param_schema
from .data import field_schema

#: the schema of a thing in a response, given its data type label (a component reference)
ThingRef = Callable[[str], dict[str, Any]]

ANY: dict[str, Any] = {}
BOOLEAN = {"type": "boolean"}
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
DATE_TIME = {"type": "string", "format": "date-time"}
_STRING_FILTERS = frozenset(
    "capitalize e escape format join lower replace string striptags title trim truncate "
    "upper urlencode".split()
)
_INTEGER_FILTERS = frozenset({"length", "count", "wordcount", "int"})
_NUMBER_FILTERS = frozenset({"float", "round", "abs", "sum"})
_ARITHMETIC = (nodes.Sub, nodes.Mul, nodes.Mod, nodes.Pow, nodes.FloorDiv, nodes.Div)
#: what ``steps.<id>`` of these actions holds, where it is not a thing
_STEP_RESULTS: dict[str, dict[str, Any]] = {
    "schedule_workflow": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "due_at": DATE_TIME,
            "status": STRING,
            "workflow": STRING,
        },
    },
    "send_email": {
        "type": "object",
        "properties": {"to": {"type": "array", "items": STRING}, "subject": STRING},
    },
    "http_request": {
        "type": "object",
        "properties": {
            "status": INTEGER,
            "headers": {"type": "object"},
            "json": {},
            "text": STRING,
        },
    },
    "delete_thing": INTEGER,
    "delete_list": INTEGER,
    "cancel_scheduled": INTEGER,
    "cancel_scheduled_list": INTEGER,
    "log": STRING,
}


def returned_schema(compiled: CompiledWorkflow, thing_ref: ThingRef) -> dict[str, Any]:
    """The ``response`` object of ``compiled``'s success answer."""
    reader = _Reader(
        {spec.key: spec for spec in compiled.parameters},
        {a.step_id: a for a in compiled.actions if a.step_id},
        thing_ref,
    )
    properties: dict[str, Any] = {}
    open_keys = False
    returns = [a for a in compiled.actions if a.type == "return_data"]
    for action in returns:
        data = action.config.get("data")
        if not isinstance(data, MapValue):
            open_keys = True  # data: "{{ ... }}", a whole mapping computed at run time
            continue
        for key, value in data.items.items():
            schema = reader.value(value)
            properties[key] = schema if properties.get(key, schema) == schema else ANY
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if not returns:
        schema["description"] = "This workflow returns no data: the response is always {}."
    if not open_keys:
        schema["additionalProperties"] = False
    return schema


def _python_schema(value: Any) -> dict[str, Any]:
    if value is None:
        return {"nullable": True}
    if isinstance(value, bool):
        return dict(BOOLEAN)
    if isinstance(value, int):
        return dict(INTEGER)
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return dict(STRING)
    if isinstance(value, Mapping):
        properties = {str(k): _python_schema(v) for k, v in value.items()}
        return {"type": "object", "properties": properties}
    if isinstance(value, list | tuple):
        return {"type": "array", "items": {}}
    return dict(ANY)


def _nullable(schema: dict[str, Any], nullable: bool = True) -> dict[str, Any]:
    if not nullable or not schema:
        return schema
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def _model(label: str) -> type[models.Model] | None:
    try:
        return data_types.get_model(label)
    except WorkflowError:
        return None


@dataclass
class _Reader:
    """Reads value schemas against one workflow's parameters and steps."""

    specs: Mapping[str, ParamSpec]
    steps: Mapping[str, CompiledAction]
    thing_ref: ThingRef

    def value(self, value: Value) -> dict[str, Any]:
        if isinstance(value, Const):
            return _python_schema(value.value)
        if isinstance(value, Text):
            return dict(STRING)
        if isinstance(value, MapValue):
            properties = {k: self.value(v) for k, v in value.items.items()}
            return {"type": "object", "properties": properties}
        if isinstance(value, ListValue):
            items = [self.value(v) for v in value.items]
            same = items[0] if items and all(i == items[0] for i in items) else ANY
            return {"type": "array", "items": same}
        if isinstance(value, Dynamic):
            if not value.expression.native:
                return dict(STRING)
            node = _expression_node(value)
            return self.node(node) if node is not None else dict(ANY)
        return dict(ANY)

    def node(self, node: nodes.Node) -> dict[str, Any]:
        if isinstance(node, nodes.Const):
            return _python_schema(node.value)
        if isinstance(node, nodes.Compare | nodes.Not | nodes.Test):
            return dict(BOOLEAN)
        if isinstance(node, nodes.Concat):
            return dict(STRING)
        if isinstance(node, nodes.And | nodes.Or):  # these give an operand, not a boolean
            left, right = self.node(node.left), self.node(node.right)
            return left if left == right == BOOLEAN else dict(ANY)
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            first, second = self.node(node.expr1), self.node(node.expr2)
            return first if first == second else dict(ANY)
        if isinstance(node, nodes.Filter):
            return self._filter(node)
        if isinstance(node, _ARITHMETIC):
            left, right = self.node(node.left).get("type"), self.node(node.right).get("type")
            if left in ("integer", "number") and right in ("integer", "number"):
                whole = left == right == "integer" and not isinstance(node, nodes.Div | nodes.Pow)
                return {"type": "integer" if whole else "number"}
            return dict(ANY)
        if isinstance(node, nodes.Name) and node.name == "now":
            return dict(DATE_TIME)
        if isinstance(node, nodes.Getattr):
            return self._attribute(node)
        return dict(ANY)

    def _filter(self, node: nodes.Filter) -> dict[str, Any]:
        if node.name in _STRING_FILTERS:
            return dict(STRING)
        if node.name in _INTEGER_FILTERS:
            return dict(INTEGER)
        if node.name in _NUMBER_FILTERS:
            return {"type": "number"}
        return dict(ANY)

    # --- params.<key>[.<attr>], steps.<id>[.<attr>] ------------------------------------

    def _attribute(self, node: nodes.Getattr) -> dict[str, Any]:
        root = _root(node)
        if root is not None:  # params.<key> or steps.<id>
            return self._whole(*root)
        inner = node.node
        if isinstance(inner, nodes.Getattr) and (root := _root(inner)) is not None:
            return self._field(*root, node.attr)
        return dict(ANY)

    def _whole(self, scope: str, name: str) -> dict[str, Any]:
        if scope == "params" and name in self.specs:
            return self._param(self.specs[name])
        if scope == "steps" and name in self.steps:
            action = self.steps[name]
            label = self._step_thing(action)
            schema = self.thing_ref(label) if label else dict(_STEP_RESULTS.get(action.type, ANY))
            return _nullable(schema, action.condition is not None)
        return dict(ANY)

    def _field(self, scope: str, name: str, attr: str) -> dict[str, Any]:
        """``params.<thing>.<attr>``, ``steps.<id>.<attr>``."""
        label, nullable = None, False
        if scope == "params" and name in self.specs:
            spec = self.specs[name]
            if spec.type == ParameterType.THING and not spec.is_list:
                label, nullable = spec.data_type, _optional(spec)
        elif scope == "steps" and name in self.steps:
            action = self.steps[name]
            label, nullable = self._step_thing(action), action.condition is not None
            if label is None:
                known = _STEP_RESULTS.get(action.type, {}).get("properties", {})
                return _nullable(dict(known.get(attr, ANY)), nullable)
        model = _model(label) if label else None
        if model is None:
            return dict(ANY)
        return _nullable(self._model_attribute(model, attr), nullable)

    def _model_attribute(self, model: type[models.Model], attr: str) -> dict[str, Any]:
        if attr in ("id", "pk"):
            return field_schema(model._meta.pk)
        field = next((f for f in data_types.visible_fields(model) if attr == f.name), None)
        if field is None:
            by_attname = (f for f in data_types.visible_fields(model) if attr == f.attname)
            field = next(by_attname, None)
            return field_schema(field.target_field) if field is not None else dict(ANY)
        if field.is_relation:  # the related thing, in full
            related = field.related_model
            ref = self.thing_ref(related._meta.label) if data_types.is_data_type(related) else {}
            return _nullable(ref, field.null)
        return field_schema(field)

    def _param(self, spec: ParamSpec) -> dict[str, Any]:
        """A parameter as ``to_response`` writes it: things in full, files as objects."""
        if spec.type == ParameterType.THING:
            one = self.thing_ref(spec.data_type)
        elif spec.type == ParameterType.FILE:
            one = {"type": "object", "description": "{url, name, size, content_type}"}
        else:
            one = param_schema(replace(spec, is_list=False))
        if spec.is_list:
            return {"type": "array", "items": one}
        return _nullable(one, _optional(spec))

    def _step_thing(self, action: CompiledAction, depth: int = 0) -> str | None:
        """The data type of the thing ``steps.<id>`` holds, where that is known."""
        if action.type == "create_thing":
            value = action.config.get("data_type")
            return (
                value.value if isinstance(value, Const) and isinstance(value.value, str) else None
            )
        if action.type != "make_changes" or depth > 10:
            return None
        value = action.config.get("thing")
        node = _expression_node(value) if isinstance(value, Dynamic) else None
        root = _root(node) if isinstance(node, nodes.Getattr) else None
        if root is None:
            return None
        scope, name = root
        if scope == "params" and name in self.specs:
            spec = self.specs[name]
            thing = spec.type == ParameterType.THING and not spec.is_list
            return spec.data_type if thing else None
        if scope == "steps" and name in self.steps:
            return self._step_thing(self.steps[name], depth + 1)
        return None


def _optional(spec: ParamSpec) -> bool:
    return spec.optional and spec.default is None


def _root(node: nodes.Node | None) -> tuple[str, str] | None:
    """``("params", "order")`` for ``params.order``, ``("steps", "paid")`` for ``steps.paid``."""
    if (
        isinstance(node, nodes.Getattr)
        and isinstance(node.node, nodes.Name)
        and node.node.name in ("params", "steps")
    ):
        return node.node.name, node.attr
    return None


def _expression_node(value: Dynamic) -> nodes.Node | None:
    """The expression of a value that is exactly one ``{{ expr }}``."""
    if not value.expression.native:
        return None
    try:
        return environment.parse(value.expression.source.strip()).body[0].nodes[0]
    except Exception:  # noqa: BLE001 - it compiled already; anything odd is "unknown"
        return None
