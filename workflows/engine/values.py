"""Dynamic values in action configuration, compiled once and resolved per run.

A config value is JSON; any string in it holding ``{{ }}`` is an expression. Compiling
turns the JSON into a small tree of ``Value`` objects whose ``resolve(scope)`` yields the
action's inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .expressions import Expression, ScopeSpec, compile_template, is_dynamic
from .sandbox import _finalize


class Value:
    def resolve(self, scope: Mapping[str, Any]) -> Any:
        raise NotImplementedError


class Const(Value):
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def resolve(self, scope: Mapping[str, Any]) -> Any:
        return self.value


class Dynamic(Value):
    __slots__ = ("expression",)

    def __init__(self, expression: Expression):
        self.expression = expression

    def resolve(self, scope: Mapping[str, Any]) -> Any:
        return self.expression.evaluate(scope)


class Text(Value):
    """A text value: whatever the expression gives, as a string (None → "")."""

    __slots__ = ("expression",)

    def __init__(self, expression: Expression):
        self.expression = expression

    def resolve(self, scope: Mapping[str, Any]) -> Any:
        value = self.expression.evaluate(scope)
        return value if isinstance(value, str) else str(_finalize(value))


class MapValue(Value):
    __slots__ = ("items",)

    def __init__(self, items: dict[str, Value]):
        self.items = items

    def resolve(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value.resolve(scope) for key, value in self.items.items()}


class ListValue(Value):
    __slots__ = ("items",)

    def __init__(self, items: list[Value]):
        self.items = items

    def resolve(self, scope: Mapping[str, Any]) -> list[Any]:
        return [value.resolve(scope) for value in self.items]


class PerItem:
    """A config value an action resolves itself, once per item (schedule on a list).

    It reuses one scope dict, changing only the per-item names, so a list of 100,000 items
    does not copy the run's scope 100,000 times.
    """

    __slots__ = ("value", "scope")

    def __init__(self, value: Value, scope: Mapping[str, Any]):
        self.value = value
        self.scope = dict(scope)

    def resolve(self, **names: Any) -> Any:
        self.scope.update(names)
        return self.value.resolve(self.scope)

    def __str__(self) -> str:
        return "(resolved for each item)"


def compile_any(raw: Any, spec: ScopeSpec) -> Value:
    """Compile JSON with expressions anywhere in its strings."""
    if isinstance(raw, str):
        return Dynamic(compile_template(raw, spec)) if is_dynamic(raw) else Const(raw)
    if isinstance(raw, Mapping):
        return MapValue({str(k): compile_any(v, spec) for k, v in raw.items()})
    if isinstance(raw, list | tuple):
        return ListValue([compile_any(v, spec) for v in raw])
    return Const(raw)


def compile_text(raw: Any, spec: ScopeSpec) -> Value:
    if isinstance(raw, str):
        return Text(compile_template(raw, spec)) if is_dynamic(raw) else Const(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return Const(str(raw))
    raise TypeError(f"expected text, got {type(raw).__name__}")
