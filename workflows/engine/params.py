"""Parameter specs and coercion: raw input (JSON, form, query string, Python) → typed values.

Every entry point (REST, admin "run now", custom events, the scheduler) coerces through
``coerce_params`` so a parameter means the same thing wherever a run comes from. Errors
name the parameter and carry the REST contract's code.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from .. import data_types, jsontext, thing_ids
from ..choices import ParameterType
from ..exceptions import InvalidParameter, MissingParameter, ThingNotFound
from .param_types import (
    Invalid,
    ParamType,
    describe_value,
    param_type,
    parse_calendar_date,
    parse_date,
)
from .values_types import ThingList

__all__ = [
    "MAX_LIST_LENGTH",
    "ParamSpec",
    "Validated",
    "coerce_params",
    "coerce_value",
    "parse_calendar_date",
    "parse_date",
]

MAX_LIST_LENGTH = 10_000


@dataclass(frozen=True)
class Validated:
    """Parameters coerced already — by the API's serializer of the workflow — with the
    privacy access (``privacy.access.DataAccess``) their things were looked up through:
    ``engine.run`` takes them as they are, and runs with that access, so a call's
    parameters are coerced, and its privacy rules read, once."""

    values: Mapping[str, Any]
    access: Any


@dataclass(frozen=True)
class ParamSpec:
    key: str
    type: str = ParameterType.TEXT
    data_type: str = ""
    is_list: bool = False
    optional: bool = False
    default: Any = None
    description: str = ""
    #: masked in run logs, the admin and error messages (``workflows.masking``)
    secret: bool = False
    #: API workflows: read from the URL's query string only, never the body (Bubble's
    #: "Querystring" option; ``api.params``)
    querystring: bool = False

    @property
    def model(self) -> type[models.Model]:
        return data_types.get_model(self.data_type)

    @property
    def param_type(self) -> ParamType:
        """Its type's class in the registry (``engine.param_types``)."""
        return param_type(self.type)


#: where ``thing`` parameters are looked up: model -> the things the caller may reach
ThingSource = Callable[[type[models.Model]], models.QuerySet]


def _all_things(model: type[models.Model]) -> models.QuerySet:
    return model._default_manager.all()


def coerce_params(
    specs: Sequence[ParamSpec], raw: Mapping[str, Any], *, things: ThingSource | None = None
) -> dict[str, Any]:
    """Typed values for every declared parameter; keys not declared are ignored.

    ``things`` says where ids of ``thing`` parameters are looked up: the run's privacy
    filter (``DataAccess.reachable``), so an id the caller may not reach is NOT_FOUND
    exactly like one that does not exist. Without it, every thing is reachable.
    """
    values: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.key, None)
        if _is_missing(value, spec):
            if spec.default is not None:
                value = spec.default
            elif spec.optional:
                values[spec.key] = [] if spec.is_list else None
                continue
            else:
                raise MissingParameter(
                    f"missing required parameter {spec.key!r}", parameter=spec.key
                )
        values[spec.key] = coerce_value(spec, value, things=things)
    return values


def unstorable_text(value: Any) -> str | None:
    """Why text anywhere in ``value`` (a string, or a list or mapping of them, keys
    included) cannot be stored or compared by PostgreSQL — a NUL character, a lone
    surrogate (an expression can build either) — or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text may not contain NUL (\\u0000) characters"
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "text may not contain lone surrogates (such as \\ud800)"
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def coerce_value(spec: ParamSpec, value: Any, *, things: ThingSource | None = None) -> Any:
    """Coerce one parameter's value (a list for list parameters)."""
    problem = unstorable_text(value)
    if problem is not None:
        raise InvalidParameter(f"parameter {spec.key!r}: {problem}", parameter=spec.key)
    if spec.is_list:
        if isinstance(value, ThingList):
            value = list(value)
        if isinstance(value, str) and value.strip().startswith("["):
            value = _json_list(spec, value)
        if not isinstance(value, list | tuple):
            value = [value]
        if len(value) > MAX_LIST_LENGTH:
            raise InvalidParameter(
                f"parameter {spec.key!r} has {len(value)} items; at most {MAX_LIST_LENGTH}",
                parameter=spec.key,
            )
        if spec.param_type.needs_data_type:
            return _things(spec, list(value), things)
        return [_coerce_one(spec, item, f"{spec.key}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, list | tuple):
        raise InvalidParameter(
            f"parameter {spec.key!r} takes one value, not a list", parameter=spec.key
        )
    return _coerce_one(spec, value, spec.key, things)


def _is_missing(value: Any, spec: ParamSpec) -> bool:
    if value is None:
        return True
    # an empty form field is "not sent" for anything but text
    return value == "" and spec.param_type.blank_is_missing


def _json_list(spec: ParamSpec, text: str) -> Any:
    try:
        return jsontext.loads(text)  # refuses deep nesting and lone surrogates too
    except jsontext.UnsafeJson as exc:
        raise InvalidParameter(f"parameter {spec.key!r}: {exc}", parameter=spec.key) from None
    except ValueError:
        raise InvalidParameter(
            f"parameter {spec.key!r}: not a JSON list: {text[:60]!r}", parameter=spec.key
        ) from None


def _coerce_one(spec: ParamSpec, value: Any, where: str, things: ThingSource | None = None) -> Any:
    try:
        if spec.param_type.needs_data_type:
            return _things(spec, [value], things)[0]
        return spec.param_type.coerce(value)
    except Invalid as exc:
        raise InvalidParameter(f"parameter {where!r}: {exc}", parameter=spec.key) from None


def _things(
    spec: ParamSpec, values: list[Any], things: ThingSource | None = None
) -> list[models.Model]:
    """Things from ids (or things), fetched in one query, in the order given.

    Things given as objects (a custom event's ``params.order``) were reached already and
    are not looked up again.
    """
    model = spec.model
    ids: list[Any] = []
    for i, value in enumerate(values):
        where = f"{spec.key}[{i}]" if spec.is_list else spec.key
        if isinstance(value, models.Model):
            if not isinstance(value, model):
                raise InvalidParameter(
                    f"parameter {where!r}: expected a {data_types.label_of(model)}, "
                    f"got a {data_types.label_of(value)}",
                    parameter=spec.key,
                )
            ids.append(value)
            continue
        if isinstance(value, Mapping) and "_id" in value:
            value = value["_id"]
        if isinstance(value, bool) or not isinstance(value, str | int | uuid.UUID):
            raise InvalidParameter(
                f"parameter {where!r}: expected the id of a {data_types.label_of(model)}, "
                f"got {describe_value(value)}",
                parameter=spec.key,
            )
        try:
            text = value.strip() if isinstance(value, str) else value
            ids.append(thing_ids.thing_key(model, text))
        except ValidationError:
            raise InvalidParameter(
                f"parameter {where!r}: {str(value)[:60]!r} is not a valid "
                f"{data_types.label_of(model)} id",
                parameter=spec.key,
            ) from None
    wanted = [v for v in ids if not isinstance(v, models.Model)]
    found = thing_ids.in_bulk((things or _all_things)(model), wanted) if wanted else {}
    result = []
    for i, value in enumerate(ids):
        if isinstance(value, models.Model):
            result.append(value)
            continue
        thing = found.get(value)
        if thing is None:
            where = f"{spec.key}[{i}]" if spec.is_list else spec.key
            raise ThingNotFound(
                f"parameter {where!r}: no {data_types.label_of(model)} with id {value!r}",
                parameter=spec.key,
            )
        result.append(thing)
    return result
