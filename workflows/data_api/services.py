"""Writes of the Data API: create, modify, replace and delete things, as privacy allows.

Bubble's rule: a thing may be created, modified or deleted through the API only where a
privacy rule grants "create / modify / delete via API". Modifications are checked before
(the thing as it is) and after (the thing as it would be), so a caller cannot move a
thing out of its own reach (hand an order to another customer). Each write is one
transaction; a refused one changes nothing. Things written here fire database triggers
like any other change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from .. import data_types
from ..actions.data import InvalidThing, apply_fields, check_field_names, save_thing
from ..actions.registry import ConfigError
from ..exceptions import Forbidden, InvalidParameter
from ..privacy.access import DataAccess
from ..privacy.grants import CREATE, DELETE, FIND, MODIFY, VIEW
from .selectors import ThingNotFound, thing_get


def thing_create(
    *, access: DataAccess, model: type[models.Model], data: Mapping[str, Any]
) -> models.Model:
    values = _checked_values(access, model, data)
    with transaction.atomic():
        thing = model()
        _save(thing, values)
        if not access.can(CREATE, thing):
            transaction.set_rollback(True)
            raise Forbidden(
                f"no privacy rule lets you create this {model._meta.label} through the API"
            )
    return thing


def thing_modify(
    *,
    access: DataAccess,
    model: type[models.Model],
    thing_id: Any,
    data: Mapping[str, Any],
    replace: bool = False,
) -> models.Model:
    """Change the fields in ``data``; with ``replace`` (PUT) every other writable field
    goes back to its default."""
    values = _checked_values(access, model, data)
    if replace:
        for field in _writable_fields(model):
            if field.name not in values and not field.many_to_many:
                values[field.name] = field.get_default()
            elif field.name not in values:
                values[field.name] = []
    with transaction.atomic():
        thing = _thing_for(access, model, thing_id, MODIFY, "modify")
        _save(thing, values)
        if not access.can(MODIFY, thing):
            transaction.set_rollback(True)
            raise Forbidden(
                f"after this change you could no longer modify this {model._meta.label}: "
                "no privacy rule would let you, so the change is refused"
            )
    return thing


def thing_delete(*, access: DataAccess, model: type[models.Model], thing_id: Any) -> None:
    with transaction.atomic():
        thing = _thing_for(access, model, thing_id, DELETE, "delete")
        thing.delete()


def _thing_for(
    access: DataAccess,
    model: type[models.Model],
    thing_id: Any,
    grant: str,
    verb: str,
) -> models.Model:
    """The thing, locked until the write commits, if the caller may ``grant`` it: 404 if it
    cannot even see it, 403 if it can see it but not change it."""
    try:
        return thing_get(access=access, model=model, thing_id=thing_id, grants=(grant,), lock=True)
    except ThingNotFound:
        thing_get(access=access, model=model, thing_id=thing_id, grants=(FIND, VIEW))
        raise Forbidden(
            f"no privacy rule lets you {verb} this {model._meta.label} through the API"
        ) from None


def _writable_fields(model: type[models.Model]) -> list[models.Field]:
    """Fields the API may write: a workflow's writable fields, less those nobody edits
    (``auto_now_add`` dates and other ``editable=False`` fields)."""
    names = data_types.field_names(model) - {model._meta.pk.name}
    names -= data_types.protected_field_names(model)
    fields = [model._meta.get_field(name) for name in sorted(names)]
    return [f for f in fields if f.editable]


def _checked_values(
    access: DataAccess, model: type[models.Model], data: Mapping[str, Any]
) -> dict[str, Any]:
    """The body's fields, checked: known and writable, related things reachable by the
    caller (one that is not is reported like one that does not exist)."""
    if not isinstance(data, Mapping):
        raise InvalidParameter("the body must be a JSON object of field names to values")
    values = {k: v for k, v in data.items() if k not in ("_id", "_type")}
    for name in values:
        try:
            check_field_names(model, [name], name)
        except ConfigError as exc:
            raise InvalidParameter(exc.message, parameter=exc.key) from None
        if not model._meta.get_field(name).editable:
            raise InvalidParameter(
                f"{model._meta.label} field {name!r} is set automatically and cannot be written",
                parameter=name,
            )
    for name, value in list(values.items()):
        field = model._meta.get_field(name)
        if field.is_relation and value is not None:
            values[name] = _related(access, field, value)
    return values


def _related(access: DataAccess, field: Any, value: Any) -> Any:
    """Related things by id, looked up among those the caller may reach."""
    related = field.related_model
    many = field.many_to_many
    ids = value if many else [value]
    if many and not isinstance(value, list):
        raise InvalidParameter(f"{field.name}: expected a list of ids", parameter=field.name)
    wanted = []
    for item in ids:
        if isinstance(item, dict) and "_id" in item:
            item = item["_id"]
        try:
            wanted.append(data_types.pk_value(related, item))
        except ValidationError:
            raise InvalidParameter(
                f"{field.name}: {item!r} is not a valid {related._meta.label} id",
                parameter=field.name,
            ) from None
    found = access.reachable(related).in_bulk(wanted)
    for pk in wanted:
        if pk not in found:
            raise InvalidParameter(
                f"{field.name}: no {related._meta.label} with id {pk!r}", parameter=field.name
            )
    things = [found[pk] for pk in wanted]
    return things if many else things[0]


def _save(thing: models.Model, values: dict[str, Any]) -> None:
    try:
        later = apply_fields(thing, values)
        save_thing(thing, later)
    except InvalidThing as exc:
        raise InvalidParameter(exc.message, parameter=exc.field) from None
    except (ValidationError, ValueError, TypeError) as exc:
        raise InvalidParameter(f"invalid {thing._meta.label}: {exc}") from None
