"""Compiling and evaluating expressions: ``only_when`` conditions and dynamic values.

Two forms, both Jinja2 syntax run in ``sandbox.environment``:

* a bare expression (``only_when``): ``params.order.total > 0``;
* a value with ``{{ }}`` parts: exactly one ``{{ expr }}`` gives the native value (a thing, a
  number, a list); anything else renders to text. ``{% %}`` statements are refused, so
  no expression can loop.

Compilation checks names statically against a ``ScopeSpec`` (known parameters, earlier
steps, extra names such as ``thing``), so typos fail when the workflow is saved, not when
it runs. Compiled code is cached by source text: each distinct expression is compiled once
per process.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import Template, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.runtime import Undefined

from .. import conf, data_types
from ..exceptions import ExpressionError, WorkflowError
from .functions import FUNCTIONS
from .limits import DECIMAL_CONTEXT, SCALARS, check_size, check_weight, max_size, time_budget
from .sandbox import environment
from .values_types import Namespace, namespace_get

#: Names every expression may use, besides registered functions.
CORE_NAMES = frozenset(
    {"params", "steps", "current_user", "now", "settings", "secrets", "range", "dict"}
)

_ABSENT = object()

#: Keyword arguments of ``search()`` that are not field filters.
SEARCH_OPTIONS = frozenset({"sort_by", "descending", "limit", "lock"})
SEARCH_LOOKUPS = frozenset(
    "exact iexact contains icontains startswith istartswith endswith iendswith "
    "gt gte lt lte in isnull".split()
)


@dataclass(frozen=True)
class ScopeSpec:
    """What an expression may refer to at its place in a workflow."""

    params: frozenset[str] | None = None  # None: parameters are not checked
    steps: tuple[str | None, ...] | None = None  # ids of the steps before this one
    extra: frozenset[str] = field(default_factory=frozenset)  # thing, item, index, ...

    def names(self) -> frozenset[str]:
        return CORE_NAMES | frozenset(FUNCTIONS) | self.extra


class Expression:
    """A compiled expression; ``evaluate(scope)`` runs it in the sandbox."""

    __slots__ = ("source", "native", "_compiled", "_path", "params_used")

    def __init__(
        self,
        source: str,
        native: bool,
        compiled: TemplateExpression | Template,
        path: tuple[str, ...] | None = None,
        params_used: frozenset[str] = frozenset(),
    ):
        self.source = source
        self.native = native
        self._compiled = compiled
        # the expression is this bare name (``item``) or ``params.<key>``: see _direct
        self._path = path
        #: the parameters it reads (``ANY_PARAMETER`` if it reads them other than by name):
        #: a value it gives that a data type refuses is the caller's fault
        self.params_used = params_used

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        if self._path is not None:
            value = self._direct(scope)
            if value is not _ABSENT:
                return value
        with time_budget():
            try:
                if self.native:
                    value = self._compiled(**scope)
                    if isinstance(value, Undefined):
                        value._fail_with_undefined_error()
                    check_weight(value, "result")
                    return value
                text = self._compiled.render(scope)
                check_size(len(text), "text")
                return text
            except WorkflowError:
                raise
            except RecursionError:
                raise _too_deep(self.source) from None
            except Exception as exc:  # the sandbox's refusals and ordinary errors alike
                raise ExpressionError(f"{_describe(exc)} in {self.source!r}") from exc

    def _direct(self, scope: Mapping[str, Any]) -> Any:
        """A bare name or ``params.<key>`` holding a number, yes/no, nothing or text within
        the size cap, read as the sandbox would give it but without a sandbox call (``{{
        index }}`` for each of 100,000 items, ``{{ params.name }}`` on every API call).
        Anything else, or a name not there, is ``_ABSENT``: the full path and its checks."""
        if len(self._path) == 1:
            value = scope.get(self._path[0], _ABSENT)
        else:
            params = scope.get("params")
            if type(params) is not Namespace:
                return _ABSENT
            value = namespace_get(params, self._path[1], _ABSENT)
        if type(value) in SCALARS or (type(value) is str and len(value) <= max_size()):
            return value
        return _ABSENT

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def _describe(exc: Exception) -> str:
    if isinstance(exc, decimal.Overflow):
        return f"number too large: decimal results are limited to 1E+{DECIMAL_CONTEXT.Emax}"
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, decimal.InvalidOperation):
        return "invalid decimal operation (a result too precise or undefined, such as 0/0)"
    message = str(exc) or type(exc).__name__
    if type(exc).__name__ in ("SecurityError",):
        return f"refused by the sandbox: {message}"
    if type(exc).__name__ in ("UndefinedError",):
        return message
    return f"{type(exc).__name__}: {message}"


# --- compiling ---------------------------------------------------------------------------


def compile_condition(source: str, spec: ScopeSpec) -> Expression:
    """Compile a bare expression such as ``params.order.total > 0``."""
    source = _check_length(source.strip())
    if "{{" in source or "{%" in source:
        raise ExpressionError(
            f"write conditions without braces: {source!r} (e.g. params.total > 0)"
        )
    expr = _parse_expression(source)
    _check_references(expr, spec, source)
    return Expression(
        source,
        True,
        _compiled(_compile_native, source, source),
        _direct_path(expr),
        _params_used(expr),
    )


def compile_template(source: str, spec: ScopeSpec) -> Expression:
    """Compile a value with ``{{ }}`` parts: one ``{{ expr }}`` alone is a native value."""
    _check_length(source)
    template = _parse_template(source)
    _check_references(template, spec, source)
    used = _params_used(template)
    single = _single_expression(source)
    if single is not None:
        compiled = _compiled(_compile_native, single, source)
        return Expression(source, True, compiled, _direct_path(_parse_expression(single)), used)
    return Expression(source, False, _compiled(_compile_text, source, source), None, used)


#: in ``Expression.params_used``: the parameters are read other than by a literal name
ANY_PARAMETER = "*"


def _params_used(tree: nodes.Node) -> frozenset[str]:
    """The parameter keys ``tree`` reads as ``params.key`` / ``params['key']``, plus
    ``ANY_PARAMETER`` when it reads ``params`` any other way (``params[name]``)."""
    named = set()
    by_name = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == "params":
            key = _static_key(node)
            if isinstance(key, str):
                named.add(key)
                by_name.add(id(node.node))
    others = any(
        name.name == "params" and id(name) not in by_name for name in tree.find_all(nodes.Name)
    )
    return frozenset(named | ({ANY_PARAMETER} if others else set()))


def _compiled(compile_: Callable[[str], Any], text: str, source: str) -> Any:
    """Compile, reporting what only Jinja's compiler sees (an unknown filter such as
    ``|center``) as an ExpressionError when the workflow is saved, not as a crash."""
    try:
        return compile_(text)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"{exc.message} in {source!r}") from None
    except (RecursionError, SyntaxError, MemoryError):
        # Python's own limits on the code Jinja generates ("too many nested parentheses"):
        # the depth check below keeps expressions well inside them; this is the backstop
        raise _too_deep(source) from None


#: how deeply an expression's parts may nest (``a.b.c``: 3; ``x|f|g``: 3; ``1 + 1 + 1``: 3).
#: Python refuses the code Jinja generates from about 150 levels on ("too many nested
#: parentheses") and recurses past its stack from about 1,000; real expressions stay
#: under 20.
MAX_NESTING = 100


def _too_deep(source: str) -> ExpressionError:
    return ExpressionError(
        f"expression is too deeply nested (more than {MAX_NESTING} levels of operators, "
        f"filters, calls or attributes): {source[:80]!r}"
    )


def _check_nesting(tree: nodes.Node, source: str) -> None:
    """Refuse a tree nested deeper than ``MAX_NESTING``, counted without recursion (the
    checks that follow walk the tree recursively)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise _too_deep(source)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


def _direct_path(expr: nodes.Expr) -> tuple[str, ...] | None:
    """``("item",)`` for a bare name, ``("params", "key")`` for ``params.key``; None for
    anything else (see ``Expression._direct``)."""
    if isinstance(expr, nodes.Name):
        return (expr.name,)
    if (
        isinstance(expr, nodes.Getattr)
        and isinstance(expr.node, nodes.Name)
        and expr.node.name == "params"
        and not expr.attr.startswith("_")
    ):
        return ("params", expr.attr)
    return None


def is_dynamic(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _check_length(source: str) -> str:
    limit = conf.get("MAX_EXPRESSION_LENGTH")
    if len(source) > limit:
        raise ExpressionError(
            f"expression is {len(source):,} characters long; the limit is {limit:,}"
        )
    return source


def _parse_expression(source: str) -> nodes.Expr:
    try:
        parser = Parser(environment, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError("unexpected text after the expression", 1)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"syntax error in {source!r}: {plain_syntax(exc.message)}") from None
    except RecursionError:
        raise _too_deep(source) from None
    _check_nesting(expr, source)
    return expr


def _parse_template(source: str) -> nodes.Template:
    try:
        template = environment.parse(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"syntax error in {source!r}: {plain_syntax(exc.message)}") from None
    except RecursionError:
        raise _too_deep(source) from None
    # the template and its output nodes are two levels above the expressions
    _check_nesting(template, source)
    for node in template.body:
        if not isinstance(node, nodes.Output):
            raise ExpressionError(
                f"{{% %}} statements are not allowed in {source!r}; use {{{{ }}}} expressions "
                "(conditions go in 'only when')"
            )
    return template


_SYNTAX = [
    # Jinja's words (its "print statement", "end of template", tokens) in a builder's
    (re.compile(r"[Ee]xpected an expression, got 'end of print statement'"),
     "the {{ }} is empty: write an expression in it"),
    (re.compile(r"unexpected '\}', expected '(\)|\])'"),
     r"a closing \1 is missing"),
    (re.compile(r"unexpected (?:end of template|'end of template'|'end of print statement')"
                r"(?:, expected '(\)|\])')?.*"),
     "the expression ends too early: something is missing at its end"),
    (re.compile(r"expected token 'end of print statement', got '([^']*)'"),
     r"unexpected '\1': is an operator (+, ==, and...) or a comma missing before it?"),
    (re.compile(r"expected token 'name', got 'end of print statement'"),
     "a name is missing at the end (after | or .)"),
    (re.compile(r"expected token '([^']*)', got '([^']*)'"), r"expected '\1' where '\2' is"),
    (re.compile(r"unexpected char '(['\"])' at \d+"), r"a text in quotes is not closed: \1"),
    (re.compile(r"unexpected char '([^']*)' at \d+"), r"'\1' cannot be used in an expression"),
    (re.compile(r"unexpected '\}'$"), "close the expression with }} (two braces)"),
    (re.compile(r"unexpected text after the expression"),
     "unexpected text after the expression: is an operator (==, and, +...) missing?"),
]  # fmt: skip


def plain_syntax(message: str) -> str:
    """A Jinja syntax error in a builder's words (no "print statement" or "token")."""
    message = message.rstrip(".")
    for pattern, plain in _SYNTAX:
        if pattern.search(message):
            return pattern.sub(plain, message) if "\\" in plain else plain
    return message


def _single_expression(source: str) -> str | None:
    """The inner source when the text is exactly one ``{{ expr }}`` (give or take
    surrounding whitespace), else None."""
    stripped = source.strip()
    if not (stripped.startswith("{{") and stripped.endswith("}}")):
        return None
    template = _parse_template(stripped)
    if len(template.body) != 1:
        return None
    parts = template.body[0].nodes
    if len(parts) != 1 or isinstance(parts[0], nodes.TemplateData):
        return None
    inner = stripped[2:-2]
    # Jinja's whitespace control sits right against the braces ({{- x -}}); a sign after a
    # space is the expression's own: {{ -x }} is minus x
    if inner[:1] in ("-", "+"):
        inner = inner[1:]
    if inner[-1:] in ("-", "+"):
        inner = inner[:-1]
    return inner.strip()


@lru_cache(maxsize=4096)
def _compile_native(source: str) -> TemplateExpression:
    expr = _parse_expression(source)
    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
    template = nodes.Template(body, lineno=1)
    template.set_environment(environment)
    return TemplateExpression(environment.from_string(template), undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compile_text(source: str) -> Template:
    return environment.from_string(source)


# --- static checks -----------------------------------------------------------------------


def _check_references(tree: nodes.Node, spec: ScopeSpec, source: str) -> None:
    allowed = spec.names()
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in allowed:
            raise ExpressionError(
                f"unknown name {name.name!r} in {source!r} "
                f"(available: {', '.join(sorted(allowed - {'range', 'dict'}))})"
            )
    secret_reads: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        target = node.node
        if not isinstance(target, nodes.Name):
            continue
        key = _static_key(node)
        if target.name == "secrets":
            _check_secret(key, source)
            secret_reads.add(id(target))
            continue
        if key is None:
            continue
        if target.name == "params":
            _check_param(key, spec, source)
        elif target.name == "steps":
            _check_step(key, spec, source)
        elif target.name == "settings":
            _check_setting(key, source)
    for name in tree.find_all(nodes.Name):
        if name.name == "secrets" and id(name) not in secret_reads:
            raise ExpressionError(
                f"secrets can only be read one at a time, as secrets.NAME, in {source!r}"
            )
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "search":
            _check_search(call, source)


def _static_key(node: nodes.Getattr | nodes.Getitem) -> str | int | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str | int):
        return node.arg.value
    arg = node.arg
    if (
        isinstance(arg, nodes.Neg)
        and isinstance(arg.node, nodes.Const)
        and type(arg.node.value) is int
    ):
        return -arg.node.value  # steps[-1]: checked (and refused) like any number
    return None


def _check_param(key: str | int, spec: ScopeSpec, source: str) -> None:
    if spec.params is None or key in spec.params:
        return
    known = ", ".join(sorted(spec.params)) or "none"
    raise ExpressionError(f"unknown parameter {key!r} in {source!r} (parameters: {known})")


def _check_step(key: str | int, spec: ScopeSpec, source: str) -> None:
    if spec.steps is None:
        return
    if isinstance(key, int):
        if not 1 <= key <= len(spec.steps):
            raise ExpressionError(
                f"steps[{key}] in {source!r} does not refer to a step that runs before this "
                f"one ({len(spec.steps)} step(s) run before it, numbered from 1)"
            )
        return
    if key not in spec.steps:
        known = ", ".join(s for s in spec.steps if s) or "none"
        raise ExpressionError(
            f"unknown step {key!r} in {source!r}: no earlier step has that id "
            f"(earlier steps with an id: {known})"
        )


def _check_setting(key: str | int, source: str) -> None:
    known = conf.get("SETTINGS")
    if key not in known:
        raise ExpressionError(
            f"unknown setting {key!r} in {source!r} "
            f"(settings: {', '.join(sorted(known)) or 'none'})"
        )


def _check_secret(key: str | int | None, source: str) -> None:
    """``secrets.NAME`` must name an existing secret literally: a name computed at run time
    (``secrets[params.which]``) would let a caller choose which secret a workflow uses."""
    from .. import secrets  # imports the models: not at import time of the sandbox

    if not isinstance(key, str):
        raise ExpressionError(f"name a secret literally, as secrets.NAME, in {source!r}")
    known = secrets.secret_names()
    if key not in known:
        raise ExpressionError(
            f"unknown secret {key!r} in {source!r} (secrets: {', '.join(known) or 'none'}; "
            f"add one in the admin or as {secrets.ENV_PREFIX}{key})"
        )


def _check_search(call: nodes.Call, source: str) -> None:
    if not call.args or not isinstance(call.args[0], nodes.Const):
        raise ExpressionError(
            f"search() needs the data type as its first argument, e.g. "
            f"search('examples.Order', status='paid'), in {source!r}"
        )
    try:
        model = data_types.get_model(call.args[0].value)
    except WorkflowError as exc:
        raise ExpressionError(f"{exc.message} in {source!r}") from None
    for kwarg in call.kwargs:
        if kwarg.key in SEARCH_OPTIONS:
            continue
        try:
            search_lookup(model, kwarg.key)
        except ExpressionError as exc:
            raise ExpressionError(f"{exc.message} in {source!r}") from None


def search_lookup(model: Any, key: str) -> str:
    """Check a ``search()`` filter like ``customer__email__iexact``; return the ORM lookup."""
    parts = key.split("__")
    lookup = parts[-1] if len(parts) > 1 and parts[-1] in SEARCH_LOOKUPS else None
    path = parts[:-1] if lookup else parts
    current = model
    for i, part in enumerate(path):
        names = data_types.field_names(current) | {"pk", "id"}
        if part not in names:
            raise ExpressionError(
                f"{data_types.label_of(current)} has no field {part!r} (search filter {key!r})"
            )
        if part in ("pk", "id"):
            continue
        f = current._meta.get_field(part)
        if f.is_relation and f.related_model is not None:
            if i != len(path) - 1 and not data_types.is_data_type(f.related_model):
                raise ExpressionError(
                    f"{part!r} leads to {data_types.label_of(f.related_model)}, which is not a "
                    f"data type: search filters cannot look inside it (search filter {key!r})"
                )
            current = f.related_model
        elif i != len(path) - 1:
            raise ExpressionError(f"{part!r} is not a relation (search filter {key!r})")
    return key
