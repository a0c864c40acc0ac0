"""Data types: the Django models workflows may touch — those an operator lists in
``BUBBLE_DATA_TYPES`` (``app_label.Model``) and those a builder defined without code
(``Lead``, built by ``workflows.data_model``).

Everything that turns a data type label into a model, names a model, lists a model's
fields, or turns a thing into plain data goes through here, so hidden fields
(``password``) stay hidden and a type defined without code goes by its builder's name.
"""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone

from . import accounts, conf
from .exceptions import WorkflowError


class UnknownDataType(WorkflowError):
    code = "INVALID_DATA_TYPE"
    http_status = 400


@lru_cache(maxsize=1)
def _allowed() -> dict[str, type[models.Model]]:
    from .data_model.registry import built_models

    allowed: dict[str, type[models.Model]] = {}
    for label in conf.get("DATA_TYPES"):
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue  # reported by the system check workflows.E001
        allowed[model._meta.label_lower] = model
    allowed.update(built_models())  # by lower-cased name: no dot, never a code label
    return allowed


def clear_cache() -> None:
    _allowed.cache_clear()


def _types() -> dict[str, type[models.Model]]:
    """The allowed models, with the data model made current first when this request or
    run has not yet looked (``data_model.registry``)."""
    from .data_model.registry import ensure_current_once

    ensure_current_once()
    return _allowed()


def allowed_models() -> list[type[models.Model]]:
    return list(dict.fromkeys(_types().values()))


def allowed_labels() -> list[str]:
    """Allowed data types' labels ("app_label.ModelName", or a name such as "Lead" for a
    type defined without code), sorted."""
    return sorted(label_of(m) for m in _types().values())


def get_model(label: str) -> type[models.Model]:
    """The model for a data type label, refusing anything not allowed."""
    model = _types().get(str(label).lower())
    if model is None:
        raise UnknownDataType(
            f"unknown data type {label!r}; allowed: {', '.join(allowed_labels()) or 'none'}"
        )
    return model


def is_thing(value: Any) -> bool:
    return isinstance(value, models.Model) and _key(type(value)) in _types()


def label_of(model_or_thing: Any) -> str:
    """The data type's label: ``app_label.Model``, or a type defined without code's name."""
    return getattr(model_or_thing, "BUBBLE_TYPE_NAME", "") or model_or_thing._meta.label


def label_lower(model_or_thing: Any) -> str:
    return label_of(model_or_thing).lower()


def _key(model: type[models.Model]) -> str:
    return label_lower(model)


def hidden_field_names() -> frozenset[str]:
    return frozenset(conf.get("HIDDEN_FIELDS"))


def visible_fields(model: type[models.Model]) -> list[models.Field]:
    """Concrete fields a workflow may read or write (foreign keys included)."""
    hidden = hidden_field_names()
    return [f for f in model._meta.concrete_fields if f.name not in hidden]


def list_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    """Lists of things (many-to-many fields to other data types) and lists of options a
    workflow, the Data API and returned data may read: a user's ``groups`` or
    ``user_permissions`` are not."""
    from .data_model.options import is_option_field

    hidden = hidden_field_names()
    return [
        f
        for f in model._meta.many_to_many
        if f.name not in hidden and (is_data_type(f.related_model) or is_option_field(f))
    ]


def bubble_names(model: type[models.Model]) -> dict[str, str]:
    """The model's fields that go by Bubble's names in the Data API (``Created Date``...):
    its ``BUBBLE_NAMES``, field name → name (``workflows.bubble_fields``), for visible
    fields only."""
    names = getattr(model, "BUBBLE_NAMES", None)
    if not names:
        return {}
    visible = {f.name for f in visible_fields(model)} | {f.name for f in list_fields(model)}
    return {field: str(name) for field, name in names.items() if field in visible}


def field_by_bubble_name(model: type[models.Model], name: str) -> str | None:
    """The field a Bubble name (``Created Date``) stands for on ``model``, if any."""
    return next((f for f, bubble in bubble_names(model).items() if bubble == name), None)


def field_names(model: type[models.Model]) -> set[str]:
    """Names usable in ``fields``/``changes``: concrete fields and many-to-many fields."""
    hidden = hidden_field_names()
    names = {f.name for f in visible_fields(model)}
    names |= {f.name for f in model._meta.many_to_many if f.name not in hidden}
    return names


def is_data_type(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, models.Model) and _key(model) in _types()


def protected_field_names(model: type[models.Model]) -> frozenset[str]:
    """Fields no workflow may write on ``model`` (``PROTECTED_FIELDS``): privileges and
    credentials such as ``is_superuser``, whatever the caller sends.

    The ``auth.User`` entry also covers a custom user model (``AUTH_USER_MODEL``).
    """
    configured = {str(k).lower(): v for k, v in conf.get("PROTECTED_FIELDS").items()}
    names = set(configured.get(model._meta.label_lower, ()))
    if model._meta.label_lower == settings.AUTH_USER_MODEL.lower():
        names |= set(configured.get("auth.user", ()))
    return frozenset(names)


def readable_attributes(model: type[models.Model]) -> set[str]:
    """Attributes an expression may read on a thing: fields, ``pk``/``id`` and relations.

    Many-to-many and reverse relations count only when they lead to a data type: a user's
    ``api_keys``, ``workflow_runs``, ``groups`` or admin log entries are not data a
    workflow was given.
    """
    hidden = hidden_field_names()
    names = {f.name for f in visible_fields(model)} | {"pk", "id"}
    names |= {f.name for f in list_fields(model)}
    for rel in model._meta.related_objects:
        if not is_data_type(rel.related_model):
            continue
        accessor = rel.get_accessor_name()
        if accessor and not accessor.startswith("_"):
            names.add(accessor)
    for f in visible_fields(model):
        if f.is_relation:
            names.add(f.attname)  # e.g. customer_id
    return names - hidden


def plain(value: Any) -> Any:
    """A scalar JSON can carry (dates as ISO 8601, decimals as numbers)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        # a whole number as an int, but never a huge one (int(Decimal("1E+999999")) would
        # build a million digits); float() of a huge or non-finite one is inf or nan
        if value.is_finite() and value.adjusted() < 18 and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.url if value else None
    return value


def thing_to_dict(
    thing: models.Model, *, fields: frozenset[str] | set[str] | None = None
) -> dict[str, Any]:
    """A thing in Bubble's Data API shape: ``_id``, ``_type`` and its fields (under
    Bubble's names where the model gives them, ``bubble_names``).

    ``fields`` limits them to those a privacy rule shows (None: every visible field); a
    related thing appears as its id, a list of things as a list of ids (one query per
    list unless ``prefetch_links`` read them for many things at once); an option as its
    display, a list of options as their displays (``data_model.options``).
    """
    from .data_model import options

    data: dict[str, Any] = {"_id": wire_id(thing), "_type": label_of(thing)}
    named = bubble_names(type(thing))
    for f in visible_fields(type(thing)):
        if f.primary_key or (fields is not None and f.name not in fields):
            continue
        value = getattr(thing, f.attname)
        if options.is_option_field(f):
            value = options.display(value)
        elif f.is_relation and value is not None and _names_by_unique_id(thing, f):
            value = _linked_unique_id(thing, f, value)
        elif isinstance(value, list):  # a list of texts, numbers or dates
            value = [plain(item) for item in value]
        data[named.get(f.name, f.name)] = plain(value)
    for f in list_fields(type(thing)):
        if fields is None or f.name in fields:
            ids = _list_ids(thing, f)
            data[named.get(f.name, f.name)] = (
                options.displays(ids) if options.is_option_field(f) else ids
            )
    return data


def shows_unique_id(model: type[models.Model]) -> bool:
    """Whether the APIs name ``model``'s things by their unique id (a data type defined
    without code: Bubble's ids) rather than their primary key."""
    return bool(getattr(model, "UNIQUE_ID_ON_THE_WIRE", False))


def wire_id(thing: models.Model) -> Any:
    """A thing's ``_id`` in the APIs' answers: its unique id where ``shows_unique_id``
    (``1503408875694x944431186090727200``); a user account's Bubble id when it was brought
    over from Bubble (``UserUniqueId``); else its primary key. Every form is taken wherever
    an id is given (``workflows.thing_ids``); logs and the admin use the primary key."""
    if shows_unique_id(type(thing)):
        return thing.unique_id
    if accounts.is_user_model(type(thing)):
        kept = _kept_unique_id(thing)
        if kept is not None:
            return kept
    return plain(thing.pk)


def _kept_unique_id(user: models.Model) -> str | None:
    """A user's Bubble id, if it has one (read with it by ``prefetch_links``, else one
    query)."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return user.bubble_unique_id.unique_id  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None


def _names_by_unique_id(thing: models.Model, field: models.Field) -> bool:
    """Whether ``field`` of ``thing`` answers with the linked thing's ``wire_id`` rather
    than its primary key: a link to a data type defined without code, and a link to a user
    from one (the things brought over from Bubble, which point at users brought with them;
    a data type defined in code keeps its developer's numbers)."""
    target = field.related_model
    return shows_unique_id(target) or (
        shows_unique_id(type(thing)) and accounts.is_user_model(target)
    )


def _linked_unique_id(thing: models.Model, field: models.Field, pk: Any) -> Any:
    """The ``wire_id`` of the thing ``field`` points to: from the one read with it
    (``prefetch_links``), else one query; None when it no longer exists (references are
    soft: a deleted thing reads as empty)."""
    if field.is_cached(thing):
        linked = field.get_cached_value(thing)
        return wire_id(linked) if linked is not None else None
    model = field.related_model
    if shows_unique_id(model):
        return model._default_manager.filter(pk=pk).values_list("unique_id", flat=True).first()
    found = model._default_manager.filter(pk=pk).values_list("bubble_unique_id__unique_id", "pk")
    row = found.first()
    return None if row is None else (row[0] or plain(row[1]))


def _list_ids(thing: models.Model, field: models.ManyToManyField) -> list[Any]:
    if thing.pk is None:
        return []
    named = _names_by_unique_id(thing, field)
    prefetched = getattr(thing, "_prefetched_objects_cache", {})
    if field.name in prefetched:
        return [wire_id(item) if named else plain(item.pk) for item in prefetched[field.name]]
    items = getattr(thing, field.name)
    if not named:
        return [plain(pk) for pk in items.values_list("pk", flat=True)]
    if shows_unique_id(field.related_model):
        return list(items.values_list("unique_id", flat=True))
    return [
        kept or plain(pk) for kept, pk in items.values_list("bubble_unique_id__unique_id", "pk")
    ]


def prefetch_links(things: list[models.Model]) -> None:
    """Read the lists of things of many things in one query per list field, and the things
    their references point to where the answer names them by unique id, so that
    ``thing_to_dict`` on a page of results does not query once per thing."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for thing in things:
        if thing.pk is not None:
            by_model.setdefault(type(thing), []).append(thing)
    for model, group in by_model.items():
        names = [f.name for f in list_fields(model)]
        names += [
            f.name
            for f in visible_fields(model)
            if f.is_relation and not f.many_to_many and shows_unique_id(f.related_model)
        ]
        if shows_unique_id(model):  # the users they point at: with their Bubble ids
            names += [
                f"{f.name}__bubble_unique_id"
                for f in [*visible_fields(model), *list_fields(model)]
                if f.is_relation and accounts.is_user_model(f.related_model)
            ]
        if accounts.is_user_model(model):
            names.append("bubble_unique_id")
        if names:
            models.prefetch_related_objects(group, *names)


def field_value(field: models.Field, value: Any) -> Any:
    """``value`` as ``field`` holds it, refusing (``ValidationError``) an integer the
    database cannot store: an id of 10**30 is "not a valid id", not a crash."""
    value = field.to_python(value)
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValidationError(f"{value} is out of range", code="out_of_range")
    return value


def pk_value(model: type[models.Model], value: Any) -> Any:
    """A primary key of ``model`` read from input (see ``field_value``)."""
    return field_value(model._meta.pk, value)


def thing_reference(thing: models.Model) -> dict[str, Any]:
    """A compact pointer to a thing for run logs: type, id and its text."""
    return {"_type": label_of(thing), "_id": plain(thing.pk), "_display": str(thing)[:200]}


# --- what every database can store and read back -------------------------------------------

#: The moments (dates with a time) accepted anywhere one is written (parameters, things,
#: scheduled times): Python holds years 1 to 9999 only, and a moment at either end moves
#: out of that range in another time zone (PostgreSQL then stores a year-0 "BC" date that
#: no Python process can read back, which made a whole data type unreadable). A calendar
#: date (a ``DateField``) has no time zone: Python's whole range is fine, 9999-12-31 too.
EARLIEST_DATE = datetime.datetime(1, 1, 2, tzinfo=datetime.timezone.utc)
LATEST_DATE = datetime.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)
DATE_RANGE = "dates with a time from 0001-01-02 to 9999-12-30 are accepted"
#: how deeply JSON stored in a field may nest
MAX_JSON_DEPTH = 100


def check_date(value: datetime.date) -> datetime.date:
    """``value`` if it lies in the accepted range, else ``ValueError`` saying so."""
    if not isinstance(value, datetime.datetime):
        return value  # a calendar date: any Python can hold
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        inside = EARLIEST_DATE <= value.astimezone(datetime.timezone.utc) <= LATEST_DATE
    except (OverflowError, ValueError):
        inside = False
    if not inside:
        raise ValueError(f"{value.isoformat()} is out of range: {DATE_RANGE}")
    return value


def storable_problem(value: Any) -> str | None:
    """Why a database could not store ``value`` (or give it back to Python); None if it can.

    Dates out of range, numbers that are not finite (JSON and PostgreSQL's numeric refuse
    them), text holding NUL or a lone surrogate (PostgreSQL refuses both), JSON nested past
    ``MAX_JSON_DEPTH``: each is a clear refusal of the write, not a database error later."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text may not contain NUL (\\u0000) characters"
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "text may not contain lone surrogates (such as \\ud800)"
        elif isinstance(item, float | decimal.Decimal):
            if not (math.isfinite(item) if isinstance(item, float) else item.is_finite()):
                return f"{item} is not a finite number"
        elif isinstance(item, datetime.date):
            try:
                check_date(item)
            except ValueError as exc:
                return str(exc)
        elif isinstance(item, dict | list | tuple):
            if depth >= MAX_JSON_DEPTH:
                return f"the value is nested more than {MAX_JSON_DEPTH} levels deep"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None
