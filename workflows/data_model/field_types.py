"""The field types of data types defined without code: one registry the builder, the admin,
the definition file and the docs read (docs/data-types.md#field-types).

Each type says how its column is made (``model_field``), whether it can be a list, and how
a default given by a builder is checked. A list of things or of options is a join table;
a list of texts, numbers, dates, files or images a JSON list.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.html import escape

from ..bubble_fields import ListField
from .fields import AddressField, FileUrlField, ThingReference


class DefaultError(ValueError):
    """A field's default does not fit its type (the message says why)."""


@dataclass(frozen=True)
class Column:
    """What a field's column needs besides its type: its name and the builder's choices."""

    name: str  # the attribute expressions read (thing.score)
    column: str  # the column in the table (f<id>)
    required: bool = False
    unique: bool = False
    indexed: bool = False
    default: Any = None
    help_text: str = ""

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "verbose_name": self.name,
            "db_column": self.column,
            "null": True,
            "blank": not self.required,
            "unique": self.unique,
            "db_index": self.indexed and not self.unique,
            # a builder's text: Django's admin prints help texts as HTML
            "help_text": escape(self.help_text),
        }
        if self.default is not None:
            options["default"] = self.default
        return options


@dataclass(frozen=True)
class FieldType:
    """One kind of field a builder can add."""

    name: str
    label: str
    #: the column of one value; ``target`` is the model referred to (thing, option)
    make: Callable[[Column, Any], models.Field]
    #: the list's item kind for ``ListField`` (None: no JSON list of this type)
    list_of: str | None = None
    #: a list of it is a join table (a list of things or options)
    joined: bool = False
    needs_target: bool = False
    needs_option_set: bool = False
    check_default: Callable[[Any], Any] | None = None
    description: str = ""
    indexable: bool = True

    @property
    def listable(self) -> bool:
        return self.joined or self.list_of is not None

    def model_field(self, column: Column, target: Any, *, is_list: bool) -> models.Field:
        """The Django field of a column of this type (``is_list``: a list of them)."""
        if not is_list:
            return self.make(column, target)
        if self.joined:
            return models.ManyToManyField(
                target,
                verbose_name=column.name,
                related_name="+",
                blank=True,
                db_constraint=False,
                help_text=escape(column.help_text),
            )
        options = column.options()
        options.pop("db_index")
        options.pop("unique")
        options["blank"] = True  # an empty list is a list
        options["null"] = False
        options.setdefault("default", list)
        return ListField(of=self.list_of or "text", **options)


def _text_default(value: Any) -> str:
    if not isinstance(value, str):
        raise DefaultError("the default of a text field is text")
    return value


def _number_default(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefaultError("the default of a number field is a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise DefaultError("the default of a number field is a finite number")
    return number


def _yes_no_default(value: Any) -> bool:
    if not isinstance(value, bool):
        raise DefaultError("the default of a yes / no field is true or false")
    return value


def _date_default(value: Any) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise DefaultError("the default of a date field is an ISO 8601 date and time")
    return value


def _no_default(value: Any) -> Any:
    raise DefaultError("this kind of field has no default")


def _date_field(column: Column, target: Any) -> models.Field:
    options = column.options()
    if "default" in options:  # stored as text in the definition, a moment in the column
        options["default"] = _moment(options["default"])
    return models.DateTimeField(**options)


def _moment(text: str) -> datetime.datetime:
    moment = parse_datetime(text)
    assert moment is not None  # checked by _date_default
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _reference(column: Column, target: Any) -> models.Field:
    options = column.options()
    options.pop("null")
    options.pop("default", None)
    return ThingReference(target, **options)


#: name -> field type, in the order the admin offers them
FIELD_TYPES: dict[str, FieldType] = {}


def register(field_type: FieldType) -> FieldType:
    FIELD_TYPES[field_type.name] = field_type
    return field_type


register(
    FieldType(
        "text",
        "text",
        lambda c, t: models.TextField(**c.options()),
        list_of="text",
        check_default=_text_default,
        description="Any text.",
    )
)
register(
    FieldType(
        "number",
        "number",
        lambda c, t: models.FloatField(**c.options()),
        list_of="number",
        check_default=_number_default,
        description="A number (decimals allowed).",
    )
)
register(
    FieldType(
        "yes_no",
        "yes / no",
        lambda c, t: models.BooleanField(**c.options()),
        check_default=_yes_no_default,
        description="Yes or no.",
    )
)
register(
    FieldType(
        "date",
        "date",
        _date_field,
        list_of="date",
        check_default=_date_default,
        description="A date with a time.",
    )
)
register(
    FieldType(
        "thing",
        "a thing of a data type",
        _reference,
        joined=True,
        needs_target=True,
        check_default=_no_default,
        description="A thing of another data type (or a list of them).",
    )
)
register(
    FieldType(
        "option",
        "an option of an option set",
        _reference,
        joined=True,
        needs_option_set=True,
        check_default=_no_default,
        description="One option of an option set (or a list of them).",
    )
)
register(
    FieldType(
        "file",
        "file",
        lambda c, t: FileUrlField(**c.options()),
        list_of="text",
        check_default=_no_default,
        description="A file, stored as its URL.",
    )
)
register(
    FieldType(
        "image",
        "image",
        lambda c, t: FileUrlField(**c.options()),
        list_of="text",
        check_default=_no_default,
        description="An image, stored as its URL.",
    )
)
register(
    FieldType(
        "geographic_address",
        "geographic address",
        lambda c, t: AddressField(**c.options()),
        check_default=_no_default,
        description='An address with its position: {"address", "lat", "lng"}.',
        indexable=False,
    )
)


def get(name: str) -> FieldType:
    try:
        return FIELD_TYPES[name]
    except KeyError:
        known = ", ".join(FIELD_TYPES)
        raise KeyError(f"unknown field type {name!r}; known: {known}") from None


def choices() -> list[tuple[str, str]]:
    return [(t.name, t.label) for t in FIELD_TYPES.values()]


__all__ = ["FIELD_TYPES", "Column", "DefaultError", "FieldType", "choices", "get"]
