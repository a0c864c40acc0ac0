"""Bubble's Data API search constraints, translated into a privacy-aware filter.

``constraints`` is a JSON list of ``{"key", "constraint_type", "value"}``. A constraint on a
field only matches things whose field the caller may see, so hidden values cannot be
found out by searching for them (the same for sorting: only by fields every rule that
lets the caller find things also shows). A field the caller's class could not see at all
(``privacy.audience.field_filter``) is answered as one that does not exist, and an unknown
field's error lists only the fields it may name.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .. import data_types, jsontext, thing_ids
from ..bubble_fields import ListField
from ..data_model import options
from ..engine.params import parse_calendar_date, parse_date, unstorable_text
from ..exceptions import InvalidParameter

MAX_CONSTRAINTS = 50
#: Bubble's name for a thing's id, besides the field names
ID_KEYS = {"_id", "id", "pk"}
_WORD = re.compile(r"\w+")
#: words of one ``text contains`` value: each is a term of the query, and SQLite refuses a
#: query nested past 1,000 terms (50 constraints of 10 words stay well inside)
MAX_WORDS = 10


@dataclass(frozen=True)
class Constraint:
    field: str  # the field's name ("pk" for the id)
    q: Q
    #: on a list of things: a thing matching through several items must still come once
    on_list: bool = False


#: which fields the caller may name (``privacy.audience.field_filter``); None: all of them
Named = Callable[[str], bool] | None


def parse_constraints(raw: Any, model: type[models.Model], named: Named = None) -> list[Constraint]:
    """Constraints from the ``constraints`` query parameter (JSON text or a list)."""
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = jsontext.load_parameter(
            raw,
            "constraints",
            malformed='not valid JSON; send a list of {"key": ..., "constraint_type": ..., '
            '"value": ...}',
        )
    if not isinstance(raw, list):
        raise InvalidParameter("constraints: must be a JSON list", parameter="constraints")
    problem = unstorable_text(raw)  # PostgreSQL cannot compare it: a 500 (found by fuzzing)
    if problem is not None:
        raise InvalidParameter(f"constraints: {problem}", parameter="constraints")
    if len(raw) > MAX_CONSTRAINTS:
        raise InvalidParameter(
            f"constraints: at most {MAX_CONSTRAINTS}, got {len(raw)}", parameter="constraints"
        )
    return [_constraint(item, model, i, named) for i, item in enumerate(raw)]


def _constraint(item: Any, model: type[models.Model], index: int, named: Named) -> Constraint:
    where = f"constraints[{index}]"
    if not isinstance(item, dict):
        raise InvalidParameter(f"{where}: must be an object", parameter="constraints")
    key, kind = item.get("key"), item.get("constraint_type")
    if not isinstance(key, str) or not key:
        raise InvalidParameter(f"{where}: 'key' must name a field", parameter="constraints")
    if not isinstance(kind, str) or kind not in CONSTRAINT_TYPES:
        raise InvalidParameter(
            f"{where}: unknown constraint_type {kind!r} "
            f"(known: {', '.join(sorted(CONSTRAINT_TYPES))})",
            parameter="constraints",
        )
    field = field_for(model, key, where, named)
    try:
        q = CONSTRAINT_TYPES[kind](field, item.get("value"))
    except (ValidationError, ValueError, TypeError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        raise InvalidParameter(
            f"{where}: {key} {kind} {item.get('value')!r}: {message}", parameter="constraints"
        ) from None
    return Constraint(field.name if not field.primary_key else "pk", q, field.many_to_many)


def field_for(model: type[models.Model], key: str, where: str, named: Named = None) -> models.Field:
    """The field a constraint or sort key names: one of the data type's visible fields the
    caller may name (``named``), by its name or by Bubble's (``Created Date``,
    ``data_types.bubble_names``)."""
    if key in ID_KEYS:
        return model._meta.pk
    fields = {f.name: f for f in data_types.visible_fields(model)}
    fields.update({f.name: f for f in data_types.list_fields(model)})
    key = data_types.field_by_bubble_name(model, key) or key
    field = fields.get(key)
    if field is None or not (field.primary_key or named is None or named(key)):
        known = [n for n, f in fields.items() if not f.primary_key and (named is None or named(n))]
        bubble = data_types.bubble_names(model)
        known += [bubble[n] for n in known if n in bubble]
        raise InvalidParameter(
            f"{where}: {data_types.label_of(model)} has no field {key!r} "
            f"(fields: _id, {', '.join(sorted(known))})",
            parameter="constraints" if where.startswith("constraints") else "sort_field",
        )
    return field


# --- the constraint types ------------------------------------------------------------------


def _value(field: models.Field, value: Any) -> Any:
    """``value`` as ``field`` stores it (a related thing by its id, dates as parameters
    read them)."""
    if value is None:
        return None
    if options.is_option_field(field):  # by its display, as the Data API shows it
        option = options.option_for(field, value)
        return option.pk if option is not None else None
    if field.is_relation:
        if isinstance(value, dict) and "_id" in value:
            value = value["_id"]
        return _thing_pk(field.related_model, value)
    if field.primary_key:
        return _thing_pk(field.model, value)
    if isinstance(field, models.DateTimeField):
        return parse_date(value)
    if isinstance(field, models.DateField):
        return parse_calendar_date(value)
    if isinstance(value, list | dict):
        raise ValueError("expected one value, not a list or an object")
    return data_types.field_value(field, value)


def _thing_pk(model: type[models.Model], value: Any) -> Any:
    """The primary key a thing's id stands for: itself, or the thing's whose unique id it
    is. A unique id of no thing stands for a key no thing has, never NULL: a search must
    answer the same whether a thing the caller may not see has that id or no thing has
    (``not equal`` to NULL would match nothing, and tell them apart)."""
    key = thing_ids.thing_key(model, value)
    if not isinstance(key, thing_ids.UniqueId):
        return key
    found = thing_ids.pks_of(model, [key]).get(key)
    return found if found is not None else _no_pk(model)


def _no_pk(model: type[models.Model]) -> Any:
    """A primary key no thing of ``model`` has."""
    kind = (
        model._meta.pk.target_field.get_internal_type()
        if model._meta.pk.is_relation
        else (model._meta.pk.get_internal_type())
    )
    if "Auto" in kind or "Integer" in kind:
        return -1  # ids count up from 1
    if kind == "UUIDField":
        return uuid.UUID(int=0)
    return ""


def _values(field: models.Field, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list of values")
    return [_value(field, v) for v in value]


def _lookup(field: models.Field) -> str:
    return "pk" if field.primary_key else field.name


def _equals(field: models.Field, value: Any) -> Q:
    value = _value(field, value)
    if value is None:
        return Q(**{f"{_lookup(field)}__isnull": True})
    return Q(**{_lookup(field): value})


def _empty(field: models.Field, value: Any) -> Q:
    name = _lookup(field)
    q = Q(**{f"{name}__isnull": True})
    if isinstance(field, models.CharField | models.TextField):
        q |= Q(**{name: ""})
    elif isinstance(field, ListField):
        q |= Q(**{name: []})
    return q


def words(text: str) -> list[str]:
    """The words of a ``text contains`` value: runs of letters, digits and ``_``."""
    return list(dict.fromkeys(_WORD.findall(text)))


def _text_contains(field: models.Field, value: Any) -> Q:
    """Bubble's keyword search: every word of ``value`` begins a word of the field, in any
    order, whatever the case ("hat cat" finds "the cat in the hat"; "cat" finds "cats",
    not "concatenate"). A word starts the text or follows a character that is none of
    letters, digits and ``_``: ``\\W`` means that in Python's ``re`` (SQLite's REGEXP)
    and in PostgreSQL's regular expressions alike."""
    if not isinstance(field, models.CharField | models.TextField):
        raise ValueError("'text contains' works on text fields")
    if not isinstance(value, str):
        raise ValueError("expected text")
    found = words(value)
    if not found:
        raise ValueError("expected text with at least one word (letters or digits)")
    if len(found) > MAX_WORDS:
        raise ValueError(f"at most {MAX_WORDS} different words, got {len(found)}")
    q = Q()
    for word in found:
        q &= Q(**{f"{_lookup(field)}__iregex": rf"(^|\W){re.escape(word)}"})
    return q


def _compare(lookup: str) -> Callable[[models.Field, Any], Q]:
    def build(field: models.Field, value: Any) -> Q:
        if field.primary_key or field.is_relation:
            model = field.model if field.primary_key else field.related_model
            if thing_ids.unique_id_in(model, value) is not None:  # where a hidden one sits
                raise ValueError("ids given as unique ids are compared with equals only")
        value = _value(field, value)
        if value is None:
            raise ValueError("expected a value to compare with")
        return Q(**{f"{_lookup(field)}__{lookup}": value})

    return build


def _in(field: models.Field, value: Any) -> Q:
    return Q(**{f"{_lookup(field)}__in": _values(field, value)})


def _contains(field: models.Field, value: Any) -> Q:
    """A list (many-to-many) holding a thing, a list of texts or numbers holding a value,
    or text holding words."""
    if field.many_to_many:
        return Q(**{field.name: _value(field, value)})
    if isinstance(field, ListField):
        kinds = ListField.KINDS[field.of]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise ValueError(f"expected a {field.of}")
        return Q(**{f"{field.name}__has_item": value})
    return _text_contains(field, value)


def _negated(build: Callable[[models.Field, Any], Q]) -> Callable[[models.Field, Any], Q]:
    return lambda field, value: ~build(field, value)


def _list_empty(field: models.Field, value: Any) -> Q:
    if not field.many_to_many:
        return _empty(field, value)
    return Q(**{f"{field.name}__isnull": True})


def _geographic(field: models.Field, value: Any) -> Q:
    raise ValueError("geographic searches are not supported")


CONSTRAINT_TYPES: dict[str, Callable[[models.Field, Any], Q]] = {
    "equals": _equals,
    "not equal": _negated(_equals),
    "is_empty": _empty,
    "is_not_empty": _negated(_empty),
    "text contains": _text_contains,
    "not text contains": _negated(_text_contains),
    "greater than": _compare("gt"),
    "less than": _compare("lt"),
    "in": _in,
    "not in": _negated(_in),
    "contains": _contains,
    "not contains": _negated(_contains),
    "empty": _list_empty,
    "not empty": _negated(_list_empty),
    "geographic_search": _geographic,
}
