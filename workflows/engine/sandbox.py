"""The Jinja2 sandbox every expression runs in.

Built on ``ImmutableSandboxedEnvironment`` (no dunder access, no mutation of lists and
dicts) with ``StrictUndefined``, and tightened further:

* only registered functions and filters exist (``functions.py``), no ``lipsum``/``cycler``;
* every arithmetic operator is intercepted: ``*``, ``**``, ``+`` and ``%`` so no expression
  can build a huge string, list or number (``%`` formatting of strings is refused), and
  all of them so that empty flows through as in Bubble (``None + days(1)`` is None);
* comparisons are compiled to ``environment.compare``, so one with an empty side is false
  (``==``/``!=`` compare as usual) and ``x in None`` is false, not a TypeError;
* ``~`` and text output (``{{ }}`` inside text) are size-checked like the operators,
  counting the deep size of lists (see ``limits.weigh``), so a list holding one big string
  a million times cannot be printed;
* nothing is evaluated when an expression is compiled: Jinja's optimizer is off and every
  filter takes the context (``functions._guarded``), which Jinja never folds, so saving a
  workflow never runs its expressions;
* attributes are readable only on plain values (text, numbers, lists, dicts, dates), the
  expression types (``params``, ``steps``, lists of things, files) and things; every
  other object (a function's ``args``, the run's internals) is opaque;
* methods are callable only from a short allowlist per type (``str.format``,
  ``str.join``, ``str.center``, ``int.to_bytes`` and friends are not on it);
* on a thing (a model instance) only its visible fields and relations to other data types
  are readable, never its methods (``save``, ``delete``) or hidden fields (``password``);
  related managers come back as lists;
* every attribute access, call and filter checks a wall-clock deadline.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import uuid
from collections.abc import Callable
from operator import ge, gt, le, lt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.fields.files import FieldFile
from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .. import data_types
from ..data_model.options import same_option
from ..models.data_model import Option
from ..privacy.grants import FIND
from .calendar_steps import is_calendar_step, shift
from .functions import FILTERS
from .kinds import OPTION_KEYS
from .limits import allocate, check_deadline, check_size, check_weight, weigh
from .values_types import FileValue, Namespace, Steps, ThingList

_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        "lower upper title capitalize casefold swapcase strip lstrip rstrip startswith "
        "endswith split rsplit splitlines partition rpartition find rfind count index "
        "isdigit isnumeric isdecimal isalpha isalnum islower isupper isspace istitle "
        "removeprefix removesuffix".split()
    ),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items"}),
    datetime.datetime: frozenset(
        "date time weekday isoweekday isoformat timestamp replace isocalendar".split()
    ),
    datetime.date: frozenset("weekday isoweekday isoformat replace isocalendar".split()),
    datetime.timedelta: frozenset({"total_seconds"}),
}

#: Values whose plain (non-method) attributes are harmless: ``now.year``, ``delta.days``.
_PLAIN_TYPES = (
    str,
    int,
    float,
    decimal.Decimal,
    list,
    tuple,
    dict,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
)
#: What a file field of a thing shows (not its storage, path or open file).
_FILE_ATTRIBUTES = frozenset({"url", "name", "size"})
_MAX_INT_BITS = 1_000_000


def _safe_methods_for(obj: Any) -> frozenset[str]:
    for cls in type(obj).__mro__:
        if cls in _SAFE_METHODS:
            return _SAFE_METHODS[cls]
    return frozenset()


def _finalize(value: Any) -> Any:
    """How values print inside text: nothing for None, ISO 8601 for dates."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        check_weight(value, "text")  # before Jinja turns a list into text
    return value


class _CodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to ``environment.concat((a, b))`` so joining is size-checked
    (Jinja's own ``str_join`` is not an intercepted operator), and ``a < b`` (every
    comparison) to ``environment.compare("lt", a, b)`` so empty values compare as in
    Bubble (Jinja has no hook for comparisons)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        # a < b < c: every operand is evaluated (no short circuit), then compared in turn
        self.write("environment.compare(")
        self.visit(node.expr, frame)
        self.write(", (")
        for operand in node.ops:
            self.write(f"({operand.op!r}, ")
            self.visit(operand.expr, frame)
            self.write("), ")
        self.write("))")


def _with_empty(operator: str, left: Any, right: Any) -> Any:
    """Bubble's empty in arithmetic: empty. Joined to text or a list with ``+``, it adds
    nothing (``'Order ' + params.note`` is ``'Order '``, ``params.tags + ['x']`` is ``['x']``)."""
    other = right if left is None else left
    if operator == "+" and isinstance(other, str | list | tuple):
        return other
    return None


def _same_kind_of_number(left: Any, right: Any) -> tuple[Any, Any]:
    """A money field's Decimal with a float (``order.total * 1.2``): Python refuses to mix
    them; the float is read as the decimal it prints as (1.2, not 1.1999999999999999556)."""
    if isinstance(left, decimal.Decimal) and isinstance(right, float):
        return left, decimal.Decimal(repr(right))
    if isinstance(right, decimal.Decimal) and isinstance(left, float):
        return decimal.Decimal(repr(left)), right
    return left, right


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """An ordering comparison that is false when either side is empty."""
    return lambda a, b: a is not None and b is not None and compare(a, b)


def _equal(left: Any, right: Any) -> bool:
    """``==``; an option equals its display text, in any case (``thing.stage == 'Won'``,
    docs/data-types.md#options-in-expressions)."""
    same = same_option(left, right)
    return left == right if same is None else same


def _contains(container: Any, item: Any) -> bool:
    """``item in container``, false when the container is empty or cannot hold it (text
    holds only text: ``None in 'abc'`` is false, not a TypeError). An option is in a list
    holding its display, a display in a list of options."""
    if container is None:
        return False
    if isinstance(container, str) and not isinstance(item, str):
        return False
    if isinstance(container, list | tuple | ThingList) and (
        isinstance(item, Option) or (isinstance(item, str) and isinstance(container, ThingList))
    ):
        return any(_equal(member, item) for member in container)
    return item in container


def _is_empty(value: Any) -> bool:
    """Bubble's "is empty": nothing, empty text, or an empty list (``x is empty``,
    ``x is not empty``)."""
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict | ThingList):
        return len(value) == 0
    return False


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "ne": lambda a, b: not _equal(a, b),
    "lt": _ordered(lt),
    "lteq": _ordered(le),
    "gt": _ordered(gt),
    "gteq": _ordered(ge),
    "in": lambda a, b: _contains(b, a),
    "notin": lambda a, b: not _contains(b, a),
}


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%", "-", "/", "//"})
    intercepted_unops = frozenset({"-", "+"})
    code_generator_class = _CodeGenerator

    def __init__(self) -> None:
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            finalize=_finalize,
            cache_size=0,
            auto_reload=False,
            # Jinja's optimizer runs filters on constant arguments while compiling, i.e.
            # when a workflow is saved, outside any time budget and before any run.
            optimized=False,
        )
        # Only the curated names exist; Jinja's lipsum/cycler/joiner/namespace do not.
        range_func = self.globals["range"]
        self.globals.clear()
        self.globals.update({"range": range_func, "dict": dict})
        self.filters = dict(FILTERS)
        self.tests["empty"] = _is_empty

    # --- operators -----------------------------------------------------------------------

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_deadline()
        if left is None or right is None:
            return _with_empty(operator, left, right)
        left, right = _same_kind_of_number(left, right)
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str) and isinstance(times, int):
                    allocate(len(seq) * max(times, 0), "repetition")
                elif isinstance(seq, list | tuple) and isinstance(times, int):
                    # deep size: [big_text] * n costs n times big_text once printed
                    allocate((weigh(seq) - 1) * max(times, 0), "repetition")
            both_ints = isinstance(left, int) and isinstance(right, int)
            if both_ints and left.bit_length() + right.bit_length() > _MAX_INT_BITS:
                raise SecurityError("number too large")
        elif operator == "**":
            both_ints = isinstance(left, int) and isinstance(right, int)
            if both_ints and right > 0 and max(left.bit_length(), 1) * right > _MAX_INT_BITS:
                raise SecurityError("power too large")
        elif operator == "+":
            if isinstance(left, str) and isinstance(right, str):
                allocate(len(left) + len(right), "concatenation")
            elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
                allocate(weigh(left) + weigh(right) - 2, "concatenation")
        elif operator == "%" and isinstance(left, str | bytes):
            raise SecurityError("'%' formatting of text is not available; use ~ to join text")
        if operator in ("+", "-") and is_calendar_step(right) and isinstance(left, datetime.date):
            return shift(left, right, 1 if operator == "+" else -1)
        if operator == "+" and is_calendar_step(left) and isinstance(right, datetime.date):
            return shift(right, left)
        return self.binop_table[operator](left, right)

    def call_unop(self, context: Any, operator: str, arg: Any) -> Any:
        return None if arg is None else self.unop_table[operator](arg)

    def compare(self, left: Any, operands: tuple[tuple[str, Any], ...]) -> bool:
        """``left op1 a op2 b ...`` as Python chains it, each comparison null-safe."""
        check_deadline()
        for op, right in operands:
            if not _COMPARISONS[op](left, right):
                return False
            left = right
        return True

    def concat(self, parts: tuple[Any, ...]) -> str:
        """``a ~ b ~ c``: text joined after checking the size of what is built."""
        check_deadline()
        texts: list[str] = []
        total = 0
        for part in parts:
            if part is None:
                continue  # empty joins as nothing, as it prints
            if not isinstance(part, str):
                check_weight(part, "text")
                part = str(part)
            total += len(part)
            check_size(total, "text")
            texts.append(part)
        allocate(total, "text")
        return "".join(texts)

    # --- attributes ----------------------------------------------------------------------

    def wrap_str_format(self, value: Any) -> None:
        # str.format / format_map are refused outright (see is_safe_attribute), so the
        # sandbox's own wrapping of them is not needed.
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, models.Model):
            return attr in data_types.readable_attributes(type(obj))
        if isinstance(obj, Namespace | Steps | ThingList | FileValue):
            return not callable(value)
        if isinstance(obj, FieldFile):
            return attr in _FILE_ATTRIBUTES
        if isinstance(obj, _PLAIN_TYPES):
            return attr in _safe_methods_for(obj) if callable(value) else True
        # Anything else (functions and their ``args``, the run's context, managers,
        # storages) is opaque: reading its attributes would reach the engine's internals.
        return False

    def _option_attribute(self, option: Option, name: str) -> Any:
        """An option's ``display`` and ``attributes``, and each attribute by its own name as
        Bubble reads it ("stage's color": ``thing.stage.color``); an attribute named like
        one of the option's own keys is read as ``attributes.<name>``."""
        if name in OPTION_KEYS:
            return getattr(option, name)
        attributes = option.attributes or {}
        if name in attributes:
            return _wrap(attributes[name])
        if name.startswith("_"):
            return self.undefined(obj=option, name=name, exc=SecurityError)
        return None  # an attribute this option lacks, as ``attributes.<name>``: empty

    def is_safe_callable(self, obj: Any) -> bool:
        if not super().is_safe_callable(obj):
            return False
        owner = getattr(obj, "__self__", None)
        return not isinstance(owner, models.Model | models.QuerySet | models.Manager)

    def getattr(self, obj: Any, attribute: str) -> Any:
        check_deadline()
        if obj is None:
            return None  # Bubble's "empty": an empty customer's email is empty, not an error
        if isinstance(obj, models.Model):
            return self._thing_attribute(obj, attribute)
        return _wrap(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        check_deadline()
        if obj is None:
            return None
        if isinstance(obj, models.Model) and isinstance(argument, str):
            return self._thing_attribute(obj, argument)
        return _wrap(super().getitem(obj, argument))

    def _thing_attribute(self, thing: models.Model, name: str) -> Any:
        if isinstance(thing, Option):
            return self._option_attribute(thing, name)
        if name not in data_types.readable_attributes(type(thing)):
            return self.undefined(
                f"{data_types.label_of(thing)} has no readable field {name!r}",
                obj=thing,
                name=name,
                exc=SecurityError if name.startswith("_") else UndefinedError,
            )
        data = _run_data(thing)
        if data is not None and not _field_visible(data, thing, name):
            return None  # as Bubble shows a field privacy rules hide: empty
        try:
            value = getattr(thing, name)
        except ObjectDoesNotExist:
            return None
        related = isinstance(value, models.Model) and data_types.is_thing(value)
        if data is not None and related and not data.can_reach(value):
            return None  # a related thing the user may not reach is not there
        return _wrap(value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        check_deadline()
        if __obj is None:
            return None  # a method of an empty value (``params.note.lower()``): empty
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str | list | tuple | dict):
            allocate(weigh(result), "result")  # 'text'.upper(), dict(...), split()
        return _wrap(result)


def _run_data(thing: models.Model) -> Any:
    """The running workflow's privacy filter, when reading ``thing`` is subject to it: not
    when nothing runs, the run ignores privacy rules, the thing is not stored (yet or any
    more), or it is the very thing a database trigger is about (``thing``/``thing_before``,
    given to the trigger whole)."""
    from .context import current_run  # the context imports this module

    ctx = current_run()
    if ctx is None or ctx.data.unrestricted or thing.pk is None:
        return None
    if any(thing is given for given in ctx.extra.values()):
        return None
    return ctx.data


def _field_visible(data: Any, thing: models.Model, name: str) -> bool:
    """Whether the field behind ``name`` (``customer`` or ``customer_id``) may be read."""
    field = _CONCRETE_BY_NAME(type(thing)).get(name)
    if field is None or field.primary_key:
        return True  # the id, and relations listed as lists (filtered by what may be found)
    visible = data.visible_fields(thing)
    return visible is None or field.name in visible


def _wrap(value: Any) -> Any:
    """Related managers and querysets reach expressions as lists of things: only the things
    the run may find (privacy rules), as with ``search()``."""
    if isinstance(value, models.Manager):
        value = value.all()
    if isinstance(value, models.QuerySet):
        from .context import current_run  # the context imports this module

        ctx = current_run()
        return ThingList(ctx.data.restrict(value, FIND) if ctx is not None else value)
    return value


@functools.lru_cache(maxsize=256)
def _CONCRETE_BY_NAME(model: type[models.Model]) -> dict[str, models.Field]:  # noqa: N802
    """A model's concrete fields by name and by column name (``customer_id``)."""
    fields: dict[str, models.Field] = {}
    for field in model._meta.concrete_fields:
        fields[field.name] = field
        fields[field.attname] = field
    return fields


# One environment for the whole process: it is immutable once built and thread-safe.
environment = SandboxEnvironment()
