"""Parameter specs and coercion: raw input (JSON, form, query string, Python) → typed values.

Every entry point (REST, admin "run now", custom events, the scheduler) coerces through
``coerce_params`` so a parameter means the same thing wherever a run comes from. Errors
name the parameter and carry the REST contract's code.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date as django_parse_date
from django.utils.dateparse import parse_datetime

from .. import data_types, jsontext
from ..choices import ParameterType
from ..exceptions import InvalidParameter, MissingParameter, ThingNotFound
from .values_types import FileValue, ThingList

MAX_LIST_LENGTH = 10_000
MAX_FILE_BYTES = 25 * 1024 * 1024
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


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

    @property
    def model(self) -> type[models.Model]:
        return data_types.get_model(self.data_type)


class _Invalid(Exception):
    """Raised by the per-type coercers; turned into InvalidParameter with the key."""


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
        if spec.type == ParameterType.THING:
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
    return value == "" and spec.type != ParameterType.TEXT


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
        if spec.type == ParameterType.THING:
            return _things(spec, [value], things)[0]
        return _COERCERS[spec.type](value)
    except _Invalid as exc:
        raise InvalidParameter(f"parameter {where!r}: {exc}", parameter=spec.key) from None


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _Invalid(f"expected text, got {_kind(value)}")
    return str(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Invalid("expected a number, got yes/no")
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
                raise _Invalid(f"expected a number, got {value[:60]!r}") from None
    if not isinstance(value, int | float):
        raise _Invalid(f"expected a number, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid("expected a finite number")
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
    raise _Invalid(f"expected yes/no (true or false), got {str(value)[:60]!r}")


def parse_date(value: Any) -> datetime.datetime:
    """ISO 8601 text (date or date-time) or epoch milliseconds → an aware datetime."""
    try:
        return _date(value)
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def _date(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, datetime.date):
        result = datetime.datetime.combine(value, datetime.time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        result = _from_epoch_ms(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            result = _from_epoch_ms(float(text))
        else:
            try:
                result = parse_datetime(text)
                if result is None:
                    day = django_parse_date(text)
                    result = datetime.datetime.combine(day, datetime.time()) if day else None
            except ValueError:
                result = None
            if result is None:
                raise _Invalid(
                    f"expected an ISO 8601 date or epoch milliseconds, got {text[:60]!r}"
                )
    else:
        raise _Invalid(f"expected a date, got {_kind(value)}")
    try:
        if timezone.is_naive(result):
            result = timezone.make_aware(result, timezone.get_default_timezone())
        data_types.check_date(result)
    except (OverflowError, ValueError) as exc:
        raise _Invalid(str(exc)) from None
    # in UTC: PostgreSQL refuses offsets past ±15:59 (Python allows up to ±23:59)
    return result.astimezone(datetime.timezone.utc)


def _from_epoch_ms(ms: float) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise _Invalid(f"epoch milliseconds out of range: {ms}") from None


def _file(value: Any) -> FileValue:
    if isinstance(value, FileValue):
        return value
    if isinstance(value, UploadedFile):
        if value.size and value.size > MAX_FILE_BYTES:
            raise _Invalid(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return _store(value.name or "upload", value, value.size, value.content_type)
    if isinstance(value, str):
        if not _URL.match(value.strip()):
            raise _Invalid("expected an uploaded file or an http(s) URL")
        url = value.strip()
        return FileValue(url=url, name=url.rsplit("/", 1)[-1].split("?")[0] or "file")
    if isinstance(value, Mapping):
        if "contents" in value:  # Bubble's {filename, contents: base64}
            try:
                raw = base64.b64decode(str(value["contents"]), validate=True)
            except (binascii.Error, ValueError):
                raise _Invalid("'contents' is not valid base64") from None
            if len(raw) > MAX_FILE_BYTES:
                raise _Invalid(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            name = str(value.get("filename") or "file")
            return _store(name, ContentFile(raw), len(raw), value.get("content_type"))
        if "url" in value:
            return _file_reference(value)
    raise _Invalid(f"expected a file, got {_kind(value)}")


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
                    f"parameter {where!r}: expected a {model._meta.label}, "
                    f"got a {value._meta.label}",
                    parameter=spec.key,
                )
            ids.append(value)
            continue
        if isinstance(value, Mapping) and "_id" in value:
            value = value["_id"]
        if isinstance(value, bool) or not isinstance(value, str | int | uuid.UUID):
            raise InvalidParameter(
                f"parameter {where!r}: expected the id of a {model._meta.label}, "
                f"got {_kind(value)}",
                parameter=spec.key,
            )
        try:
            text = value.strip() if isinstance(value, str) else value
            ids.append(data_types.pk_value(model, text))
        except ValidationError:
            raise InvalidParameter(
                f"parameter {where!r}: {str(value)[:60]!r} is not a valid {model._meta.label} id",
                parameter=spec.key,
            ) from None
    wanted = [v for v in ids if not isinstance(v, models.Model)]
    found = (things or _all_things)(model).in_bulk(wanted) if wanted else {}
    result = []
    for i, value in enumerate(ids):
        if isinstance(value, models.Model):
            result.append(value)
            continue
        thing = found.get(value)
        if thing is None:
            where = f"{spec.key}[{i}]" if spec.is_list else spec.key
            raise ThingNotFound(
                f"parameter {where!r}: no {model._meta.label} with id {value!r}",
                parameter=spec.key,
            )
        result.append(thing)
    return result


def _kind(value: Any) -> str:
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


_COERCERS = {
    ParameterType.TEXT: _text,
    ParameterType.NUMBER: _number,
    ParameterType.YES_NO: _yes_no,
    ParameterType.DATE: _date,
    ParameterType.FILE: _file,
}
