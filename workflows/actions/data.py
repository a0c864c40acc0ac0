"""Database actions: create, change and delete things."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models

from .. import accounts, data_types
from ..data_model import options
from ..engine import kinds
from ..engine.kinds import Kind
from ..engine.values_types import FileValue, ThingList
from ..exceptions import InvalidData, WorkflowError
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register

_PARAM_THING = re.compile(r"^\{\{-?\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}$")
_CURRENT_USER = re.compile(r"^\{\{-?\s*current_user\s*-?\}\}$")


def _model_of(raw: Any, ctx: Any) -> type[models.Model] | None:
    """The data type of ``{{ params.x }}`` when x is a thing parameter, or of
    ``{{ current_user }}``, for save-time checks."""
    if not isinstance(raw, str):
        return None
    if _CURRENT_USER.match(raw.strip()):
        user_model = get_user_model()
        return user_model if data_types.is_data_type(user_model) else None
    match = _PARAM_THING.match(raw.strip())
    if not match:
        return None
    spec = next((p for p in ctx.parameters if p.key == match.group(1)), None)
    if spec is None or spec.type != "thing":
        return None
    return data_types.get_model(spec.data_type)


def check_field_names(
    model: type[models.Model],
    names: Iterable[str],
    key: str,
    *,
    creating: bool = False,
    named: Callable[[str], bool] | None = None,
) -> None:
    """Every name must be a writable field of ``model``: known, not hidden, not the
    primary key and not protected (``PROTECTED_FIELDS``, e.g. ``is_superuser``). A new user
    (``creating``) may also be given its ``password``, which is hashed (``apply_fields``).
    ``named``: the fields the caller may name (a Data API caller's, ``privacy.audience``);
    any other is unknown, and the error lists only those."""
    names = list(names)
    if creating and accounts.is_user_model(model):
        names = [n for n in names if n != accounts.PASSWORD_FIELD]
    protected = data_types.protected_field_names(model)
    allowed = data_types.field_names(model) - {model._meta.pk.name}

    def known(name: str) -> bool:
        return name in allowed and (named is None or named(name))

    refused = [n for n in names if known(n) and n in protected]
    if refused:
        raise ConfigError(
            key,
            f"{data_types.label_of(model)} field {refused[0]!r} is protected: workflows may not "
            "write it (PROTECTED_FIELDS)",
        )
    unknown = [n for n in names if not known(n)]
    if unknown:
        listed = sorted(n for n in allowed - protected if named is None or named(n))
        raise ConfigError(
            key,
            f"{data_types.label_of(model)} has no field {unknown[0]!r} "
            f"(fields: {', '.join(listed)})",
        )


def check_option_values(model: type[models.Model], values: Mapping[str, Any], key: str) -> None:
    """An option field set to a constant (``stage: Won``) must name an option of its set
    when the workflow is saved; a value computed when it runs is checked then."""
    fields = {f.name: f for f in model._meta.get_fields() if options.is_option_field(f)}
    for name, value in values.items():
        field = fields.get(name)
        if field is None or _computed(value):
            continue
        try:
            if field.many_to_many:
                options.options_for(field, value)
            else:
                options.option_for(field, value)
        except options.UnknownOption as exc:
            raise ConfigError(key, f"{data_types.label_of(model)}.{exc}") from None


def _computed(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list | tuple):
        return any(_computed(item) for item in value)
    return False


def _as_things(value: Any, key: str) -> list[models.Model]:
    if value is None:
        return []
    if isinstance(value, models.Model):
        value = [value]
    if isinstance(value, ThingList):
        value = list(value)
    if not isinstance(value, list | tuple):
        raise WorkflowError(
            f"{key}: expected a thing or a list of things, got {type(value).__name__}"
        )
    for item in value:
        if not data_types.is_thing(item):
            raise WorkflowError(f"{key}: {item!r} is not a thing of an allowed data type")
    return list(value)


def _one_thing(value: Any, key: str) -> models.Model | None:
    things = _as_things(value, key)
    if len(things) > 1:
        raise WorkflowError(f"{key}: expected one thing, got a list of {len(things)}")
    return things[0] if things else None


def apply_fields(thing: models.Model, values: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """Set field values on ``thing``; return many-to-many values to set after saving.

    A new user's ``password`` is validated and hashed once its other fields are set (the
    validators compare it with them); without one it gets an unusable password."""
    model = type(thing)
    new_user = thing._state.adding and accounts.is_user_model(model)
    if new_user:
        values = dict(values)
        password = values.pop(accounts.PASSWORD_FIELD, None)
    try:
        check_field_names(model, values, "fields")
    except ConfigError as exc:  # at run time: a thing whose type was not known when saved
        raise WorkflowError(exc.message) from None
    later = []
    for name, value in values.items():
        f = model._meta.get_field(name)
        if isinstance(value, FileValue):
            value = value.url
        if isinstance(value, float) and isinstance(f, models.DecimalField):
            value = Decimal(str(value))  # 9.99, not 9.9900000000000002131628...
        if options.is_option_field(f):  # by display: stage: Won
            value = _option_value(thing, f, value)
            if f.many_to_many:
                later.append((f, value))
            else:
                setattr(thing, f.name, value)
        elif f.many_to_many:
            later.append((f, _as_things(value, name)))
        elif f.is_relation:
            if value is None or isinstance(value, models.Model):
                setattr(thing, f.name, value)
            else:
                setattr(thing, f.attname, value)
        else:
            setattr(thing, f.attname, value)
    if new_user:
        try:
            accounts.set_new_password(thing, password)
        except InvalidData as exc:
            message = f"invalid {data_types.label_of(model)}: {exc.message}"
            raise InvalidThing(message, field=exc.field) from None
    return later


def _option_value(thing: models.Model, field: models.Field, value: Any) -> Any:
    """An option field's new value: the option a display names (a list of them for a list
    of options); an unknown display is refused, naming the field and the set's options."""
    if isinstance(value, ThingList):
        value = list(value)
    try:
        if field.many_to_many:
            return options.options_for(field, value)
        return options.option_for(field, value)
    except options.UnknownOption as exc:
        raise InvalidThing(
            f"invalid {data_types.label_of(thing)}: {exc}", field=field.name
        ) from None


class InvalidThing(InvalidData):
    """A thing the model's validation refuses; ``field`` is the first field at fault."""


def save_thing(
    thing: models.Model,
    many_to_many: list[tuple[Any, Any]],
    changed: Iterable[str] | None = None,
) -> None:
    """Validate like a model form would (which field, what was wrong), then save.

    Field errors are reported first; uniqueness and constraints are checked once the fields
    are valid. A database refusal that validation could not foresee (a row changed by
    another transaction meanwhile) is reported the same way, not as a crash.

    ``changed``: for a thing that exists, the names of the fields set (as given to
    ``apply_fields``); only those (and ``auto_now`` fields) are written, so the rest of
    this copy, perhaps older than a change an earlier step made to the same row through
    another copy, does not overwrite it. Fields the model's ``clean()`` derives are written
    too; a model whose ``save()`` derives fields adds them to ``update_fields`` itself, as
    Django asks of such models. None writes every field."""
    before = _values(thing)
    try:
        thing.full_clean(
            exclude=_held_relations(thing), validate_unique=False, validate_constraints=False
        )
        _check_storable(thing, changed)
        if accounts.is_user_model(type(thing)):
            accounts.check_email_unique(thing, changed)  # in any case
        thing.validate_unique()
        thing.validate_constraints()
    except ValidationError as exc:
        fields = list(getattr(exc, "message_dict", {}))
        raise InvalidThing(
            _validation_message(thing, exc), field=fields[0] if fields else None
        ) from None
    update_fields = None
    if changed is not None and not thing._state.adding:
        derived = [name for name, value in _values(thing).items() if value != before[name]]
        update_fields = _written(thing, [*changed, *derived])
    try:
        if update_fields is None or update_fields:
            thing.save(update_fields=update_fields)
    except IntegrityError as exc:
        if accounts.is_email_clash(exc):  # another save took this email meanwhile
            name = accounts.email_field()
            taken = accounts.email_taken_message(getattr(thing, name, ""))
            raise InvalidThing(
                f"invalid {data_types.label_of(thing)}: {name}: {taken}", field=name
            ) from None
        message, field = refusal_message(thing, exc)
        raise InvalidThing(message, field=field) from None
    except DatabaseError:
        if update_fields is None:
            raise
        # Django's "Save with update_fields did not affect any rows": deleted meanwhile
        raise InvalidThing(
            f"{data_types.label_of(thing)} {thing.pk} no longer exists "
            "(deleted by an earlier step?)",
            field=None,
        ) from None
    for f, things in many_to_many:
        getattr(thing, f.name).set(things)


#: where a database's refusal names the columns at fault: PostgreSQL's ``Key (a, b)=(...)``
#: and ``column "a"``, SQLite's ``... constraint failed: table.a, table.b``
_REFUSED_COLUMNS = (
    re.compile(r"Key \(([^)]*)\)="),
    re.compile(r'column "([^"]+)"'),
    re.compile(r"constraint failed: ([^\n]+)"),
)


def refusal_message(thing: models.Model, exc: IntegrityError) -> tuple[str, str | None]:
    """A database's refusal of ``thing`` (one validation could not foresee: another save
    took a unique value meanwhile) in words, with the field at fault when the database
    names it — never the database's own text: PostgreSQL's shows values of the rows
    (``Key (email)=(...)``, ``Failing row contains (...)``), which may be another thing's
    or fields hidden from the caller, and names tables and columns nobody wrote."""
    text = str(exc)
    columns = {f.column: f.name for f in thing._meta.concrete_fields}
    fields: list[str] = []
    for pattern in _REFUSED_COLUMNS:
        match = pattern.search(text)
        if match:
            for part in match.group(1).split(","):
                name = columns.get(part.strip().rsplit(".", 1)[-1])
                if name is not None and name not in fields:
                    fields.append(name)
            break
    label = data_types.label_of(thing)
    at = f"{', '.join(fields)}: " if fields else ""
    lowered = text.lower()
    if "unique" in lowered or "duplicate key" in lowered:
        what = "another thing already has this value, which must be unique"
    else:
        what = "the database refused the value (a constraint of the data type)"
    return f"invalid {label}: {at}{what}", fields[0] if fields else None


def _check_storable(thing: models.Model, changed: Iterable[str] | None) -> None:
    """Refuse values the model's validation lets through but a database cannot store or
    give back (``data_types.storable_problem``): every path that writes a thing (the data
    actions, the Data API) comes through here."""
    names = None if changed is None or thing._state.adding else set(changed)
    for f in thing._meta.concrete_fields:
        if names is not None and f.name not in names:
            continue
        problem = data_types.storable_problem(getattr(thing, f.attname))
        if problem is not None:
            raise ValidationError({f.name: [problem]})


def _values(thing: models.Model) -> dict[str, Any]:
    return {f.name: getattr(thing, f.attname) for f in thing._meta.concrete_fields}


def _written(thing: models.Model, changed: Iterable[str]) -> list[str]:
    """The columns a change writes: the fields set, except many-to-many ones (written by
    ``set()`` after the save), and the ``auto_now`` fields, which a save updates."""
    meta = thing._meta
    names = list(dict.fromkeys(n for n in changed if not meta.get_field(n).many_to_many))
    return names + [
        f.name
        for f in meta.concrete_fields
        if getattr(f, "auto_now", False) and f.name not in names
    ]


def _held_relations(thing: models.Model) -> set[str]:
    """Foreign keys set to an instance already loaded from the database (the run's user, a
    thing parameter, a step's result), whose field validation would only SELECT that row
    again to learn that it exists. Keys with ``limit_choices_to``, validators of their own
    or no database constraint (``db_constraint=False``) are still validated; for the rest
    the database's foreign-key constraint still holds."""
    held = set()
    for f in thing._meta.concrete_fields:
        if not f.many_to_one or not f.db_constraint or f.validators or f.get_limit_choices_to():
            continue
        target = f.get_cached_value(thing, default=None)
        if (
            target is not None
            and not target._state.adding
            and target.pk is not None
            and getattr(target, f.target_field.attname) == getattr(thing, f.attname)
        ):
            held.add(f.name)
    return held


def _validation_message(thing: models.Model, exc: ValidationError) -> str:
    label = data_types.label_of(thing)
    if hasattr(exc, "message_dict"):
        parts = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
        return f"invalid {label}: " + "; ".join(parts)
    return f"invalid {label}: {' '.join(exc.messages)}"


@register
class CreateThing(ActionType):
    name = "create_thing"
    summary_template = "Create a new {data_type}: {fields}"
    label = "Create a new thing"
    family = "data"
    secret_keys = frozenset({"fields.password"})  # a new user's
    description = "Creates a thing of a data type; later steps get the new thing."
    example = """- id: order
  type: create_thing
  data_type: examples.Order
  fields: {customer: "{{ params.customer }}", total: "{{ params.total }}", status: new}"""
    fields = (
        ConfigField(
            "data_type",
            FieldKind.DATA_TYPE,
            help_text="The data type to create.",
            example="examples.Order",
        ),
        ConfigField(
            "fields",
            FieldKind.MAPPING,
            required=False,
            keys_of="fields_of:data_type",
            help_text="The new thing's fields: a field and its value on each row.",
            example='status: new\ntotal: "{{ params.total }}"',
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        model = data_types.get_model(config["data_type"])
        check_field_names(model, config.get("fields") or {}, "fields", creating=True)
        check_option_values(model, config.get("fields") or {}, "fields")

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return Kind.thing(data_types.label_of(data_types.get_model(config["data_type"])))

    def execute(self, inputs: dict[str, Any], run: Any) -> models.Model:
        model = data_types.get_model(inputs["data_type"])
        thing = model()
        later = apply_fields(thing, inputs.get("fields") or {})
        save_thing(thing, later)
        return thing


@register
class MakeChanges(ActionType):
    name = "make_changes"
    summary_template = "Make changes to {thing}: {changes}"
    label = "Make changes to a thing"
    family = "data"
    description = "Changes fields of one thing; later steps get the changed thing."
    example = """- type: make_changes
  thing: "{{ params.order }}"
  changes: {status: paid, paid_at: "{{ now }}"}"""
    fields = (
        ConfigField(
            "thing", expects="thing", help_text="The thing to change.", example="{{ params.order }}"
        ),
        ConfigField(
            "changes",
            FieldKind.MAPPING,
            keys_of="fields_of:thing",
            help_text="The fields to change: a field and its new value on each row.",
            example="status: paid",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        model = _model_of(config.get("thing"), ctx)
        if model is not None:
            check_field_names(model, config.get("changes") or {}, "changes")
            check_option_values(model, config.get("changes") or {}, "changes")

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        thing = scope.kind_of(config.get("thing"))
        return thing.plain() if thing.name == "thing" else kinds.ANY

    def execute(self, inputs: dict[str, Any], run: Any) -> models.Model:
        thing = _one_thing(inputs["thing"], "thing")
        if thing is None:
            raise WorkflowError("thing: there is no thing to change (the value is empty)")
        later = apply_fields(thing, inputs["changes"])
        save_thing(thing, later, changed=inputs["changes"])
        return thing


@register
class MakeChangesToList(ActionType):
    name = "make_changes_to_list"
    summary_template = "Make changes to the list {list}: {changes}"
    label = "Make changes to a list of things"
    family = "data"
    description = "Applies the same changes to every thing of a list; later steps get the list."
    example = """- type: make_changes_to_list
  list: "{{ search('examples.Order', status='new') }}"
  changes: {status: cancelled}"""
    fields = (
        ConfigField(
            "list",
            expects="list",
            help_text="The things to change.",
            example="{{ search('examples.Order', status='new') }}",
        ),
        ConfigField(
            "changes",
            FieldKind.MAPPING,
            keys_of="fields_of:list",
            help_text="New field values, name: value per line.",
            example="status: cancelled",
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        things = scope.kind_of(config.get("list"))
        return things.plain() if things.name == "list" else Kind.list_of(kinds.ANY)

    def execute(self, inputs: dict[str, Any], run: Any) -> list[models.Model]:
        things = _as_things(inputs["list"], "list")
        for thing in things:
            later = apply_fields(thing, inputs["changes"])
            save_thing(thing, later, changed=inputs["changes"])
        return things


#: the names a copy's ``fields`` may use besides the run's: the thing copied, its position
_ITEM_NAMES = frozenset({"item", "index"})


@register
class CopyList(ActionType):
    name = "copy_list"
    summary_template = "Copy the list {list}"
    label = "Copy a list of things"
    family = "data"
    description = (
        "Makes a new thing of each thing of a list, with the same fields, or some set anew "
        "(item and index: the thing copied and its position); later steps get the copies, "
        "in the list's order."
    )
    example = """- id: copies
  type: copy_list
  list: "{{ search('examples.Product', price__gt=10) }}"
  fields: {name: "{{ item.name }} (copy)"}"""
    fields = (
        ConfigField(
            "list",
            expects="list",
            help_text="The things to copy.",
            example="{{ search('examples.Product') }}",
        ),
        ConfigField(
            "fields",
            FieldKind.MAPPING,
            required=False,
            keys_of="fields_of:list",
            extra_names=_ITEM_NAMES,
            per_item=True,
            help_text="Fields set anew on each copy, name: value per line; item is the thing "
            "copied, index its position.",
            example='name: "{{ item.name }} (copy)"',
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        things = scope.kind_of(config.get("list"))
        return things.plain() if things.name == "list" else Kind.list_of(kinds.ANY)

    def execute(self, inputs: dict[str, Any], run: Any) -> list[models.Model]:
        overrides = inputs.get("fields")
        things = _as_things(inputs["list"], "list")
        _read_lists(things)
        copies = []
        for index, item in enumerate(things):
            values = overrides.resolve(item=item, index=index) if overrides is not None else {}
            if not isinstance(values, Mapping):
                raise WorkflowError(f"fields: expected name: value pairs, got {values!r}")
            copy, later = _copy_of(item)
            given = apply_fields(copy, values)
            replaced = {f.name for f, _ in given}
            save_thing(copy, [*(p for p in later if p[0].name not in replaced), *given])
            copies.append(copy)
        return copies


def _copy_of(thing: models.Model) -> tuple[models.Model, list[tuple[Any, Any]]]:
    """A new, unsaved thing with ``thing``'s fields (its built-in fields its own: a new
    unique id, now as its dates, the run's user as its creator), and the lists to set once
    it is saved: a list in the copy holds the same things, as in Bubble."""
    model = type(thing)
    skipped = data_types.protected_field_names(model) | data_types.hidden_field_names()
    copy = model()
    for f in data_types.visible_fields(model):
        if f.editable and not f.primary_key and f.name not in skipped:
            # a JSON value (a list of texts, an address) of its own, not shared with thing
            setattr(copy, f.attname, deepcopy(getattr(thing, f.attname)))
    later = [
        (f, list(getattr(thing, f.name).all()))
        for f in _copied_lists(model)
        if f.name not in skipped
    ]
    return copy, later


def _copied_lists(model: type[models.Model]) -> list[models.ManyToManyField]:
    return [f for f in data_types.list_fields(model) if f.editable]


def _read_lists(things: list[models.Model]) -> None:
    """The lists of every thing to copy, read in one query per list field (not per thing)."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for thing in things:
        by_model.setdefault(type(thing), []).append(thing)
    for model, group in by_model.items():
        models.prefetch_related_objects(group, *(f.name for f in _copied_lists(model)))


@register
class DeleteThing(ActionType):
    name = "delete_thing"
    summary_template = "Delete {thing}"
    label = "Delete a thing"
    family = "data"
    description = "Deletes one thing; later steps get the number deleted (0 or 1)."
    example = """- type: delete_thing
  thing: "{{ params.code }}\""""
    fields = (
        ConfigField(
            "thing", expects="thing", help_text="The thing to delete.", example="{{ params.code }}"
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.WHOLE_NUMBER

    def execute(self, inputs: dict[str, Any], run: Any) -> int:
        thing = _one_thing(inputs["thing"], "thing")
        if thing is None or thing.pk is None:
            return 0
        return _delete([thing])


@register
class DeleteList(ActionType):
    name = "delete_list"
    summary_template = "Delete the list {list}"
    label = "Delete a list of things"
    family = "data"
    description = "Deletes every thing of a list; later steps get the number deleted."
    example = """- type: delete_list
  list: "{{ search('examples.VerificationCode', created_at__lt=now - minutes(15)) }}\""""
    fields = (
        ConfigField(
            "list",
            expects="list",
            help_text="The things to delete.",
            example="{{ search('examples.VerificationCode', verified=true) }}",
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.WHOLE_NUMBER

    def execute(self, inputs: dict[str, Any], run: Any) -> int:
        return _delete(_as_things(inputs["list"], "list"))


def _delete(things: list[models.Model]) -> int:
    """Delete things through the ORM (signals fire); count only the things themselves."""
    by_model: dict[type[models.Model], list[Any]] = {}
    for thing in things:
        if thing.pk is not None:
            by_model.setdefault(type(thing), []).append(thing.pk)
    deleted = 0
    for model, pks in by_model.items():
        _, per_model = model._default_manager.filter(pk__in=pks).delete()
        deleted += per_model.get(data_types.label_of(model), 0)
    return deleted
