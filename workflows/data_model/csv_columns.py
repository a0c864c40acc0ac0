"""The columns of a data type in a CSV file, and which column of a file is which field
(docs/data-types.md#bringing-rows-csv).

A data type's columns are its fields (by name) and Bubble's built-in fields under Bubble's
names: ``Created Date``, ``Modified Date``, ``Created By``, ``unique id``. A file's headers
map to them by name in any case; failing that, by the letters and digits of the name
alone when only one field matches, so Bubble's ``Follow up`` finds ``follow_up`` (or
``followUp``). An explicit mapping (``--map 'Follow up=follow_up'``) comes first, and
maps a header to nothing with ``'Header='``. A column of a field that a file cannot set
(one the model sets itself, such as ``auto_now``) is skipped, as an export writes it.

A type defined without code takes each field's kind from its definition (the field-type
registry); a type written in code from its model's fields, where a CSV can say the value
(text, numbers, yes/no, dates, JSON, references and lists of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from .. import data_types
from ..bubble_fields import CREATED_BY, CREATED_DATE, MODIFIED_DATE, BubbleThing, ListField
from ..models.data_model import DataField
from . import field_types
from .builder import is_built
from .csv_values import Codec, codec
from .fields import AddressField, FileUrlField

UNIQUE_ID = "unique id"
#: Bubble's built-in fields: field → the header an export writes, and other spellings a
#: file may use for it
BUILT_IN_HEADERS: dict[str, tuple[str, ...]] = {
    "created_date": (CREATED_DATE, "Creation Date"),
    "modified_date": (MODIFIED_DATE,),
    "created_by": (CREATED_BY, "Creator"),
    "unique_id": (UNIQUE_ID, "_id"),
}


@dataclass(frozen=True)
class Column:
    """A field as a CSV column."""

    name: str  # the field's name: what --map and errors name
    header: str  # what an export writes
    field: Any  # the Django field
    codec: Codec
    is_list: bool = False
    #: for a reference: the model of the things it points to (Option for an option)
    target: Any = None
    #: for an option: its option set's id
    option_set_id: int | None = None
    #: other headers that name it (Bubble's spellings of the built-in fields)
    aliases: tuple[str, ...] = ()
    #: why a file cannot set it (``created_at`` is set by the model): read-only
    read_only: str = ""
    #: one of Bubble's built-in fields (``Created Date``...): what ``save()`` sets, and only
    #: some users may set from a file (``csv_io.import_files(built_in_columns=...)``)
    built_in: bool = False

    @property
    def reference(self) -> bool:
        return self.codec.reference

    @property
    def required(self) -> bool:
        """A new thing cannot be made without it (no default fills it)."""
        f = self.field
        return not (self.is_list or self.read_only or f.blank or f.has_default())


@dataclass
class HeaderMap:
    """Which column of a file is which field: ``columns[i]`` for the file's ``i``-th
    header (None: not imported), the headers that named no field, and what is wrong."""

    columns: list[Column | None]
    unknown: list[str] = field(default_factory=list)
    #: headers of fields a file cannot set, with why (``created_at: set by the model...``)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# --- a data type's columns -------------------------------------------------------------------


def columns_of(model: type[models.Model]) -> list[Column]:
    """Every column of ``model``, in the order an export writes them: its fields, then
    Bubble's built-in ones."""
    fields = _built_columns(model) if is_built(model) else _code_columns(model)
    return fields + _built_in_columns(model)


def _built_columns(model: type[models.Model]) -> list[Column]:
    """A type defined without code: each live field's kind from its definition."""
    fields = {f.name: f for f in [*model._meta.concrete_fields, *model._meta.many_to_many]}
    definitions = DataField.objects.filter(
        data_type_id=model.DATA_TYPE_ID, deleted_at__isnull=True
    ).order_by("position", "pk")
    columns = []
    for definition in definitions:
        f = fields.get(definition.name)
        if f is None:
            continue  # defined since this process built the model: unknown until it does
        columns.append(
            Column(
                name=f.name,
                header=f.name,
                field=f,
                codec=codec(field_types.get(definition.type).name),
                is_list=definition.is_list,
                target=f.related_model if f.is_relation else None,
                option_set_id=definition.option_set_id,
            )
        )
    return columns


def _code_columns(model: type[models.Model]) -> list[Column]:
    """A type written in code: its visible fields a CSV can carry, but not its primary
    key nor the fields workflows may not write (``PROTECTED_FIELDS``)."""
    protected = data_types.protected_field_names(model)
    columns = []
    for f in [*data_types.visible_fields(model), *data_types.list_fields(model)]:
        if f.primary_key or f.name in protected or f.name in BUILT_IN_HEADERS:
            continue
        kind = _code_kind(f)
        if kind is None:
            continue
        read_only = ""
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            read_only = "set by the model when the row is saved"
        elif not f.editable:
            read_only = "not editable"
        named = data_types.bubble_names(model).get(f.name)
        columns.append(
            Column(
                name=f.name,
                header=named or f.name,
                field=f,
                codec=codec(kind),
                is_list=f.many_to_many or isinstance(f, ListField),
                target=f.related_model if f.is_relation else None,
                aliases=(f.name,) if named else (),
                read_only=read_only,
            )
        )
    return columns


#: Django field classes → the codec of their values, the first that fits wins
_CODE_KINDS: tuple[tuple[type[models.Field], str], ...] = (
    (FileUrlField, "file"),
    (AddressField, "geographic_address"),
    (models.BooleanField, "yes_no"),
    (models.DateTimeField, "date"),
    (models.DateField, "calendar_date"),
    (models.DecimalField, "decimal"),
    (models.FloatField, "number"),
    (models.IntegerField, "integer"),
    (models.CharField, "text"),
    (models.TextField, "text"),
    (models.UUIDField, "text"),
    (models.JSONField, "json"),
)


def _code_kind(f: models.Field) -> str | None:
    if f.is_relation:
        return "thing" if data_types.is_data_type(f.related_model) else None
    if isinstance(f, ListField):
        return {"text": "text", "number": "number", "date": "date"}[f.of]
    return next((kind for cls, kind in _CODE_KINDS if isinstance(f, cls)), None)


def _built_in_columns(model: type[models.Model]) -> list[Column]:
    """Bubble's built-in fields, for a type that has them (every type defined without code,
    a code type made from ``BubbleThing``)."""
    if not issubclass(model, BubbleThing):
        return []
    meta = model._meta
    kinds = {"created_date": "date", "modified_date": "date", "created_by": "thing"}
    columns = []
    for name, (header, *aliases) in BUILT_IN_HEADERS.items():
        f = meta.get_field(name)
        columns.append(
            Column(
                name=name,
                header=header,
                field=f,
                codec=codec(kinds.get(name, "text")),
                target=f.related_model if f.is_relation else None,
                aliases=tuple(aliases),
                built_in=True,
            )
        )
    return columns


# --- a file's headers ------------------------------------------------------------------------


def _loose(text: str) -> str:
    """A name's letters and digits in lower case: ``Follow up`` and ``follow_up`` alike."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


def map_headers(
    model: type[models.Model], headers: list[str], explicit: Mapping[str, str] | None = None
) -> HeaderMap:
    """Which field each header is: the explicit mapping first (header → field name or
    Bubble name; "" for none), then the names in any case, then the loose spelling when one
    field alone has it. Two headers for one field, or an explicit mapping naming no field,
    are problems; headers naming nothing are ``unknown``."""
    columns = columns_of(model)
    label = data_types.label_of(model)
    by_name: dict[str, Column] = {}
    for column in columns:
        for name in (column.name, column.header, *column.aliases):
            by_name.setdefault(name.lower(), column)
    by_loose: dict[str, list[Column]] = {}
    for column in columns:
        for key in {_loose(n) for n in (column.name, column.header, *column.aliases)}:
            by_loose.setdefault(key, []).append(column)
    explicit = {k.strip().lower(): v.strip() for k, v in (explicit or {}).items()}
    result = HeaderMap(columns=[])
    for header in headers:
        wanted = header.strip()
        column: Column | None = None
        if wanted.lower() in explicit:
            target = explicit[wanted.lower()]
            if target:
                column = by_name.get(target.lower())
                if column is None:
                    result.problems.append(
                        f"--map {header}={target}: {label} has no field {target!r} "
                        f"(fields: {', '.join(c.name for c in columns)})"
                    )
        elif wanted.lower() in by_name:
            column = by_name[wanted.lower()]
        else:
            matches = by_loose.get(_loose(wanted), []) if _loose(wanted) else []
            if len(matches) == 1:
                column = matches[0]
            elif matches:
                names = " or ".join(c.name for c in matches)
                result.problems.append(
                    f"column {header!r} could be {names}: say which with --map '{header}=field'"
                )
            else:
                result.unknown.append(header)
        if column is not None and column.read_only:
            result.skipped.append(f"{header} ({column.read_only})")
            column = None
        result.columns.append(column)
    _check_twice(result, headers)
    if not result.problems and not any(result.columns):
        result.problems.append(
            f"no column names a field of {label} (fields: "
            f"{', '.join(c.header for c in columns if not c.read_only)})"
        )
    missing = [c.name for c in _required(columns) if c not in result.columns]
    if missing and any(result.columns):
        result.problems.append(
            f"no column for the required field{'s' * (len(missing) > 1)} {', '.join(missing)}"
        )
    return result


def _check_twice(result: HeaderMap, headers: list[str]) -> None:
    seen: dict[str, str] = {}
    for header, column in zip(headers, result.columns, strict=True):
        if column is None:
            continue
        if column.name in seen:
            result.problems.append(
                f"columns {seen[column.name]!r} and {header!r} are both {column.name}"
            )
        seen.setdefault(column.name, header)


def _required(columns: Iterable[Column]) -> list[Column]:
    return [c for c in columns if c.required]
