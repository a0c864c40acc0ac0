"""A privacy rule's condition, translated into a database filter.

A condition is written in the expression language (``thing.customer.user == current_user``)
but never evaluated row by row: it is translated once, when the rule is saved, into a
function ``actor -> Q`` so that enforcing it is part of the query (``WHERE``), whatever
the size of the table. What cannot be translated is refused at save time, with the part
at fault named.

What translates:

* ``thing.<field>[.<field>...]`` through forward relations (and, for ``in``, a
  many-to-many or reverse relation as the last step: ``current_user in thing.members``);
* ``current_user`` and its readable fields, ``now``, constants, lists of constants,
  ``days()``/``hours()``/``minutes()``/``seconds()``/``weeks()`` and ``+``/``-`` on them;
* ``== != < <= > >= in not in``, ``is none`` / ``is not none``, ``and or not``, and a
  bare yes/no field, relation or text field as a truth test.

Anonymous callers: ``current_user`` and ``current_user.<field>`` are none, but a comparison
of a thing's field with them never matches (as in Bubble, a logged-out user is nobody's
owner, and an order without an owner is not theirs); ``current_user is none`` is true.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from jinja2 import nodes

from .. import data_types
from ..data_model import options
from ..engine import functions
from ..engine.expressions import _parse_expression
from ..exceptions import ExpressionError

#: matches every row / no row
MATCH_ALL = Q()
MATCH_NONE = Q(pk__in=[])

_NAMES = ("thing", "current_user", "now")
_DURATIONS = {"seconds", "minutes", "hours", "days", "weeks"}
_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lteq": operator.le,
    "gt": operator.gt,
    "gteq": operator.ge,
}
_LOOKUP = {"lt": "lt", "lteq": "lte", "gt": "gt", "gteq": "gte"}
_FLIPPED = {"lt": "gt", "lteq": "gteq", "gt": "lt", "gteq": "lteq", "eq": "eq", "ne": "ne"}
_OP_TEXT = {"eq": "==", "ne": "!=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}


class Untranslatable(ExpressionError):
    """The condition uses something a database query cannot express."""


class _Anonymous:
    """``current_user`` of an anonymous caller: none, but the owner of nothing."""

    def __repr__(self) -> str:
        return "none"


ANONYMOUS = _Anonymous()


def q_and(a: Q, b: Q) -> Q:
    """``a & b``, folding the constants (an empty ``Q`` matches all, even negated)."""
    if a == MATCH_NONE or b == MATCH_NONE:
        return MATCH_NONE
    if a == MATCH_ALL:
        return b
    if b == MATCH_ALL:
        return a
    return a & b


def q_or(a: Q, b: Q) -> Q:
    if a == MATCH_ALL or b == MATCH_ALL:
        return MATCH_ALL
    if a == MATCH_NONE:
        return b
    if b == MATCH_NONE:
        return a
    return a | b


def q_not(a: Q) -> Q:
    if a == MATCH_ALL:
        return MATCH_NONE
    if a == MATCH_NONE:
        return MATCH_ALL
    return ~a


def _plain(value: Any) -> Any:
    return None if value is ANONYMOUS else value


# --- the pieces a condition is made of ---------------------------------------------------


@dataclass(frozen=True)
class FieldRef:
    """``thing.a.b``: a path from the thing, ending on ``field`` of ``model``."""

    path: tuple[str, ...]
    model: type[models.Model]  # the model the last step lands on (or the thing's own)
    field: models.Field | None  # None: the thing itself (or a related thing: see relation)
    multi: bool = False  # the path crosses a many-to-many or reverse relation

    @property
    def lookup(self) -> str:
        return "__".join(self.path) or "pk"

    @property
    def is_thing(self) -> bool:
        """The path denotes a thing (the thing itself, or a relation), not a value."""
        return self.field is None or self.field.is_relation

    def describe(self) -> str:
        return ".".join(("thing", *self.path))


@dataclass(frozen=True)
class Known:
    """A value known once the actor is: a constant, ``current_user``, ``now``..."""

    get: Callable[[Any], Any]
    source: str
    is_user: bool = False  # the value is current_user itself


#: a translated truth test: the actor -> a filter on the thing's table
Predicate = Callable[[Any], Q]


@dataclass(frozen=True)
class TranslatedCondition:
    """A rule condition ready to filter a queryset for any actor."""

    source: str
    predicate: Predicate
    multi: bool  # some path crosses a multi-valued relation (filter through a subquery)

    def q(self, actor: Any) -> Q:
        return self.predicate(actor if actor is not None else ANONYMOUS)


def translate(source: str, model: type[models.Model]) -> TranslatedCondition:
    """Translate ``source`` for things of ``model``; an empty condition matches all."""
    source = (source or "").strip()
    if not source:
        return TranslatedCondition("", lambda actor: MATCH_ALL, False)
    if "{{" in source or "{%" in source:
        raise ExpressionError(
            f"write the condition without braces: {source!r} "
            "(e.g. thing.customer.user == current_user)"
        )
    tree = _parse_expression(source)
    translator = _Translator(model, source)
    predicate = translator.truth(tree)
    return TranslatedCondition(source, predicate, translator.multi)


class _Translator:
    def __init__(self, model: type[models.Model], source: str):
        self.model = model
        self.source = source
        self.multi = False

    def refuse(self, what: str) -> Untranslatable:
        return Untranslatable(
            f"{what} in {self.source!r} cannot be translated into a database query; "
            "privacy rules compare the thing's fields with constants, current_user or now"
        )

    # --- truth tests --------------------------------------------------------------------

    def truth(self, node: nodes.Expr) -> Predicate:
        if isinstance(node, nodes.And):
            left, right = self.truth(node.left), self.truth(node.right)
            return lambda actor: q_and(left(actor), right(actor))
        if isinstance(node, nodes.Or):
            left, right = self.truth(node.left), self.truth(node.right)
            return lambda actor: q_or(left(actor), right(actor))
        if isinstance(node, nodes.Not):
            inner = self.truth(node.node)
            return lambda actor: q_not(inner(actor))
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        if isinstance(node, nodes.Test):
            return self.test(node)
        term = self.term(node)
        if isinstance(term, Known):
            return lambda actor: MATCH_ALL if _plain(term.get(actor)) else MATCH_NONE
        return self.field_truth(term)

    def field_truth(self, ref: FieldRef) -> Predicate:
        """A field on its own: ``thing.is_public``, ``thing.customer``, ``thing.note``."""
        field = ref.field
        if ref.multi:
            q = Q(**{f"{ref.lookup}__isnull": False})
            return lambda actor: q
        if field is None or field.is_relation:
            q = Q(**{f"{ref.lookup}__isnull": False})
        elif isinstance(field, models.BooleanField):
            q = Q(**{ref.lookup: True})
        elif isinstance(field, models.CharField | models.TextField):
            q = Q(**{f"{ref.lookup}__isnull": False}) & ~Q(**{ref.lookup: ""})  # not constant
        else:
            raise self.refuse(
                f"{ref.describe()} on its own (a {type(field).__name__}) is not yes/no; "
                "compare it with something instead, e.g. "
                f"{ref.describe()} > 0, and"
            )
        return lambda actor: q

    def test(self, node: nodes.Test) -> Predicate:
        if node.name not in ("none", "defined") or node.args or node.kwargs:
            raise self.refuse(f"the test 'is {node.name}'")
        if node.name == "defined":
            raise self.refuse("'is defined'")
        term = self.term(node.node)
        if isinstance(term, Known):
            return lambda actor: MATCH_ALL if _plain(term.get(actor)) is None else MATCH_NONE
        if term.multi:
            raise self.refuse(f"'{term.describe()} is none' on a list")
        q = Q(**{f"{term.lookup}__isnull": True})
        return lambda actor: q

    def compare(self, node: nodes.Compare) -> Predicate:
        left_node = node.expr
        parts: list[Predicate] = []
        for operand in node.ops:  # a < b < c means a < b and b < c
            parts.append(self.compare_two(left_node, operand.op, operand.expr))
            left_node = operand.expr
        if len(parts) == 1:
            return parts[0]

        def all_of(actor: Any) -> Q:
            q = MATCH_ALL
            for part in parts:
                q = q_and(q, part(actor))
            return q

        return all_of

    def compare_two(self, left_node: nodes.Expr, op: str, right_node: nodes.Expr) -> Predicate:
        left, right = self.term(left_node), self.term(right_node)
        if op in ("in", "notin"):
            predicate = self.membership(left, right)
            if op == "notin":
                return lambda actor: q_not(predicate(actor))
            return predicate
        if op not in _COMPARE:
            raise self.refuse(f"the operator {op!r}")
        if isinstance(left, Known) and isinstance(right, Known):
            compare = _COMPARE[op]
            return lambda actor: (
                MATCH_ALL
                if _safe_compare(compare, _plain(left.get(actor)), _plain(right.get(actor)))
                else MATCH_NONE
            )
        if isinstance(left, Known):
            left, right, op = right, left, _FLIPPED[op]
        assert isinstance(left, FieldRef)
        if left.multi:
            raise self.refuse(
                f"comparing the list {left.describe()} (use 'x in {left.describe()}')"
            )
        if isinstance(right, FieldRef):
            return self.field_to_field(left, op, right)
        return self.field_to_value(left, op, right)

    def field_to_value(self, ref: FieldRef, op: str, known: Known) -> Predicate:
        lookup = ref.lookup
        if known.is_user:
            self.check_user_comparable(ref)

        def predicate(actor: Any) -> Q:
            value = known.get(actor)
            if value is ANONYMOUS:  # nobody's owner: == never matches, != always does
                return MATCH_NONE if op == "eq" else MATCH_ALL if op == "ne" else MATCH_NONE
            try:
                value = _as_lookup_value(ref, value)
            except _NoMatch:
                return MATCH_NONE if op != "ne" else MATCH_ALL
            if op in ("eq", "ne"):
                q = Q(**{f"{lookup}__isnull": True}) if value is None else Q(**{lookup: value})
                return q if op == "eq" else q_not(q)
            if value is None:
                return MATCH_NONE  # nothing is greater or smaller than none
            return Q(**{f"{lookup}__{_LOOKUP[op]}": value})

        return predicate

    def check_user_comparable(self, ref: FieldRef) -> None:
        """``thing.customer == current_user`` where a customer is not a user: never true,
        so surely a mistake; say so when the rule is saved."""
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if not ref.is_thing or not issubclass(user_model, _thing_model(ref)):
            kind = data_types.label_of(_thing_model(ref)) if ref.is_thing else "a value"
            raise ExpressionError(
                f"{ref.describe()} is {kind}, never equal to current_user "
                f"(a {data_types.label_of(user_model)}), in {self.source!r}"
            )

    def field_to_field(self, left: FieldRef, op: str, right: FieldRef) -> Predicate:
        if right.multi:
            raise self.refuse(f"comparing with the list {right.describe()}")
        other = models.F(right.lookup)
        if op == "eq":
            q = Q(**{left.lookup: other})
        elif op == "ne":
            q = ~Q(**{left.lookup: other})
        else:
            q = Q(**{f"{left.lookup}__{_LOOKUP[op]}": other})
        return lambda actor: q

    def membership(self, item: FieldRef | Known, container: FieldRef | Known) -> Predicate:
        if isinstance(container, Known) and isinstance(item, Known):
            return lambda actor: (
                MATCH_ALL
                if _safe_contains(_plain(container.get(actor)), _plain(item.get(actor)))
                else MATCH_NONE
            )
        if isinstance(container, Known):
            # thing.status in ['paid', 'sent']
            assert isinstance(item, FieldRef)
            if item.multi:
                raise self.refuse(f"'{item.describe()} in ...' on a list")

            def in_list(actor: Any) -> Q:
                values = _plain(container.get(actor))
                if isinstance(values, models.Manager):
                    values = values.all()
                if isinstance(values, models.QuerySet):  # current_user.customers
                    if not item.is_thing or not issubclass(values.model, _thing_model(item)):
                        return MATCH_NONE
                    return Q(**{f"{item.lookup}__in": values.values("pk")})
                if not isinstance(values, list | tuple):
                    return MATCH_NONE
                wanted = []
                for value in values:
                    try:
                        wanted.append(_as_lookup_value(item, value))
                    except _NoMatch:
                        continue
                return Q(**{f"{item.lookup}__in": wanted})

            return in_list
        if isinstance(item, FieldRef):
            raise self.refuse(f"'{item.describe()} in {container.describe()}'")
        ref = container
        if ref.multi and ref.is_thing:
            # current_user in thing.members
            def contains_thing(actor: Any) -> Q:
                value = item.get(actor)
                if value is ANONYMOUS or value is None:
                    return MATCH_NONE
                try:
                    return Q(**{ref.lookup: _as_lookup_value(ref, value)})
                except _NoMatch:
                    return MATCH_NONE

            return contains_thing
        if not ref.multi and isinstance(ref.field, models.CharField | models.TextField):
            # 'vip' in thing.tags_text
            def contains_text(actor: Any) -> Q:
                value = _plain(item.get(actor))
                if not isinstance(value, str) or not value:
                    return MATCH_NONE  # '' is in every text: a blank email owns nothing
                return Q(**{f"{ref.lookup}__contains": value})

            return contains_text
        raise self.refuse(f"'... in {ref.describe()}' (it is neither a list nor text)")

    # --- terms: a field path, or a value known from the actor --------------------------

    def term(self, node: nodes.Expr) -> FieldRef | Known:
        if isinstance(node, nodes.Name):
            return self.name(node.name)
        if isinstance(node, nodes.Const):
            value = node.value
            return Known(lambda actor: value, repr(value))
        if isinstance(node, nodes.List | nodes.Tuple):
            items = [self.term(item) for item in node.items]
            if not all(isinstance(i, Known) for i in items):
                raise self.refuse("a list holding fields of the thing")
            known = [i for i in items if isinstance(i, Known)]
            return Known(lambda actor: [_plain(i.get(actor)) for i in known], "a list")
        if isinstance(node, nodes.Getattr):
            return self.attribute(self.term(node.node), node.attr)
        if isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return self.attribute(self.term(node.node), node.arg.value)
            raise self.refuse("indexing ([...]) other than by a field name")
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, nodes.Add | nodes.Sub):
            return self.arithmetic(node)
        if isinstance(node, nodes.Neg):
            inner = self.term(node.node)
            if isinstance(inner, Known):
                return Known(lambda actor: -inner.get(actor), "a negative number")
        if isinstance(node, nodes.Filter):
            raise self.refuse(f"the filter |{node.name}")
        raise self.refuse(f"a {type(node).__name__.lower()} expression")

    def name(self, name: str) -> FieldRef | Known:
        if name == "thing":
            return FieldRef((), self.model, None)
        if name == "current_user":
            return Known(lambda actor: actor, "current_user", is_user=True)
        if name == "now":
            return Known(lambda actor: timezone.now(), "now")
        if name in ("true", "false", "none"):
            value = {"true": True, "false": False, "none": None}[name]
            return Known(lambda actor: value, name)
        raise Untranslatable(
            f"unknown name {name!r} in {self.source!r}: privacy rules can use "
            f"{', '.join(_NAMES)} (parameters and steps do not exist here)"
        )

    def attribute(self, base: FieldRef | Known, name: str) -> FieldRef | Known:
        if isinstance(base, Known):
            return self.user_attribute(base, name)
        if base.multi:
            raise self.refuse(f"{base.describe()}.{name} (a field of a list)")
        model = base.model if base.field is None else base.field.related_model
        if base.field is not None and not base.field.is_relation:
            raise self.refuse(f"{base.describe()}.{name} ({base.describe()} is not a thing)")
        if name in ("id", "pk"):
            return FieldRef((*base.path, "pk"), model, model._meta.pk)
        field = _readable_field(model, name)
        if field is None:
            readable = sorted(data_types.readable_attributes(model) - {"pk"} - _attnames(model))
            raise ExpressionError(
                f"{data_types.label_of(model)} has no readable field {name!r} in {self.source!r} "
                f"(fields: {', '.join(readable)})"
            )
        multi = field.many_to_many or field.one_to_many
        if multi:
            self.multi = True
        return FieldRef((*base.path, _query_name(field)), model, field, multi)

    def user_attribute(self, base: Known, name: str) -> Known:
        if not base.is_user:
            raise self.refuse(f"{base.source}.{name}")
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if name not in data_types.readable_attributes(user_model) or name.startswith("_"):
            raise ExpressionError(f"current_user has no readable field {name!r}")

        def get(actor: Any) -> Any:
            if actor is None or actor is ANONYMOUS:
                return ANONYMOUS  # none, and like current_user equal to no field
            return getattr(actor, name, None)

        return Known(get, f"current_user.{name}", is_user=False)

    def call(self, node: nodes.Call) -> Known:
        if not isinstance(node.node, nodes.Name) or node.node.name not in _DURATIONS:
            raise self.refuse("a function call other than days()/hours()/minutes()")
        if len(node.args) != 1 or node.kwargs or not isinstance(node.args[0], nodes.Const):
            raise self.refuse(f"{node.node.name}() without one constant number")
        func = functions.FUNCTIONS[node.node.name].func
        try:
            delta: datetime.timedelta = func(node.args[0].value)
        except Exception as exc:  # TypeError, SecurityError (too long): the rule's mistake
            raise ExpressionError(f"{exc} in {self.source!r}") from None
        return Known(lambda actor: delta, f"{node.node.name}()")

    def arithmetic(self, node: nodes.Add | nodes.Sub) -> Known:
        left, right = self.term(node.left), self.term(node.right)
        if not isinstance(left, Known) or not isinstance(right, Known):
            raise self.refuse("arithmetic on the thing's fields")
        combine = operator.add if isinstance(node, nodes.Add) else operator.sub

        def get(actor: Any) -> Any:
            a, b = _plain(left.get(actor)), _plain(right.get(actor))
            if a is None or b is None:
                return None
            return combine(a, b)

        return Known(get, "arithmetic")


def _readable_field(model: type[models.Model], name: str) -> models.Field | Any | None:
    if name not in data_types.readable_attributes(model) or name in _attnames(model):
        return None
    for field in model._meta.get_fields():
        if field.is_relation and field.auto_created and not field.concrete:
            if field.get_accessor_name() == name:
                return field  # a reverse relation (customer.orders)
        elif field.name == name:
            return field
    return None


def _attnames(model: type[models.Model]) -> set[str]:
    """``customer_id`` style names: compare ``thing.customer`` instead."""
    return {f.attname for f in model._meta.concrete_fields if f.attname != f.name}


def _query_name(field: Any) -> str:
    """The name a queryset filter uses for ``field``: for a reverse relation its query name
    (``order``), not its accessor (``order_set``)."""
    return field.name


class _NoMatch(Exception):
    """The value can never equal the field (a thing of another data type)."""


def _as_lookup_value(ref: FieldRef, value: Any) -> Any:
    """A value to compare with ``ref``: a thing compares by id, where the path is a thing;
    an option field with its display text (``thing.stage == 'Won'``)."""
    value = _plain(value)
    if isinstance(value, str) and options.is_option_field(ref.field):
        try:
            option = options.option_for(ref.field, value)
        except options.UnknownOption:
            raise _NoMatch from None
        return option.pk if option is not None else None
    if isinstance(value, models.Model):
        if not ref.is_thing or not isinstance(value, _thing_model(ref)):
            raise _NoMatch
        return value.pk
    return value


def _thing_model(ref: FieldRef) -> type[models.Model]:
    return ref.model if ref.field is None else ref.field.related_model


def _safe_compare(compare: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    try:
        return bool(compare(a, b))
    except TypeError:
        return False


def _safe_contains(container: Any, item: Any) -> bool:
    try:
        return item in container
    except TypeError:
        return False
