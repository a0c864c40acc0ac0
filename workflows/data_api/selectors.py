"""Reads of the Data API: one thing, or a page of a search, as the caller may see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .. import data_types, jsontext, thing_ids
from ..bubble_fields import CREATED_DATE
from ..exceptions import InvalidParameter, WorkflowError
from ..privacy.access import DataAccess
from ..privacy.audience import Audience, field_filter, opened_labels
from .constraints import field_for, parse_constraints

DEFAULT_LIMIT = 100
MAX_LIMIT = 100  # as Bubble's Data API
MAX_CURSOR = 10**9  # beyond it the database's OFFSET overflows (a 500, found by fuzzing)


class ThingNotFound(WorkflowError):
    code = "NOT_FOUND"
    http_status = 404


@dataclass(frozen=True)
class Page:
    cursor: int
    results: list[dict[str, Any]]
    remaining: int | None  # None: not counted (``exclude_remaining``)

    def as_response(self) -> dict[str, Any]:
        response = {"cursor": self.cursor, "results": self.results, "count": len(self.results)}
        if self.remaining is not None:
            response["remaining"] = self.remaining
        return response


def data_type_for(name: str, audience: Audience = Audience.ADMIN) -> type[models.Model]:
    """The data type a URL names: ``examples.order`` or, when unambiguous, ``order``. An
    unknown one is NOT_FOUND listing the data types ``audience`` could find, see or write
    things of (``privacy.audience``), never one its rules keep from it."""
    try:
        return data_types.get_model(name)
    except WorkflowError:
        pass
    matches = [m for m in data_types.allowed_models() if m._meta.model_name == name.lower()]
    if len(matches) == 1:
        return matches[0]
    known = opened_labels(audience)
    raise ThingNotFound(f"no data type {name!r} (data types: {', '.join(known) or 'none'})")


def thing_get(
    *,
    access: DataAccess,
    model: type[models.Model],
    thing_id: Any,
    grants: tuple[str, ...],
    lock: bool = False,
) -> models.Model:
    """The thing with ``thing_id`` if the caller holds one of ``grants`` on it; NOT_FOUND
    otherwise, whether it does not exist or is not the caller's to see. ``lock`` holds
    its row (``SELECT ... FOR UPDATE``) until the caller's transaction ends."""
    match = _by_unique_id(model, thing_id)
    try:
        match |= Q(pk=data_types.pk_value(model, thing_id))
    except ValidationError:
        if not match:
            raise ThingNotFound(f"no {data_types.label_of(model)} with id {thing_id!r}") from None
    queryset = access.restrict(model._default_manager.filter(match), *grants)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    thing = queryset.first()
    if thing is None:
        raise ThingNotFound(f"no {data_types.label_of(model)} with id {thing_id!r}")
    return thing


def _by_unique_id(model: type[models.Model], thing_id: Any) -> Q:
    """A thing is found by the Bubble unique id it kept too (``workflows.thing_ids``):
    callers keep the ids they had from Bubble."""
    key = thing_ids.unique_id_in(model, thing_id)
    return Q() if key is None else thing_ids.matching(model, key)


def thing_payload(access: DataAccess, thing: models.Model) -> dict[str, Any]:
    return data_types.thing_to_dict(thing, fields=access.serializer([thing])(thing))


def things_search(
    *,
    access: DataAccess,
    model: type[models.Model],
    constraints: Any = None,
    cursor: Any = 0,
    limit: Any = DEFAULT_LIMIT,
    sort_field: Any = None,
    descending: Any = False,
    additional_sort_fields: Any = None,
    exclude_remaining: Any = False,
) -> Page:
    """A page of the things the caller may find, in Bubble's search semantics.

    ``exclude_remaining`` leaves ``remaining`` out, as Bubble does, and with it the query
    that counts every matching thing: the cost of a page is then that of the page alone."""
    exclude_remaining = _yes(exclude_remaining, "exclude_remaining")
    cursor = _whole(cursor, "cursor", default=0, low=0, high=MAX_CURSOR)
    limit = _whole(limit, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    queryset = access.findable(model)
    policy = None if access.unrestricted else access.policy(model)
    named = field_filter(access, model)
    constraints = parse_constraints(constraints, model, named)
    for constraint in constraints:
        queryset = queryset.filter(constraint.q)
        if policy is not None and constraint.field != "pk":
            queryset = policy.restrict_to_visible(queryset, constraint.field)
    if any(constraint.on_list for constraint in constraints):
        # each thing once, however many items of its list match (not DISTINCT: PostgreSQL
        # would then refuse to sort by a column it does not select)
        queryset = model._default_manager.filter(pk__in=queryset.values("pk"))
    order = []
    for key, desc in _sort_keys(sort_field, descending, additional_sort_fields):
        field = field_for(model, key, "sort_field", named)
        if field.many_to_many:
            raise InvalidParameter(
                f"sort_field: {key!r} is a list of things; sort by a field with one value",
                parameter="sort_field",
            )
        name = "pk" if field.primary_key else field.name
        if policy is not None and name != "pk" and not policy.shows_everywhere(name):
            raise InvalidParameter(
                f"sort_field: you may not sort by {key!r}: a privacy rule hides it",
                parameter="sort_field",
            )
        order.append(f"-{name}" if desc else name)
    if not order:
        order = _default_order(model, policy)
    queryset = queryset.order_by(*order, "pk")
    things = list(queryset[cursor : cursor + limit])
    remaining = None
    if not exclude_remaining:
        # a page that is not full is the last one: nothing to count
        full = len(things) == limit
        remaining = max(queryset.count() - cursor - len(things), 0) if full else 0
    data_types.prefetch_links(things)
    fields_of = access.serializer(things)
    results = [data_types.thing_to_dict(t, fields=fields_of(t)) for t in things]
    return Page(cursor, results, remaining)


def _default_order(model: type[models.Model], policy: Any) -> list[str]:
    """Bubble's default: oldest first by Created Date, where the data type has one the
    caller may sort by (else by id, which for most ids is the order of creation too)."""
    created = data_types.field_by_bubble_name(model, CREATED_DATE)
    if created is None or (policy is not None and not policy.shows_everywhere(created)):
        return []
    return [created]


def _sort_keys(sort_field: Any, descending: Any, additional: Any) -> list[tuple[str, bool]]:
    keys: list[tuple[str, bool]] = []
    descending = _yes(descending, "descending")
    if sort_field not in (None, ""):
        keys.append((str(sort_field), descending))
    if additional not in (None, ""):
        if isinstance(additional, str):
            additional = jsontext.load_parameter(additional, "additional_sort_fields")
        if not isinstance(additional, list) or not all(
            isinstance(a, dict) and isinstance(a.get("sort_field"), str) for a in additional
        ):
            raise InvalidParameter(
                'additional_sort_fields: a list of {"sort_field": ..., "descending": ...}',
                parameter="additional_sort_fields",
            )
        keys += [(a["sort_field"], _yes(a.get("descending"), "descending")) for a in additional]
    return keys


def _yes(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "false", "False", "0", "no"):
        return False
    if value in ("true", "True", "1", "yes"):
        return True
    raise InvalidParameter(f"{name}: expected true or false, got {value!r}", parameter=name)


def _whole(value: Any, name: str, *, default: int, low: int, high: int | None) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameter(
            f"{name}: expected a whole number, got {value!r}", parameter=name
        ) from None
    if number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise InvalidParameter(f"{name}: must be {bound}, got {number}", parameter=name)
    return number
