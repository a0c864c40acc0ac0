"""What is in scope at a step of a workflow, and of what kind; what an expression gives.

``Scope`` holds the kinds of the names an expression may use at one place of a workflow
— the parameters, the results of earlier steps, ``current_user``, ``now``, ``thing`` in a
trigger... — built from the same declarations the compiler checks against (parameter
types, ``ActionType.result_kind``). ``Scope.infer`` reads an expression's kind without
running it: ``params.order.customer`` is a Customer, ``steps.paid.status`` that field,
``search('examples.Order')|length`` a whole number. The editor's "insert dynamic data"
picker lists what a scope holds; the OpenAPI schema of returned data reads ``infer``.
Where a kind cannot be known it is ``ANY``, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings as django_settings
from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError

from .. import conf, data_types
from .kinds import (
    ANY,
    DATE,
    DURATION,
    NOTHING,
    NUMBER,
    TEXT,
    WHOLE_NUMBER,
    YES_NO,
    Kind,
    field_kinds,
    login_kind,
)
from .param_types import param_type

INTEGER = WHOLE_NUMBER
_TEXT_FILTERS = frozenset(
    "capitalize join lower replace string title trim truncate upper urlencode tojson "
    "format_date".split()
)
_WHOLE_FILTERS = frozenset({"length", "count", "wordcount", "int"})
_NUMBER_FILTERS = frozenset({"float", "round", "abs", "sum"})
_SAME_LIST_FILTERS = frozenset({"sort", "unique", "reverse", "list", "reject", "select"})
_DURATIONS = frozenset({"seconds", "minutes", "hours", "days", "weeks"})
_TEXT_METHODS = frozenset(
    "lower upper title capitalize casefold swapcase strip lstrip rstrip removeprefix "
    "removesuffix".split()
)
_DATE_PARTS = frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"})


@dataclass
class Scope:
    """The names in scope at one place of a workflow and their kinds."""

    params: dict[str, Kind] = field(default_factory=dict)
    #: the results of the earlier steps, in order: (step id or None, kind)
    steps: list[tuple[str | None, Kind]] = field(default_factory=list)
    #: names only some places have: thing / thing_before (triggers), item / index
    extra: dict[str, Kind] = field(default_factory=dict)

    # --- what it holds -------------------------------------------------------------------

    def names(self) -> dict[str, Kind]:
        """Every name an expression here may start from, with its kind."""
        return {
            "params": Kind.object(self.params),
            "steps": Kind.object({sid: kind for sid, kind in self.steps if sid}),
            "current_user": current_user_kind(),
            "now": DATE,
            "settings": Kind.object({name: ANY for name in conf.get("SETTINGS")}),
            **self.extra,
        }

    def step(self, number: int) -> Kind:
        """``steps[N]``, N from 1."""
        if 1 <= number <= len(self.steps):
            return self.steps[number - 1][1]
        return ANY

    def after(self, step_id: str | None, kind: Kind) -> Scope:
        """The scope of the next step, once this one's result is known."""
        return Scope(self.params, [*self.steps, (step_id, kind)], dict(self.extra))

    def with_names(self, **names: Kind) -> Scope:
        return Scope(self.params, list(self.steps), {**self.extra, **names})

    # --- what an expression gives --------------------------------------------------------

    def kind_of(self, raw: Any) -> Kind:
        """The kind of a configuration value: a constant, text with ``{{ }}`` parts, one
        ``{{ expression }}``, or a mapping or list of those."""
        if isinstance(raw, str):
            if "{{" not in raw:
                return TEXT
            expression = single_expression(raw)
            return self.infer(expression) if expression is not None else TEXT
        if isinstance(raw, Mapping):
            return Kind.object({str(k): self.kind_of(v) for k, v in raw.items()})
        if isinstance(raw, list | tuple):
            items = {self.kind_of(v).plain() for v in raw}
            return Kind.list_of(items.pop() if len(items) == 1 else ANY)
        return python_kind(raw)

    def infer(self, node: nodes.Node | str) -> Kind:
        """The kind of an expression (its text, or its parsed node)."""
        if isinstance(node, str):
            try:
                node = parse(node)
            except TemplateSyntaxError:
                return ANY
        return _Inference(self).node(node)


def current_user_kind() -> Kind:
    label = django_settings.AUTH_USER_MODEL
    if not data_types.is_data_type(_model(label)):
        return ANY
    return Kind.thing(data_types.label_of(_model(label)), nullable=True)


def python_kind(value: Any) -> Kind:
    if value is None:
        return NOTHING
    if isinstance(value, bool):
        return YES_NO
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return TEXT
    if isinstance(value, Mapping):
        return Kind.object({str(k): python_kind(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return Kind.list_of(ANY)
    return ANY


def parameter_kind(spec: Any) -> Kind:
    """What ``params.<key>`` is, from its declaration."""
    one = param_type(spec.type).kind(data_type=spec.data_type)
    if spec.is_list:
        return Kind.list_of(one)
    return one.maybe_empty(spec.optional and spec.default is None)


def parse(source: str) -> nodes.Node:
    from .sandbox import environment  # the sandbox imports the engine's functions

    return environment.parse("{{ " + source + " }}").body[0].nodes[0]


def single_expression(text: str) -> nodes.Node | None:
    """The expression of a value that is exactly one ``{{ expression }}``, else None."""
    from .expressions import _single_expression  # the one reading of "exactly one"

    try:
        inner = _single_expression(text)
        return parse(inner) if inner is not None else None
    except Exception:  # noqa: BLE001 - a value that does not parse has no known kind
        return None


def _model(label: str) -> Any:
    try:
        return data_types.get_model(label)
    except Exception:  # noqa: BLE001 - not (or no longer) a data type
        return None


@dataclass
class _Inference:
    scope: Scope

    def node(self, node: nodes.Node) -> Kind:
        method = getattr(self, f"_{type(node).__name__.lower()}", None)
        return method(node) if method is not None else ANY

    def _const(self, node: nodes.Const) -> Kind:
        return python_kind(node.value)

    def _list(self, node: nodes.List) -> Kind:
        items = {self.node(item).plain() for item in node.items}
        return Kind.list_of(items.pop() if len(items) == 1 else ANY)

    def _dict(self, node: nodes.Dict) -> Kind:
        keys = {}
        for pair in node.items:
            if not isinstance(pair.key, nodes.Const):
                return Kind.object()
            keys[str(pair.key.value)] = self.node(pair.value)
        return Kind.object(keys)

    def _compare(self, node: nodes.Node) -> Kind:
        return YES_NO

    _not = _test = _compare

    def _concat(self, node: nodes.Concat) -> Kind:
        return TEXT

    def _and(self, node: nodes.And | nodes.Or) -> Kind:
        left, right = self.node(node.left), self.node(node.right)
        return YES_NO if left.plain() == right.plain() == YES_NO else ANY

    _or = _and

    def _condexpr(self, node: nodes.CondExpr) -> Kind:
        if node.expr2 is None:
            return ANY
        first, second = self.node(node.expr1), self.node(node.expr2)
        return first if first.plain() == second.plain() else ANY

    def _neg(self, node: nodes.Neg) -> Kind:
        inner = self.node(node.node)
        return inner if inner.name in ("number", "duration") else ANY

    def _name(self, node: nodes.Name) -> Kind:
        return self.scope.names().get(node.name, ANY)

    def _getattr(self, node: nodes.Getattr) -> Kind:
        return _member(self.node(node.node), node.attr)

    def _getitem(self, node: nodes.Getitem) -> Kind:
        target, arg = node.node, node.arg
        by_number = isinstance(arg, nodes.Const) and type(arg.value) is int
        if isinstance(target, nodes.Name) and target.name == "steps" and by_number:
            return self.scope.step(arg.value)
        whole = self.node(target)
        if isinstance(node.arg, nodes.Const):
            key = node.arg.value
            if isinstance(key, str):
                return _member(whole, key)
            if type(key) is int and whole.name == "list" and whole.item is not None:
                return whole.item.maybe_empty()
        return ANY

    def _filter(self, node: nodes.Filter) -> Kind:
        inner = self.node(node.node) if node.node is not None else ANY
        name = node.name
        if name in _TEXT_FILTERS:
            return TEXT
        if name in _WHOLE_FILTERS:
            return INTEGER
        if name in _NUMBER_FILTERS:
            return NUMBER
        if name in ("first", "last") and inner.name == "list" and inner.item is not None:
            return inner.item.maybe_empty()
        if name in _SAME_LIST_FILTERS and inner.name == "list":
            return inner
        if name in ("default", "d"):
            return replace(inner, nullable=False)
        if name == "map" and inner.name == "list" and inner.item is not None:
            attribute = next((kw.value for kw in node.kwargs if kw.key == "attribute"), None)
            if isinstance(attribute, nodes.Const) and isinstance(attribute.value, str):
                return Kind.list_of(_member(inner.item, attribute.value))
        return ANY

    def _call(self, node: nodes.Call) -> Kind:
        target = node.node
        if isinstance(target, nodes.Name):
            return self._function(target.name, node)
        if isinstance(target, nodes.Getattr):  # a method: 'x'.lower(), now.date()
            owner = self.node(target.node)
            if owner.name == "text" and target.attr in _TEXT_METHODS:
                return TEXT
            if owner.name == "text" and target.attr in ("split", "rsplit", "splitlines"):
                return Kind.list_of(TEXT)
            if owner.name == "date" and target.attr == "date":
                return DATE
            if owner.name == "date" and target.attr in ("weekday", "isoweekday", "timestamp"):
                return NUMBER
            if owner.name == "date" and target.attr == "isoformat":
                return TEXT
            if owner.name == "duration" and target.attr == "total_seconds":
                return NUMBER
        return ANY

    def _function(self, name: str, node: nodes.Call) -> Kind:
        if name in _DURATIONS:
            return DURATION
        if name == "date":
            return DATE
        if name in ("random_digits", "random_string"):
            return TEXT
        if name == "is_email":
            return YES_NO
        if name == "search" and node.args and isinstance(node.args[0], nodes.Const):
            model = _model(str(node.args[0].value))
            if model is not None:
                return Kind.list_of(Kind.thing(data_types.label_of(model)))
        return ANY

    def _add(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("+", self.node(node.left), self.node(node.right))

    def _sub(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("-", self.node(node.left), self.node(node.right))

    def _mul(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("*", self.node(node.left), self.node(node.right))

    def _div(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("/", self.node(node.left), self.node(node.right))

    def _floordiv(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("//", self.node(node.left), self.node(node.right))

    def _mod(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("%", self.node(node.left), self.node(node.right))

    def _pow(self, node: nodes.BinExpr) -> Kind:
        return _arithmetic("**", self.node(node.left), self.node(node.right))


def _arithmetic(op: str, left: Kind, right: Kind) -> Kind:
    a, b = left.name, right.name
    empty = left.nullable or right.nullable
    if a == b == "number":
        whole = left.format == right.format == "integer" and op in ("+", "-", "*", "//", "%")
        return (INTEGER if whole else NUMBER).maybe_empty(empty)
    if op in ("+", "-") and {a, b} == {"date", "duration"} and (op == "+" or a == "date"):
        return DATE.maybe_empty(empty)
    if op == "-" and a == b == "date":
        return DURATION.maybe_empty(empty)
    if op == "+" and a == b == "text":
        return TEXT
    if op == "+" and a == b == "list":
        return left if left.plain() == right.plain() else Kind.list_of(ANY)
    return ANY


def _member(whole: Kind, name: str) -> Kind:
    """``whole.<name>``: a key of an object, a field of a thing, a part of a list or date."""
    empty = whole.nullable
    if whole.name in ("object", "option"):  # an option: its display and attributes
        known = whole.key(name)
        return known.maybe_empty(empty) if known is not None else ANY
    if whole.name == "thing" and whole.data_type:
        known = field_kinds(whole.data_type).get("id" if name == "pk" else name)
        if known is None and name.endswith("_id"):
            related = field_kinds(whole.data_type).get(name[:-3])
            known = ANY if related is None else field_kinds(related.data_type).get("id", ANY)
        return known.maybe_empty(empty) if known is not None else ANY
    if whole.name == "list" and whole.item is not None:
        if name == "count":
            return INTEGER
        if name in ("first", "last"):
            return whole.item.maybe_empty()
    if whole.name == "date" and name in _DATE_PARTS:
        return INTEGER.maybe_empty(empty)
    if whole.name == "duration" and name in ("days", "seconds"):
        return INTEGER.maybe_empty(empty)
    if whole.name == "file" and name in ("url", "name", "content_type"):
        return TEXT.maybe_empty(empty)
    if whole.name == "file" and name == "size":
        return INTEGER.maybe_empty(True)
    return ANY


def reachable(kind: Kind, depth: int = 2) -> Iterator[tuple[str, Kind]]:
    """What can be read from a value of ``kind``, to ``depth`` relations deep:
    ``(".customer.email", TEXT)``... (the picker's list under a thing)."""
    if depth < 0:
        return
    members: dict[str, Kind] = {}
    if kind.name == "thing" and kind.data_type:
        members = field_kinds(kind.data_type)
    elif kind.name in ("object", "option"):
        members = dict(kind.keys)
    elif kind.name == "list" and kind.item is not None:
        members = {"count": INTEGER, "first": kind.item.maybe_empty()}
    for name, member in members.items():
        yield f".{name}", member
        if member.name in ("thing", "object", "option") and depth > 0:
            for path, inner in reachable(member, depth - 1):
                yield f".{name}{path}", inner


# --- the scopes of a definition ---------------------------------------------------------


def definition_scopes(definition: Mapping[str, Any]) -> list[Scope]:
    """The scope before each action of a definition (the raw format of
    docs/workflow-format.md, valid or not: what cannot be read is left out), then the scope
    after the last one. The first is the workflow's own ``only_when``'s."""
    from ..actions import registry  # the actions import the engine

    scope = Scope(_parameter_kinds(definition.get("parameters")), [], _extra(definition))
    scopes = [scope]
    actions = definition.get("actions")
    for raw in actions if isinstance(actions, list) else []:
        raw = raw if isinstance(raw, Mapping) else {}
        try:
            action = registry.get(raw.get("type"))
            kind = action.result_kind(raw, scope)
        except Exception:  # noqa: BLE001 - an unknown type or broken config: unknown result
            kind = ANY
        if raw.get("only_when"):
            kind = kind.maybe_empty()  # a skipped step's result is empty
        step_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        scope = scope.after(step_id or None, kind)
        scopes.append(scope)
    return scopes


def _parameter_kinds(raw: Any) -> dict[str, Kind]:
    from .params import ParamSpec

    kinds: dict[str, Kind] = {}
    for p in raw if isinstance(raw, list) else []:
        if not isinstance(p, Mapping) or not isinstance(p.get("key"), str):
            continue
        try:
            spec = ParamSpec(
                key=p["key"],
                type=p.get("type") or "text",
                data_type=_label(p.get("data_type") or ""),
                is_list=bool(p.get("list")),
                optional=bool(p.get("optional")),
                default=p.get("default"),
            )
            kinds[spec.key] = parameter_kind(spec)
        except KeyError:  # an unknown type
            kinds[p["key"]] = ANY
    return kinds


def _extra(definition: Mapping[str, Any]) -> dict[str, Kind]:
    if definition.get("include_headers") is True and definition.get("kind", "api") == "api":
        return {"request": Kind.object({"headers": Kind.object()})}
    if definition.get("kind") != "trigger":
        return {}
    label = _label(str(definition.get("data_type") or ""))
    thing = Kind.thing(label, nullable=True) if label else ANY
    return {"thing": thing, "thing_before": thing}


def _label(data_type: str) -> str:
    model = _model(data_type) if data_type else None
    return data_types.label_of(model) if model is not None else data_type


_returning: ContextVar[tuple[str, ...]] = ContextVar("bubble_kinds_returning", default=())


def returned_kind(definition: Mapping[str, Any]) -> Kind:
    """What a workflow returns (its ``return_data`` steps' ``data``): an object with the
    keys they set, each of the kind its value has where it is set (a key set to two kinds
    is ANY); NOTHING when it returns nothing. A workflow returning what it triggers itself
    (custom events calling each other) is not followed round: ANY."""
    name = str(definition.get("name") or "")
    if name in _returning.get() or len(_returning.get()) > 8:
        return ANY
    token = _returning.set((*_returning.get(), name))
    try:
        actions = definition.get("actions")
        actions = actions if isinstance(actions, list) else []
        keys: dict[str, Kind] = {}
        returns = False
        for scope, raw in zip(definition_scopes(definition), actions, strict=False):
            if not isinstance(raw, Mapping) or raw.get("type") != "return_data":
                continue
            returns = True
            data = raw.get("data")
            if not isinstance(data, Mapping):
                return Kind.object()  # a whole mapping computed at run time: keys unknown
            for key, value in data.items():
                kind = scope.kind_of(value)
                seen = keys.get(str(key), kind)
                keys[str(key)] = kind if seen.plain() == kind.plain() else ANY
        if _logs_in(definition, actions) and not _always_returns(actions):
            # a run that logs a user in and returns no data answers the log-in
            login = dict(login_kind().keys)
            keys = {**keys, **{k: v for k, v in login.items() if k not in keys}}
            returns = True
        return Kind.object(keys) if returns else NOTHING
    finally:
        _returning.reset(token)


def _logs_in(definition: Mapping[str, Any], actions: list[Any]) -> bool:
    """Whether an API workflow has a step that logs a user in (``ActionType.logs_in``)."""
    from ..actions import registry

    if definition.get("kind", "api") != "api":
        return False  # a custom event's log-in is answered by the API workflow calling it
    for raw in actions:
        try:
            if isinstance(raw, Mapping) and registry.get(raw.get("type")).logs_in:
                return True
        except KeyError:
            continue
    return False


def _always_returns(actions: list[Any]) -> bool:
    """Whether a run that succeeds certainly ends on a ``return_data`` (one without
    ``only_when``, and no ``terminate`` that could end it first)."""
    kinds = [raw.get("type") for raw in actions if isinstance(raw, Mapping)]
    unconditional = any(
        isinstance(raw, Mapping) and raw.get("type") == "return_data" and not raw.get("only_when")
        for raw in actions
    )
    return unconditional and "terminate" not in kinds
