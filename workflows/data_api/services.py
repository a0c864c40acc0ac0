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
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from .. import data_types, thing_ids
from ..actions.data import InvalidThing, apply_fields, check_field_names, save_thing
from ..actions.registry import ConfigError
from ..data_model import databases, options
from ..engine.params import parse_calendar_date, parse_date, unstorable_text
from ..exceptions import Forbidden, InvalidParameter, WorkflowError
from ..privacy.access import DataAccess
from ..privacy.audience import field_filter
from ..privacy.conditions import MATCH_NONE
from ..privacy.grants import CREATE, DELETE, FIND, MODIFY, VIEW
from .selectors import ThingNotFound, thing_get


class CascadeRefused(WorkflowError):
    code = "CONFLICT"
    http_status = 409


def require_create_rule(access: DataAccess, model: type[models.Model]) -> None:
    """Refuse a caller no privacy rule could ever let create ``model`` through the API —
    before any validation: "that username is taken" must not answer a caller who may not
    create users at all."""
    if not access.unrestricted and access.policy(model).q(CREATE) == MATCH_NONE:
        raise Forbidden(
            f"no privacy rule lets you create a {data_types.label_of(model)} through the API"
        )


def thing_create(
    *, access: DataAccess, model: type[models.Model], data: Mapping[str, Any]
) -> models.Model:
    # before any validation: "that username is taken" must not answer a caller who may not
    # create users at all
    require_create_rule(access, model)
    values = _checked_values(access, model, data, creating=True)
    with databases.atomic():
        thing = model()
        _save(thing, values)
        if not access.can(CREATE, thing):
            transaction.set_rollback(True)
            raise Forbidden(
                f"no privacy rule lets you create this {data_types.label_of(model)} through the API"
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
    with databases.atomic():
        thing = _thing_for(access, model, thing_id, MODIFY, "modify")
        _check_fields_visible(access, thing, values)
        _save(thing, values)
        if not access.can(MODIFY, thing):
            transaction.set_rollback(True)
            raise Forbidden(
                f"after this change you could no longer modify this {data_types.label_of(model)}: "
                "no privacy rule would let you, so the change is refused"
            )
    return thing


def thing_delete(*, access: DataAccess, model: type[models.Model], thing_id: Any) -> None:
    with databases.atomic():
        thing = _thing_for(access, model, thing_id, DELETE, "delete")
        _check_cascade(access, thing)
        thing.delete()


def _check_fields_visible(access: DataAccess, thing: models.Model, values: Mapping) -> None:
    """A caller changes only fields it may see: a rule granting "modify" on a thing whose
    other rules show only its status does not open its hidden fields to overwriting."""
    if access.unrestricted:
        return
    visible = access.fields_for([thing])[(data_types.label_of(thing), thing.pk)]
    hidden = sorted(name for name in values if visible is not None and name not in visible)
    if hidden:
        raise Forbidden(
            f"you may not change {hidden[0]!r} of this {data_types.label_of(thing)}: a privacy "
            "rule hides it from you",
            parameter=hidden[0],
        )


def _check_cascade(access: DataAccess, thing: models.Model) -> None:
    """Deleting a thing deletes what depends on it (an order of a customer): only when the
    caller may delete those too, or it would delete through the back door."""
    if access.unrestricted:
        return
    collector = Collector(using=router.db_for_write(type(thing)))
    collector.collect([thing])
    doomed: dict[type[models.Model], set[Any]] = {}
    for model, instances in collector.data.items():
        doomed.setdefault(model, set()).update(i.pk for i in instances)
    for queryset in collector.fast_deletes:
        doomed.setdefault(queryset.model, set()).update(queryset.values_list("pk", flat=True))
    doomed.get(type(thing), set()).discard(thing.pk)
    for model, pks in doomed.items():
        if not pks or not data_types.is_data_type(model):
            continue  # bookkeeping rows (object permissions...) go with their thing
        allowed = access.restrict(model._default_manager.filter(pk__in=pks), DELETE).count()
        if allowed < len(pks):
            raise CascadeRefused(
                f"deleting this {data_types.label_of(thing)} would also delete "
                f"{len(pks) - allowed} {data_types.label_of(model)} you may not delete"
            )


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
            f"no privacy rule lets you {verb} this {data_types.label_of(model)} through the API"
        ) from None


def _writable_fields(model: type[models.Model]) -> list[models.Field]:
    """Fields the API may write: a workflow's writable fields, less those nobody edits
    (``auto_now_add`` dates and other ``editable=False`` fields)."""
    names = data_types.field_names(model) - {model._meta.pk.name}
    names -= data_types.protected_field_names(model)
    fields = [model._meta.get_field(name) for name in sorted(names)]
    return [f for f in fields if f.editable]


def _checked_values(
    access: DataAccess, model: type[models.Model], data: Mapping[str, Any], *, creating=False
) -> dict[str, Any]:
    """The body's fields, checked: known and writable, related things reachable by the
    caller (one that is not is reported like one that does not exist). A new user
    (``creating``) may be given a ``password``, hashed and never stored as sent.

    A create may set every writable field (the caller may create, so they are its to
    write, seen or not); a change only those its class could see
    (``privacy.audience.field_filter``): another is answered as unknown, and the error
    lists only the fields it may write."""
    if not isinstance(data, Mapping):
        raise InvalidParameter("the body must be a JSON object of field names to values")
    values = _by_field_name(model, data)
    named = None if creating else field_filter(access, model)
    for name in values:
        try:
            check_field_names(model, [name], name, creating=creating, named=named)
        except ConfigError as exc:
            raise InvalidParameter(exc.message, parameter=exc.key) from None
        if not model._meta.get_field(name).editable:
            raise InvalidParameter(
                f"{data_types.label_of(model)} field {name!r} is set automatically and cannot "
                "be written",
                parameter=name,
            )
    for name, value in list(values.items()):
        field = model._meta.get_field(name)
        problem = unstorable_text(value)  # PostgreSQL can neither store nor compare it
        if problem is not None:
            raise InvalidParameter(f"{name}: {problem}", parameter=name)
        if options.is_option_field(field):
            values[name] = _options(field, value)
        elif field.is_relation and value is not None:
            values[name] = _related(access, field, value)
        elif not field.is_relation:
            values[name] = _plain_value(field, value)
    return values


def _by_field_name(model: type[models.Model], data: Mapping[str, Any]) -> dict[str, Any]:
    """The body's values by field name: a field is written under its Data API key (Bubble's
    ``Unit name``, ``data_types.bubble_names``) or its name, not both."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("_id", "_type"):
            continue
        name = data_types.field_by_bubble_name(model, key) or key
        if name in values:
            raise InvalidParameter(
                f"{key}: the field {name!r} is given twice (by its name and its Data API key)",
                parameter=key,
            )
        values[name] = value
    return values


def _plain_value(field: Any, value: Any) -> Any:
    """A value for a field that is not a relation: lists and objects only where the field
    holds JSON; text fields take text (numbers become text); dates in every form a date
    parameter takes (``engine.param_types.parse_date``). A model's own ``clean()`` may
    assume its text fields hold text (``User.clean`` strips the email), so anything else
    would crash it: a 500 found by fuzzing the Data API."""
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(value, list | dict):
        raise InvalidParameter(
            f"{field.name}: expected one value, not a list or an object", parameter=field.name
        )
    if isinstance(field, models.DateField):  # DateTimeField too: dates as parameters read them
        read = parse_date if isinstance(field, models.DateTimeField) else parse_calendar_date
        try:
            return read(value)
        except ValueError as exc:
            raise InvalidParameter(f"{field.name}: {exc}", parameter=field.name) from None
    if isinstance(field, models.CharField | models.TextField):
        if isinstance(value, bool):
            raise InvalidParameter(
                f"{field.name}: expected text, got true/false", parameter=field.name
            )
        if isinstance(value, int | float):
            return str(value)
    return value


def _options(field: Any, value: Any) -> Any:
    """An option field's value by its display (a list of displays for a list of options),
    as Bubble's Data API takes it; an unknown display is refused, naming the field."""
    try:
        if field.many_to_many:
            return options.options_for(field, value)
        return options.option_for(field, value)
    except options.UnknownOption as exc:
        raise InvalidParameter(str(exc), parameter=field.name) from None


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
            wanted.append(thing_ids.thing_key(related, item))
        except ValidationError:
            raise InvalidParameter(
                f"{field.name}: {item!r} is not a valid {data_types.label_of(related)} id",
                parameter=field.name,
            ) from None
    found = thing_ids.in_bulk(access.reachable(related), wanted)
    for pk in wanted:
        if pk not in found:
            raise InvalidParameter(
                f"{field.name}: no {data_types.label_of(related)} with id {pk!r}",
                parameter=field.name,
            )
    things = [found[pk] for pk in wanted]
    return things if many else things[0]


def _save(thing: models.Model, values: dict[str, Any]) -> None:
    try:
        later = apply_fields(thing, values)
        save_thing(thing, later, changed=values)
    except InvalidThing as exc:
        raise InvalidParameter(exc.message, parameter=exc.field) from None
    except (ValidationError, ValueError, TypeError) as exc:
        raise InvalidParameter(f"invalid {data_types.label_of(thing)}: {exc}") from None
