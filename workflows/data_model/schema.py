"""Changing the data model: data types, fields and option sets, with their tables.

Every change runs in one ``schema_change()``: Django's schema editor, atomic (PostgreSQL
and SQLite both change tables transactionally), with the definition rows, the audit record
and the new ``SchemaVersion`` written in the same transaction. A failure rolls all of it
back and says why (``SchemaError``). After the commit this process builds its models again,
once however many steps the change had; the others do before they next touch a data type
(``registry.ensure_current``).

Tables and columns are named by ids (``things_<id>``, ``f<id>``), never by a builder's
names: renaming a type or a field changes a row, not the table; no name reaches SQL.
Deleting a field hides it and keeps its column, so ``restore_field`` brings its data back
until ``purge_field`` drops it. On PostgreSQL a change waits at most ``LOCK_TIMEOUT`` for
its table, so a busy table refuses the change instead of stalling every writer behind it.

Schema changes cannot run inside a transaction another caller opened on SQLite (its schema
editor must switch foreign key checks off first): call them outside ``atomic()``.
"""

from __future__ import annotations

import contextvars
import keyword
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, models
from django.db.models import F
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

from .. import audit, data_types
from ..exceptions import WorkflowError
from ..models import DefinitionChange, PrivacyRule
from ..models.data_model import NAME_PATTERN, DataField, DataType, Option, OptionSet, SchemaVersion
from ..privacy.definitions import rule_definition
from . import builder, definitions, field_types, registry

#: seconds a change waits for its table on PostgreSQL before it gives up
LOCK_TIMEOUT = "2s"
#: names no field may take: Bubble's built-in fields, the id, and what a model has
RESERVED_FIELD_NAMES = frozenset(
    {"id", "pk", "unique_id", "created_date", "modified_date", "created_by", "objects"}
)
#: the field types a display field may have (not a list); definition files check it too
DISPLAY_FIELD_TYPES = ("text", "number", "date")
_NAME = re.compile(NAME_PATTERN)
#: what every model class has that an abstract base does not show
MODEL_ATTRIBUTES = frozenset({"DoesNotExist", "MultipleObjectsReturned", "objects", "_meta"})


class SchemaError(WorkflowError):
    """A change of the data model that cannot be made; ``where`` names the type, field or
    option set and ``key`` the setting at fault."""

    code = "INVALID_DATA_MODEL"
    http_status = 400

    def __init__(self, message: str, *, where: str = "", key: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.key = key


@dataclass
class Change:
    """What one ``schema_change`` did, for the audit trail: one record per data type whose
    fields changed, however many of its fields a save or an import changed (its definition
    before the first, and after the whole change), and one per other change."""

    user: Any = None
    source: str = "code"
    records: list[list[Any]] = dc_field(default_factory=list)
    #: data types whose fields changed: pk → (their record, with deleted fields?); the
    #: record's "after" is read once the whole change is made (``finish``)
    changed_types: dict[int, tuple[list[Any], bool]] = dc_field(default_factory=dict)

    def record(self, kind: str, name: str, action: str, before: Any, after: Any) -> None:
        self.records.append([kind, name, action, before, after])

    def type_before(self, data_type: DataType, *, deleted: bool = False) -> dict[str, Any] | None:
        """``data_type``'s definition before its fields change, unless an earlier step of
        this change recorded it already (None: that record's "before" stands)."""
        if data_type.pk in self.changed_types:
            return None
        return definitions.type_definition(data_type, deleted=deleted)

    def type_changed(self, data_type: DataType, before: Any, *, deleted: bool = False) -> None:
        if data_type.pk in self.changed_types:
            return
        name = before["name"] if before else data_type.name  # records go by the old name
        record = [
            DefinitionChange.Kind.DATA_TYPE,
            name,
            DefinitionChange.Action.CHANGED,
            before,
            None,
        ]
        self.records.append(record)
        self.changed_types[data_type.pk] = (record, deleted)

    def finish(self) -> list[list[Any]]:
        """The records to write: each changed type's "after" read now (a type deleted
        later in the change has its own record; one that ends as it began has none)."""
        dropped = []
        for pk, (record, deleted) in self.changed_types.items():
            data_type = DataType.objects.filter(pk=pk).first()
            record[4] = (
                definitions.type_definition(data_type, deleted=deleted) if data_type else None
            )
            if record[4] is None or record[4] == record[3]:
                dropped.append(id(record))
        return [r for r in self.records if id(r) not in dropped]


#: the change in progress in this thread, for changes made inside it (an import)
_active: contextvars.ContextVar[tuple[Any, Change] | None] = contextvars.ContextVar(
    "schema_change", default=None
)


@contextmanager
def schema_change(*, user: Any = None, source: str = "code") -> Iterator[tuple[Any, Change]]:
    """One atomic change of tables and definitions (see the module's docstring).

    Changes made inside another (an import making several types, then its workflows; a
    save adding many fields) join it: one transaction, one version, and the outer one's
    user and source. The models are built once, when the outer change ends; a step inside
    that asks about data types after an inner change first builds them of what the change
    made so far (``registry.rebuild_later``), so a save adding 300 fields builds them once,
    not 300 times. If the outer change fails, they are built again from what is committed."""
    active = _active.get()
    if active is not None:
        yield active
        registry.rebuild_later()
        return
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        raise SchemaError(
            "a change of the data model cannot run inside another transaction on SQLite"
        )
    change = Change(user=user, source=source)
    try:
        with connection.schema_editor(atomic=True) as editor:
            if connection.vendor == "postgresql":
                editor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            token = _active.set((editor, change))
            try:
                yield editor, change
            finally:
                _active.reset(token)
            for kind, name, action, before, after in change.finish():
                audit.record_change(
                    kind=kind,
                    name=name,
                    action=action,
                    before=before,
                    after=after,
                    user=change.user,
                    source=change.source,
                )
            _bump_version()
    except DatabaseError as exc:
        _forget_rolled_back()
        raise SchemaError(f"the database refused the change, nothing was changed: {exc}") from exc
    except BaseException:
        _forget_rolled_back()
        raise
    registry.rebuild()


def _forget_rolled_back() -> None:
    """Inner changes built models of what rolled back, and cached the content types made
    for them: on SQLite the next type made gets the same id, so the same model name, and
    would be given a content type that no longer exists."""
    ContentType.objects.clear_cache()
    registry.rebuild()


def _bump_version() -> None:
    updated = SchemaVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:
        SchemaVersion.objects.create(pk=1, version=1)


# --- names ---------------------------------------------------------------------------------


def check_name(name: Any, *, what: str, where: str = "") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise SchemaError(
            f"{what} {name!r} is not a valid name: use letters, digits and underscores, "
            "starting with a letter",
            where=where,
            key="name",
        )
    # a trailing "_" is refused by Django's checks, "__" is a lookup
    if "__" in name or name.endswith("_") or keyword.iskeyword(name) or len(name) > 100:
        raise SchemaError(f"{what} {name!r} cannot be used as a name", where=where, key="name")
    return name


def _check_type_name(name: Any, *, exclude: DataType | None = None) -> str:
    check_name(name, what="data type", where=str(name))
    taken = DataType.objects.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists() or name.lower() == definitions.USER_TYPE.lower():
        raise SchemaError(f"there is already a data type named {name!r}", where=name, key="name")
    if PrivacyRule.objects.filter(data_type__iexact=name).exists():
        # rules written for another type would open this one (a new type is private)
        raise SchemaError(
            f"privacy rules for a data type named {name!r} exist already; delete them first",
            where=name,
            key="name",
        )
    return name


def _check_field_name(
    data_type: DataType, name: Any, *, exclude: DataField | None = None, kind: str = ""
) -> str:
    """``name`` for a field (of type ``kind``) of ``data_type``: valid, not built in, not
    another live field's, and not the id column of a reference (``owner`` → ``owner_id``)."""
    where = f"{data_type.name}.{name}"
    check_name(name, what="field", where=where)
    if (
        name.lower() in RESERVED_FIELD_NAMES
        or name in MODEL_ATTRIBUTES
        or hasattr(builder.ThingModel, name)
    ):
        raise SchemaError(f"{name!r} is a built-in name; choose another", where=where, key="name")
    # a few look-ups by name, not every field read: a change adding 300 fields checks each
    live = data_type.fields.filter(deleted_at__isnull=True)
    if exclude is not None:
        live = live.exclude(pk=exclude.pk)
    if live.filter(name__iexact=name).exists():
        raise SchemaError(
            f"{data_type.name} already has a field named {name!r}", where=where, key="name"
        )
    references = live.filter(type__in=("thing", "option"))
    if name.lower().endswith("_id") and references.filter(name__iexact=name[:-3]).exists():
        raise SchemaError(f"{name!r} is taken by a reference's id column", where=where, key="name")
    if kind in ("thing", "option") and live.filter(name__iexact=f"{name}_id").exists():
        raise SchemaError(
            f"a field named {name}_id exists: it would share this reference's id column",
            where=where,
            key="name",
        )
    return name


#: the Data API's keys of every thing (``workflows.bubble_fields``): no field may take one
BUILT_IN_KEYS = frozenset({"_id", "_type", "created date", "modified date", "created by"})


def checked_bubble_name(value: Any, where: str) -> str:
    """A field's key in the Data API (``bubble_name``): Bubble's display name, as text a
    JSON key and a query parameter carry (no control characters, no ``_`` first: Bubble's
    own keys start so)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > 100 or value != value.strip():
        raise SchemaError(
            "bubble_name must be text of at most 100 characters, without spaces around it",
            where=where,
            key="bubble_name",
        )
    if not value.isprintable() or value.startswith("_") or value.lower() in BUILT_IN_KEYS:
        raise SchemaError(
            f"bubble_name {value!r} is not usable: printable text, not starting with _ and "
            "not one of Bubble's built-in keys (Created Date...)",
            where=where,
            key="bubble_name",
        )
    return value


def _check_bubble_name(
    data_type: DataType, spec: FieldSpec, *, exclude: DataField | None = None
) -> None:
    """One key, one field: the field's Data API key (its ``bubble_name``, else its name) is
    no other live field's name or key, in any case."""
    key = spec.bubble_name or spec.name
    others = data_type.fields.filter(deleted_at__isnull=True)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    clash = models.Q(bubble_name__iexact=key)
    if spec.bubble_name:  # a plain name clashing with a name is ``_check_field_name``'s
        clash |= models.Q(name__iexact=key)
    if others.filter(clash).exists():
        raise SchemaError(
            f"{data_type.name} has another field whose name or Data API key is {key!r}",
            where=f"{data_type.name}.{spec.name}",
            key="bubble_name",
        )


# --- the pieces of a field -----------------------------------------------------------------


@dataclass
class FieldSpec:
    """A field as a definition file or the admin gives it, checked and resolved."""

    name: str
    type: str
    is_list: bool = False
    target_type: DataType | None = None
    target_model: str = ""
    option_set: OptionSet | None = None
    required: bool = False
    unique: bool = False
    indexed: bool = False
    default: Any = None
    help_text: str = ""
    bubble_name: str = ""

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "is_list": self.is_list,
            "target_type": self.target_type,
            "target_model": self.target_model,
            "option_set": self.option_set,
            "required": self.required,
            "unique": self.unique,
            "indexed": self.indexed,
            "default": self.default,
            "help_text": self.help_text,
            "bubble_name": self.bubble_name,
        }


def field_spec(
    data_type: DataType, raw: Mapping[str, Any], *, pending: Mapping[str, DataType] | None = None
) -> FieldSpec:
    """``raw`` (``{name, type, list, data_type, option_set, required, ...}``) checked:
    a ``SchemaError`` names the type, the field and what is wrong. ``pending``: data types
    being made in the same change, by lower-cased name (they may point at each other)."""
    where = f"{data_type.name}.{raw.get('name')}"
    known = {
        "name",
        "type",
        "list",
        "data_type",
        "option_set",
        "required",
        "unique",
        "indexed",
        "default",
        "help_text",
        "bubble_name",
        "deleted",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SchemaError(
            f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known - {'deleted'}))}",
            where=where,
        )
    type_name = raw.get("type")
    try:
        kind = field_types.get(str(type_name))
    except KeyError as exc:
        raise SchemaError(str(exc.args[0]), where=where, key="type") from None
    spec = FieldSpec(name=str(raw.get("name")), type=kind.name)
    for flag in ("list", "required", "unique", "indexed"):
        value = raw.get(flag, False)
        if not isinstance(value, bool):
            raise SchemaError(f"{flag} must be true or false, not {value!r}", where=where, key=flag)
    spec.is_list = raw.get("list", False)
    spec.required, spec.unique, spec.indexed = (
        raw.get("required", False),
        raw.get("unique", False),
        raw.get("indexed", False),
    )
    help_text = raw.get("help_text", "")
    if not isinstance(help_text, str) or len(help_text) > 500:
        raise SchemaError(
            "help_text must be text of at most 500 characters", where=where, key="help_text"
        )
    spec.help_text = help_text
    spec.bubble_name = checked_bubble_name(raw.get("bubble_name", ""), where)
    if spec.is_list and not kind.listable:
        raise SchemaError(f"a {kind.label} field cannot be a list", where=where, key="list")
    if spec.is_list and (spec.unique or spec.indexed):
        raise SchemaError("a list cannot be unique or indexed", where=where, key="list")
    if (spec.unique or spec.indexed) and not kind.indexable:
        raise SchemaError(f"a {kind.label} field cannot be unique or indexed", where=where)
    target = raw.get("data_type")
    if kind.needs_target:
        if not target:
            raise SchemaError(
                "a thing field needs data_type: the type it points to", where=where, key="data_type"
            )
        spec.target_type, spec.target_model = _target(str(target), pending or {}, where)
    elif target:
        raise SchemaError(
            f"data_type is only for thing fields, not {kind.label}", where=where, key="data_type"
        )
    option_set = raw.get("option_set")
    if kind.needs_option_set:
        if not option_set:
            raise SchemaError(
                "an option field needs option_set: the set it picks from",
                where=where,
                key="option_set",
            )
        spec.option_set = OptionSet.objects.filter(name__iexact=str(option_set)).first()
        if spec.option_set is None:
            raise SchemaError(f"unknown option set {option_set!r}", where=where, key="option_set")
    elif option_set:
        raise SchemaError(
            f"option_set is only for option fields, not {kind.label}", where=where, key="option_set"
        )
    default = raw.get("default")
    if default is not None:
        if spec.is_list:
            raise SchemaError("a list has no default (it starts empty)", where=where, key="default")
        try:
            spec.default = kind.check_default(default) if kind.check_default else default
        except field_types.DefaultError as exc:
            raise SchemaError(str(exc), where=where, key="default") from None
    return spec


def _target(name: str, pending: Mapping[str, DataType], where: str) -> tuple[DataType | None, str]:
    """The data type a thing field points to: one defined here (``Lead``), the user model
    (``User``) or a code-defined type (``examples.Customer``)."""
    if name.lower() == definitions.USER_TYPE.lower():
        return None, settings.AUTH_USER_MODEL
    if "." in name:
        try:
            model = data_types.get_model(name)
        except WorkflowError:
            raise SchemaError(f"unknown data type {name!r}", where=where, key="data_type") from None
        return None, model._meta.label
    found = pending.get(name.lower()) or DataType.objects.filter(name__iexact=name).first()
    if found is None:
        raise SchemaError(f"unknown data type {name!r}", where=where, key="data_type")
    return found, ""


# --- data types ----------------------------------------------------------------------------


def _type_values(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("plural", "display_field", "description"):
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise SchemaError(f"{key} must be text", where=where, key=key)
        values[key] = value
    if values["plural"]:
        check_name(values["plural"].replace(" ", "_"), what="plural", where=where)
    return values


def create_data_types(
    raws: Sequence[Mapping[str, Any]], *, user: Any = None, source: str = "code"
) -> list[DataType]:
    """Make data types with their fields and tables, all or none; they may point at each
    other. Each raw: ``{name, plural, display_field, description, fields: [...]}``."""
    with schema_change(user=user, source=source) as (editor, change):
        made: dict[str, DataType] = {}
        for raw in raws:
            name = _check_type_name(raw.get("name"))
            if name.lower() in made:
                raise SchemaError(f"data type {name!r} is defined twice", where=name)
            values = _type_values(raw, name)
            made[name.lower()] = DataType.objects.create(name=name, **values)
        new_fields: list[DataField] = []
        for raw in raws:
            data_type = made[str(raw["name"]).lower()]
            fields = raw.get("fields") or []
            if not isinstance(fields, list):
                raise SchemaError("fields must be a list", where=data_type.name, key="fields")
            for position, raw_field in enumerate(fields):
                if not isinstance(raw_field, Mapping):
                    raise SchemaError(
                        "each field is a mapping {name, type, ...}", where=data_type.name
                    )
                spec = field_spec(data_type, raw_field, pending=made)
                _check_field_name(data_type, spec.name, kind=spec.type)
                _check_bubble_name(data_type, spec)
                new_fields.append(
                    DataField.objects.create(
                        data_type=data_type, position=position, **spec.values()
                    )
                )
            _check_display_field(data_type)
        for data_type in made.values():
            _check_table_free(data_type)
        # types they point at that exist already: plain classes, enough to point at
        made_ids = {t.pk for t in made.values()}
        targets = {f.target_type_id for f in new_fields if f.target_type_id} - made_ids
        existing = list(DataType.objects.filter(pk__in=targets))
        classes = builder.build([*made.values(), *existing], new_fields, register=False)
        for data_type in made.values():
            editor.create_model(classes[data_type.pk])
            _make_permissions(classes[data_type.pk])
            change.record(
                DefinitionChange.Kind.DATA_TYPE,
                data_type.name,
                DefinitionChange.Action.CREATED,
                None,
                definitions.type_definition(data_type),
            )
    return list(made.values())


def create_data_type(raw: Mapping[str, Any], *, user: Any = None, source: str = "code") -> DataType:
    return create_data_types([raw], user=user, source=source)[0]


def _make_permissions(model: type[models.Model]) -> None:
    """The content type and view/add/change/delete permissions Django makes for a model at
    ``migrate``: django-guardian's object permissions (which privacy counts) need them."""
    opts = model._meta
    content_type = ContentType.objects.get_for_model(model)
    for action in opts.default_permissions:
        Permission.objects.get_or_create(
            content_type=content_type,
            codename=get_permission_codename(action, opts),
            defaults={"name": f"Can {action} {opts.verbose_name_raw}"[:255]},
        )


def _check_display_field(data_type: DataType) -> None:
    if not data_type.display_field:
        return
    field = data_type.fields.filter(deleted_at__isnull=True, name=data_type.display_field).first()
    if field is None or field.is_list or field.type not in DISPLAY_FIELD_TYPES:
        raise SchemaError(
            f"display_field {data_type.display_field!r} is not a text, number or date field "
            f"of {data_type.name}",
            where=data_type.name,
            key="display_field",
        )


def _check_table_free(data_type: DataType) -> None:
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    if data_type.table_name in tables:
        raise SchemaError(
            f"the table {data_type.table_name} already exists; it is not this data type's",
            where=data_type.name,
        )


def change_data_type(
    data_type: DataType, raw: Mapping[str, Any], *, user: Any = None, source: str = "code"
) -> DataType:
    """Rename a data type or change its plural, display field or description: definitions
    only (its table is named by its id). A rename is carried into the workflows and
    privacy rules that name the type (``references.rename_type``)."""
    with schema_change(user=user, source=source) as (_editor, change):
        data_type = DataType.objects.select_for_update().get(pk=data_type.pk)
        before = change.type_before(data_type)
        old_name = data_type.name
        name = raw.get("name", data_type.name)
        if name != data_type.name:
            _check_type_name(name, exclude=data_type)
        merged = {
            **{k: getattr(data_type, k) for k in ("plural", "display_field", "description")},
            **raw,
        }
        for key, value in _type_values(merged, name).items():
            setattr(data_type, key, value)
        data_type.name = name
        data_type.updated_at = timezone.now()
        data_type.save()
        _check_display_field(data_type)
        if name != old_name:
            from .references import rename_type

            rename_type(old_name, name, change.record)
        change.type_changed(data_type, before)
    return data_type


def delete_data_type(data_type: DataType, *, user: Any = None, source: str = "code") -> None:
    """Drop a data type and its table (its things are gone). Refused while a field of
    another type points at it."""
    with schema_change(user=user, source=source) as (editor, change):
        data_type = DataType.objects.get(pk=data_type.pk)
        pointing = DataField.objects.filter(target_type=data_type).exclude(data_type=data_type)
        if pointing.exists():
            names = ", ".join(str(f) for f in pointing.select_related("data_type"))
            raise SchemaError(
                f"fields point at it: {names}; change or purge them first", where=data_type.name
            )
        before = definitions.type_definition(data_type, deleted=True)
        model = models_with(data_type)[data_type.pk]
        editor.delete_model(model)
        for rule in PrivacyRule.objects.filter(data_type__iexact=data_type.name):
            change.record(
                DefinitionChange.Kind.PRIVACY_RULE,
                rule.name or data_type.name,
                DefinitionChange.Action.DELETED,
                rule_definition(rule),
                None,
            )
            rule.delete()  # left behind, they would open a later type of the same name
        ContentType.objects.filter(
            app_label=model._meta.app_label, model=model._meta.model_name
        ).delete()
        data_type.fields.all().delete()
        data_type.delete()
        change.record(
            DefinitionChange.Kind.DATA_TYPE,
            before["name"],
            DefinitionChange.Action.DELETED,
            before,
            None,
        )


# --- fields --------------------------------------------------------------------------------


def _deleted_name(field: DataField) -> str:
    """What a deleted field is called in the classes given to the schema editor: no
    builder's name starts with ``_``, so it never meets a live field's (maybe its old one)."""
    return f"_deleted_{field.pk}"


def models_with(
    data_type: DataType, extra: Sequence[DataField] = ()
) -> dict[int, type[models.Model]]:
    """Unregistered classes, for the schema editor, of ``data_type`` with every column its
    table has — its live fields, ``extra``, and its deleted fields, whose columns stay until
    purged (named by ``_deleted_name``) — and of the types they point at. SQLite changes
    a table by copying it into a new one made from this class: a column it lacked would be
    lost with its data."""
    fields = []
    for field in data_type.fields.exclude(pk__in=[f.pk for f in extra]):
        if field.is_deleted:
            field.name = _deleted_name(field)  # this instance only: it is never saved
        fields.append(field)
    fields += extra
    targets = {f.target_type_id for f in fields if f.target_type_id is not None} - {data_type.pk}
    types = [data_type, *DataType.objects.filter(pk__in=targets)]
    return builder.build(types, fields, register=False)


def _model_adding(editor: Any, field: DataField) -> tuple[type[models.Model], models.Field]:
    """The class the schema editor adds ``field`` to, and the field: its type holding that
    field alone — one field built, however many the type has, so a change adding 300
    fields builds 300 and not 45,000 — unless SQLite adds it by copying the whole table,
    which takes every column (``models_with``)."""
    model, made = field_alone(field)
    if _copies_table(editor, made):
        model = models_with(field.data_type)[field.data_type_id]
        made = model._meta.get_field(field.name)
    return model, made


def _copies_table(editor: Any, made: models.Field) -> bool:
    """Whether SQLite's schema editor adds ``made`` by copying the table rather than with
    ALTER TABLE ADD COLUMN: Django's own test (``DatabaseSchemaEditor.add_field``)."""
    if editor.connection.vendor != "sqlite" or made.many_to_many:
        return False
    return bool(
        made.primary_key
        or made.unique
        or not made.null
        or editor.effective_default(made) is not None
        or made.db_default is not NOT_PROVIDED
    )


def add_field(
    data_type: DataType, raw: Mapping[str, Any], *, user: Any = None, source: str = "code"
) -> DataField:
    """Add a field (a column, or a join table for a list of things or options)."""
    with schema_change(user=user, source=source) as (editor, change):
        data_type = DataType.objects.select_for_update().get(pk=data_type.pk)
        before = change.type_before(data_type)
        spec = field_spec(data_type, raw)
        _check_field_name(data_type, spec.name, kind=spec.type)
        _check_bubble_name(data_type, spec)
        position = (data_type.fields.aggregate(models.Max("position"))["position__max"] or 0) + 1
        field = DataField.objects.create(data_type=data_type, position=position, **spec.values())
        model, made = _model_adding(editor, field)
        if made.many_to_many:
            editor.create_model(made.remote_field.through)
        else:
            editor.add_field(model, made)
        _type_changed(change, data_type, before)
    return field


#: what ``change_field`` may change; a field's type never changes (as in Bubble)
CHANGEABLE = ("name", "required", "unique", "indexed", "default", "help_text", "bubble_name")


def change_field(
    field: DataField, raw: Mapping[str, Any], *, user: Any = None, source: str = "code"
) -> DataField:
    """Rename a field, or change whether it is required, unique or indexed, its default
    or its help text. A rename changes no column; unique and indexed add or drop an index."""
    unknown = sorted(set(raw) - set(CHANGEABLE))
    if unknown:
        raise SchemaError(
            f"cannot change {', '.join(unknown)} (a field's type stays what it was made; "
            "add a new field instead)",
            where=str(field),
        )
    with schema_change(user=user, source=source) as (editor, change):
        field = DataField.objects.select_related("data_type", "target_type", "option_set").get(
            pk=field.pk
        )
        data_type = DataType.objects.select_for_update().get(pk=field.data_type_id)
        if field.is_deleted:
            raise SchemaError("the field is deleted: restore it first", where=str(field))
        before = change.type_before(data_type)
        old_model = models_with(data_type)[data_type.pk]
        old = old_model._meta.get_field(field.name)
        merged = {**definitions.field_definition(field), **raw}
        spec = field_spec(data_type, merged)
        old_name = field.name
        if spec.name != old_name:
            _check_field_name(data_type, spec.name, exclude=field, kind=field.type)
        if spec.bubble_name.lower() != field.bubble_name.lower() or spec.name != old_name:
            _check_bubble_name(data_type, spec, exclude=field)
        for key in CHANGEABLE:
            setattr(field, key, getattr(spec, key))
        field.save()
        if data_type.display_field == old_name and old_name != field.name:
            data_type.display_field = field.name  # the display field follows its rename
            data_type.save(update_fields=["display_field"])
        if old_name != field.name:
            from .references import field_mentions, rename_field_in_rules

            # the rules keep showing the same field, never another that takes its old name
            rename_field_in_rules(data_type.name, old_name, field.name, change.record)
            field.mentioned_in = field_mentions(old_name)  # for the builder to change
        new_model = models_with(data_type)[data_type.pk]
        new = new_model._meta.get_field(field.name)
        if not new.many_to_many:
            editor.alter_field(new_model, old, new, strict=True)
        _type_changed(change, data_type, before)
    return field


def delete_field(field: DataField, *, user: Any = None, source: str = "code") -> DataField:
    """Hide a field; its column and data stay until ``purge_field`` (Bubble's deleted
    fields). Its name is free again at once."""
    with schema_change(user=user, source=source) as (_editor, change):
        field = DataField.objects.select_related("data_type").get(pk=field.pk)
        data_type = DataType.objects.select_for_update().get(pk=field.data_type_id)
        if field.is_deleted:
            raise SchemaError("the field is already deleted", where=str(field))
        if data_type.display_field == field.name:
            raise SchemaError("it is the display field; choose another first", where=str(field))
        before = change.type_before(data_type)
        field.deleted_at = timezone.now()
        field.save(update_fields=["deleted_at"])
        _type_changed(change, data_type, before)
    return field


def restore_field(
    field: DataField, *, name: str | None = None, user: Any = None, source: str = "code"
) -> DataField:
    """Bring a deleted field back with its data (under ``name`` if its own is taken)."""
    with schema_change(user=user, source=source) as (_editor, change):
        field = DataField.objects.select_related("data_type").get(pk=field.pk)
        data_type = DataType.objects.select_for_update().get(pk=field.data_type_id)
        if not field.is_deleted:
            raise SchemaError("the field is not deleted", where=str(field))
        before = change.type_before(data_type)
        field.name = _check_field_name(
            data_type, name or field.name, exclude=field, kind=field.type
        )
        field.deleted_at = None
        field.save(update_fields=["name", "deleted_at"])
        _type_changed(change, data_type, before)
    return field


def field_alone(field: DataField) -> tuple[type[models.Model], models.Field]:
    """An unregistered model of ``field``'s type holding that field only, and the field:
    to read a deleted field's column (whose name may be a live field's again), or to add
    one column. Never for a change SQLite makes by copying the table (``models_with``)."""
    data_type = field.data_type
    targets = [field.target_type] if field.target_type_id not in (None, data_type.pk) else []
    model = builder.build([data_type, *targets], [field], register=False)[data_type.pk]
    return model, model._meta.get_field(field.name)


def purge_field(field: DataField, *, user: Any = None, source: str = "code") -> None:
    """Drop a deleted field's column (or join table) and its data, for good."""
    with schema_change(user=user, source=source) as (editor, change):
        field = DataField.objects.select_related("data_type", "target_type", "option_set").get(
            pk=field.pk
        )
        data_type = DataType.objects.select_for_update().get(pk=field.data_type_id)
        if not field.is_deleted:
            raise SchemaError("delete the field first; purging drops its data", where=str(field))
        before = change.type_before(data_type, deleted=True)
        # the whole table: SQLite drops an indexed column by copying the table without it
        model = models_with(data_type)[data_type.pk]
        made = model._meta.get_field(_deleted_name(field))
        if made.many_to_many:
            editor.delete_model(made.remote_field.through)
        else:
            editor.remove_field(model, made)
        field.delete()
        _type_changed(change, data_type, before, deleted=True)


def _type_changed(
    change: Change, data_type: DataType, before: Any, *, deleted: bool = False
) -> None:
    """Mark ``data_type`` changed and record it (``before``: its definition before, None
    when this change recorded it already): one record per type per change."""
    DataType.objects.filter(pk=data_type.pk).update(updated_at=timezone.now())
    change.type_changed(data_type, before, deleted=deleted)


# --- option sets ---------------------------------------------------------------------------


def _options(raw: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(raw, list) or not raw:
        raise SchemaError("options must be a non-empty list", where=where, key="options")
    options: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for item in raw:
        if isinstance(item, str):
            display, attributes = item, {}
        elif isinstance(item, Mapping) and isinstance(item.get("display"), str):
            attributes = {k: v for k, v in item.items() if k != "display"}
            display = item["display"]
            for key in attributes:
                check_name(key, what="attribute", where=f"{where}.{display}")
            problem = data_types.storable_problem(attributes)
            if problem is not None:
                raise SchemaError(f"{display}: {problem}", where=where, key="options")
        else:
            raise SchemaError(
                f"an option is text or {{display: text, ...}}, not {item!r}",
                where=where,
                key="options",
            )
        if not display.strip() or len(display) > 200:
            raise SchemaError(
                "an option's display is text of 1 to 200 characters", where=where, key="options"
            )
        if display.lower() in seen:
            raise SchemaError(f"option {display!r} is listed twice", where=where, key="options")
        seen.add(display.lower())
        options.append((display, attributes))
    return options


def save_option_set(
    raw: Mapping[str, Any],
    *,
    user: Any = None,
    source: str = "code",
    option_set: OptionSet | None = None,
    option_ids: Sequence[int | None] | None = None,
) -> OptionSet:
    """Create an option set, or change the one of that name: its options in this order.
    An option kept (same display, in any case) keeps its id, so things that picked it
    still do; an option left out is deleted and things that picked it read empty.

    A page that edits one set says which: ``option_set`` is the set changed (``raw``'s
    name then renames it), ``option_ids`` the id each of ``raw``'s options had (None: a
    new one), so an option whose display changed keeps its id and its things too."""
    name = check_name(raw.get("name"), what="option set", where=str(raw.get("name")))
    options = _options(raw.get("options"), name)
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SchemaError("description must be text", where=name, key="description")
    if option_ids is not None and len(option_ids) != len(options):
        raise SchemaError("one option id per option is needed", where=name, key="options")
    with schema_change(user=user, source=source) as (_editor, change):
        if option_set is not None:
            option_set = OptionSet.objects.select_for_update().get(pk=option_set.pk)
            taken = OptionSet.objects.filter(name__iexact=name).exclude(pk=option_set.pk)
            if taken.exists():
                raise SchemaError(
                    f"there is already an option set named {name!r}", where=name, key="name"
                )
        else:
            option_set = OptionSet.objects.select_for_update().filter(name__iexact=name).first()
        before = definitions.option_set_definition(option_set) if option_set else None
        if option_set is None:
            option_set = OptionSet.objects.create(name=name, description=description)
        else:
            option_set.name, option_set.description = name, description
            option_set.updated_at = timezone.now()
            option_set.save()
        current = {o.pk: o for o in option_set.options.all()}
        ids = list(option_ids) if option_ids is not None else [None] * len(options)
        named = [current.get(pk) if pk is not None else None for pk in ids]
        claimed = {o.pk for o in named if o is not None}
        by_display = {o.display.lower(): o for o in current.values() if o.pk not in claimed}
        matched = [
            option or by_display.pop(display.lower(), None)
            for option, (display, _attributes) in zip(named, options, strict=True)
        ]
        # the options left out go first: a kept one may take a display one of them had
        option_set.options.exclude(pk__in=[o.pk for o in matched if o is not None]).delete()
        for position, ((display, attributes), option) in enumerate(
            zip(options, matched, strict=True)
        ):
            option = option or Option(option_set=option_set)
            option.display, option.attributes, option.position = display, attributes, position
            option.save()
        after = definitions.option_set_definition(option_set)
        action = (
            DefinitionChange.Action.CREATED if before is None else DefinitionChange.Action.CHANGED
        )
        change.record(DefinitionChange.Kind.OPTION_SET, name, action, before, after)
    return option_set


def delete_option_set(option_set: OptionSet, *, user: Any = None, source: str = "code") -> None:
    with schema_change(user=user, source=source) as (_editor, change):
        option_set = OptionSet.objects.get(pk=option_set.pk)
        used = list(DataField.objects.filter(option_set=option_set).select_related("data_type"))
        if used:
            names = ", ".join(str(f) for f in used)
            raise SchemaError(f"fields use it: {names}", where=option_set.name)
        before = definitions.option_set_definition(option_set)
        option_set.delete()
        change.record(
            DefinitionChange.Kind.OPTION_SET,
            before["name"],
            DefinitionChange.Action.DELETED,
            before,
            None,
        )


__all__ = [
    "SchemaError",
    "add_field",
    "change_data_type",
    "change_field",
    "create_data_type",
    "create_data_types",
    "delete_data_type",
    "delete_field",
    "delete_option_set",
    "field_spec",
    "purge_field",
    "restore_field",
    "save_option_set",
    "schema_change",
]


# --- what a change will cost, said before it runs -------------------------------------------

#: from this many things on, a change that reads or copies the whole table is announced
LARGE_TABLE = 10_000


def row_estimate(data_type: DataType) -> int:
    """About how many things the type has (PostgreSQL's statistics; SQLite counts)."""
    table = data_type.table_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            row = cursor.fetchone()
            if row is not None and row[0] >= 0:
                return int(row[0])
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def plan_add_field(data_type: DataType, raw: Mapping[str, Any]) -> list[str]:
    """What adding ``raw`` to ``data_type`` will do to a large table, in a builder's words
    (empty: nothing worth saying). Shown before the change runs."""
    return _plan(data_type, raw, adding=True)


def plan_change_field(field: DataField, raw: Mapping[str, Any]) -> list[str]:
    """The same for changing ``field`` (``raw``: the settings that change)."""
    indexed = {
        key
        for key in ("unique", "indexed")
        if key in raw and bool(raw[key]) != bool(getattr(field, key))
    }
    if not indexed:
        return []
    return _plan(field.data_type, {k: raw[k] for k in indexed}, adding=False, name=field.name)


def _plan(
    data_type: DataType, raw: Mapping[str, Any], *, adding: bool, name: str = ""
) -> list[str]:
    rows = row_estimate(data_type)
    if rows < LARGE_TABLE:
        return []
    name = name or str(raw.get("name", "the field"))
    about = f"{data_type.name} has about {rows:,} things"
    notes: list[str] = []
    if raw.get("unique") or raw.get("indexed"):
        what = "unique" if raw.get("unique") else "indexed for searches"
        notes.append(
            f"{about}: making {name} {what} builds an index by reading all of them; "
            f"writes to {data_type.name} wait until it is built."
        )
    if connection.vendor == "sqlite" and (
        not adding or raw.get("unique") or raw.get("default") is not None
    ):
        notes.append(
            f"{about}: SQLite makes this change by copying the whole table; every other "
            "write waits until it is done."
        )
    return notes
