"""Parameter types: one class per type a workflow parameter can have, registered by name.

Everything that treats a parameter by its type reads this registry: coercion of raw input
(``engine.params``), error messages that must not echo a secret value (``masking``), the
OpenAPI schema and descriptions (``api.params_serializer``), the admin's Run now and test
run forms (by ``widget``), the compiler's checks (``needs_data_type``), the schema of
returned data and the editor's picker (``kind``). Adding a type is one class here with
``@register_param_type``; nothing elsewhere branches on a type's name.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_date as django_parse_date
from django.utils.dateparse import parse_datetime

from .. import accounts, data_types
from . import kinds
from .dates import TEXT_EXAMPLES, DateTextError, read_date_text
from .kinds import Kind
from .values_types import FileValue

MAX_FILE_BYTES = 25 * 1024 * 1024
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
#: what a date parameter takes, in errors and in the OpenAPI description (see
#: docs/workflow-format.md, "Parameter types")
DATE_EXPECTED = f"a date: ISO 8601, epoch milliseconds, or text such as {TEXT_EXAMPLES}"


class Invalid(Exception):
    """Raised by a type's ``coerce``; the caller turns it into ``InvalidParameter`` naming
    the parameter."""


# --- the registry ----------------------------------------------------------------------


class ParamType:
    """One parameter type: how raw input becomes its value, and how it is described."""

    #: the name in definitions (``type: number``)
    name: ClassVar[str]
    #: for people, in the admin and the editor
    label: ClassVar[str]
    #: what an invalid value was expected to be: "a number" (secret values are not echoed)
    expected: ClassVar[str]
    #: how the API reads the value, for the OpenAPI description ("" when obvious)
    hint: ClassVar[str] = ""
    #: an empty form field ("") counts as not sent (for every type but text)
    blank_is_missing: ClassVar[bool] = True
    #: the parameter names a data type (``data_type: examples.Order``)
    needs_data_type: ClassVar[bool] = False
    #: the form input the admin's Run now / test run shows for it
    widget: ClassVar[str] = "text"

    def coerce(self, value: Any) -> Any:
        """One value (one item of a list parameter) from raw input; raise ``Invalid``."""
        raise NotImplementedError

    def schema(self, *, data_type: str = "", upload: bool = False, query: bool = False) -> dict:
        """The JSON schema of one value as the API takes it."""
        return {"type": "string"}

    def kind(self, *, data_type: str = "") -> Kind:
        """What the value is, once coerced, in an expression (``params.<key>``)."""
        return kinds.TEXT


_PARAM_TYPES: dict[str, ParamType] = {}


def register_param_type(cls: type[ParamType]) -> type[ParamType]:
    """Class decorator adding a parameter type; a second one with the same name is refused."""
    if cls.name in _PARAM_TYPES:
        raise ValueError(f"parameter type {cls.name!r} is already registered")
    _PARAM_TYPES[cls.name] = cls()
    return cls


def param_type(name: str) -> ParamType:
    try:
        return _PARAM_TYPES[name]
    except KeyError:
        raise KeyError(
            f"unknown parameter type {name!r}; known: {', '.join(param_type_names())}"
        ) from None


def param_type_names() -> list[str]:
    return list(_PARAM_TYPES)


def all_param_types() -> list[ParamType]:
    return list(_PARAM_TYPES.values())


@register_param_type
class TextType(ParamType):
    name = "text"
    label = "Text"
    expected = "text"
    blank_is_missing = False

    def coerce(self, value: Any) -> str:
        return _text(value)


@register_param_type
class NumberType(ParamType):
    name = "number"
    label = "Number"
    expected = "a number"
    widget = "number"

    def coerce(self, value: Any) -> int | float:
        return _number(value)

    def schema(self, **_: Any) -> dict:
        return {"type": "number"}

    def kind(self, **_: Any) -> Kind:
        return kinds.NUMBER


@register_param_type
class YesNoType(ParamType):
    name = "yes_no"
    label = "Yes / no"
    expected = "yes/no"
    hint = "true or false (also yes/no, 1/0 as text)."
    widget = "checkbox"

    def coerce(self, value: Any) -> bool:
        return _yes_no(value)

    def schema(self, **_: Any) -> dict:
        return {"type": "boolean"}

    def kind(self, **_: Any) -> Kind:
        return kinds.YES_NO


@register_param_type
class DateType(ParamType):
    name = "date"
    label = "Date"
    expected = DATE_EXPECTED
    hint = (
        "ISO 8601 date-time (or date), epoch milliseconds, or Bubble's text forms such as "
        f"{TEXT_EXAMPLES}; without a zone, in the server's TIME_ZONE."
    )
    widget = "datetime"

    def coerce(self, value: Any) -> datetime.datetime:
        return _date(value)

    def schema(self, **_: Any) -> dict:
        return {"type": "string", "format": "date-time"}

    def kind(self, **_: Any) -> Kind:
        return kinds.DATE


@register_param_type
class ThingType(ParamType):
    """A thing of a data type, sent as its id. Looked up by ``engine.params`` (all the ids
    of a list in one query, among the things the caller may reach), not by ``coerce``."""

    name = "thing"
    label = "Thing (of a data type)"
    expected = "the id of a thing"
    needs_data_type = True
    widget = "thing"

    def coerce(self, value: Any) -> Any:
        raise NotImplementedError("things are looked up by engine.params")

    def schema(self, *, data_type: str = "", **_: Any) -> dict:
        from ..exceptions import WorkflowError

        try:
            model = data_types.get_model(data_type)
        except WorkflowError:  # a data type no longer allowed: the workflow answers 400
            return {"type": "string"}
        return pk_schema(model)

    def kind(self, *, data_type: str = "") -> Kind:
        return Kind.thing(data_type)


@register_param_type
class FileType(ParamType):
    name = "file"
    label = "File"
    expected = "a file"
    hint = "An upload (multipart), an http(s) URL, or {filename, contents: base64}."
    widget = "file"

    def coerce(self, value: Any) -> FileValue:
        return _file(value)

    def schema(self, *, upload: bool = False, query: bool = False, **_: Any) -> dict:
        if upload:
            return {"type": "string", "format": "binary"}
        if query:
            return {"type": "string", "format": "uri"}
        return {
            "oneOf": [
                {"type": "string", "format": "uri"},
                {"$ref": f"#/components/schemas/{FILE_CONTENTS_COMPONENT}"},
            ]
        }

    def kind(self, **_: Any) -> Kind:
        return kinds.FILE


#: the JSON alternative to an upload: Bubble's ``{filename, contents}`` (base64)
FILE_CONTENTS_COMPONENT = "FileContents"


def pk_schema(model: Any) -> dict[str, Any]:
    """The OpenAPI type of a thing's id as the APIs name it: its unique id for a data type
    defined without code (``data_types.shows_unique_id``), else its primary key."""
    if data_types.shows_unique_id(model):
        # Bubble's unique id; its primary key is taken too
        return {**UNIQUE_ID_SCHEMA}
    number = primary_key_schema(model)
    if accounts.is_user_model(model):  # an account brought over from Bubble: its Bubble id
        return {"oneOf": [number, {**UNIQUE_ID_SCHEMA}]}
    return number


#: a thing's id in Bubble's shape (``1503408875694x944431186090727200``; a number is taken)
UNIQUE_ID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[0-9]{1,20}(x[0-9]{1,20})?$",
    "example": "1503408875694x944431186090727200",
}


def primary_key_schema(model: Any) -> dict[str, Any]:
    """The OpenAPI type of a model's primary key itself."""
    pk = model._meta.pk
    while pk.is_relation:  # a one-to-one primary key: the related model's key
        pk = pk.target_field
    kind = pk.get_internal_type()
    if kind in ("AutoField", "BigAutoField", "SmallAutoField") or "IntegerField" in kind:
        schema: dict[str, Any] = {"type": "integer"}
        if kind in ("BigAutoField", "BigIntegerField", "PositiveBigIntegerField"):
            schema["format"] = "int64"
        return schema
    if kind == "UUIDField":
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


# --- coercing one value ----------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise Invalid(f"expected text, got {describe_value(value)}")
    return str(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise Invalid("expected a number, got yes/no")
    if isinstance(value, Decimal):
        value = float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise Invalid(f"expected a number, got {value[:60]!r}") from None
    if not isinstance(value, int | float):
        raise Invalid(f"expected a number, got {describe_value(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid("expected a finite number")
    return value


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise Invalid(f"expected yes/no (true or false), got {str(value)[:60]!r}")


def parse_date(value: Any) -> datetime.datetime:
    """A date as any caller sends it (``_date``) → an aware datetime in UTC."""
    try:
        return _date(value)
    except Invalid as exc:
        raise ValueError(str(exc)) from None


def parse_calendar_date(value: Any) -> datetime.date:
    """A calendar date (a ``DateField``: no time, no zone) in the forms ``parse_date``
    reads. ``2016-01-13`` is that day whatever the range (a calendar date has no zone to
    move it out of range); a moment is the day it falls on in the run's time zone (its
    workflow's ``time_zone``, else ``TIME_ZONE``)."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            day = django_parse_date(value.strip())
        except ValueError:
            day = None
        if day is not None:
            return day
    moment = parse_date(value)
    return timezone.localtime(moment, timezone.get_current_timezone()).date()


def _date(value: Any) -> datetime.datetime:
    """ISO 8601 text (date or date-time), epoch milliseconds (a number, or text of at least
    five digits), or one of Bubble's text forms (``dates.read_date_text``). Without a zone,
    the value is read in the run's time zone (its workflow's ``time_zone``; outside a run,
    ``TIME_ZONE``, UTC unless set), whichever form it has. Refused out
    of the range every database can store (``data_types.check_date``)."""
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, datetime.date):
        result = datetime.datetime.combine(value, datetime.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        result = _from_epoch_ms(value)
    elif isinstance(value, str):
        result = _date_text(value.strip())
    else:
        raise Invalid(f"expected a date, got {describe_value(value)}")
    try:
        if timezone.is_naive(result):
            result = timezone.make_aware(result, timezone.get_current_timezone())
        data_types.check_date(result)
    except (OverflowError, ValueError) as exc:
        raise Invalid(str(exc)) from None
    # in UTC: PostgreSQL refuses offsets past ±15:59 (Python allows up to ±23:59)
    return result.astimezone(datetime.timezone.utc)


def _date_text(text: str) -> datetime.datetime:
    refused = f"expected {DATE_EXPECTED}, got {text[:60]!r}"
    number = re.fullmatch(r"-?(\d+)(\.\d+)?", text)
    if number:
        if len(number.group(1)) < 5:  # "2016" is a year, not 2 s after 1970: say so
            raise Invalid(f"{refused} (text of digits is epoch milliseconds: 5 digits or more)")
        return _from_epoch_ms(float(text))
    try:
        result = parse_datetime(text)
        if result is None:
            day = django_parse_date(text)
            result = datetime.datetime.combine(day, datetime.time()) if day else None
        if result is None:
            result = read_date_text(text)
    except DateTextError as exc:
        raise Invalid(f"{refused}: {exc}") from None
    except ValueError:
        result = None
    if result is None:
        raise Invalid(refused)
    return result


def _from_epoch_ms(ms: float) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise Invalid(f"epoch milliseconds out of range: {ms}") from None


def _file(value: Any) -> FileValue:
    if isinstance(value, FileValue):
        return value
    if isinstance(value, UploadedFile):
        if value.size and value.size > MAX_FILE_BYTES:
            raise Invalid(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return _store(value.name or "upload", value, value.size, value.content_type)
    if isinstance(value, str):
        if not _URL.match(value.strip()):
            raise Invalid("expected an uploaded file or an http(s) URL")
        url = value.strip()
        return FileValue(url=url, name=url.rsplit("/", 1)[-1].split("?")[0] or "file")
    if isinstance(value, Mapping):
        if "contents" in value:  # Bubble's {filename, contents: base64}
            try:
                raw = base64.b64decode(str(value["contents"]), validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("'contents' is not valid base64") from None
            if len(raw) > MAX_FILE_BYTES:
                raise Invalid(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            name = str(value.get("filename") or "file")
            return _store(name, ContentFile(raw), len(raw), value.get("content_type"))
        if "url" in value:
            return _file_reference(value)
    raise Invalid(f"expected a file, got {describe_value(value)}")


def _file_reference(value: Mapping[str, Any]) -> FileValue:
    """``{url, name, ...}``: a file stored here earlier (a scheduled run's parameter) or a URL."""
    url = str(value["url"]).strip()
    if url.startswith(default_storage.url("uploads/")) and ".." not in url:
        size = value.get("size")
        return FileValue(
            url=url,
            name=str(value.get("name") or url.rsplit("/", 1)[-1]),
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            content_type=str(value["content_type"]) if value.get("content_type") else None,
        )
    return _file(url)


def _store(name: str, content: Any, size: int | None, content_type: str | None) -> FileValue:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name.rsplit("/", 1)[-1])[:100] or "file"
    path = default_storage.save(f"uploads/{uuid.uuid4().hex}/{safe}", content)
    return FileValue(url=default_storage.url(path), name=safe, size=size, content_type=content_type)


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"text {value[:60]!r}"
    return type(value).__name__
