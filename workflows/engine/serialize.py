"""Turning run values into JSON: for the run log (compact, masked) and for responses.

Things become ``{_type, _id, _display}`` references in logs and Bubble-shaped objects in
responses. Values under secret-looking keys (``Authorization``, ``password``...) are masked
in logs, never in what a workflow deliberately returns.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from .. import conf, data_types
from .values_types import FileValue, Namespace, ThingList

MASK = "********"
_MAX_LOG_TEXT = 10_000
_MAX_LOG_ITEMS = 200


def _masked_keys() -> frozenset[str]:
    return frozenset(k.lower() for k in conf.get("MASKED_KEYS"))


def to_log(value: Any, *, _depth: int = 0, _masked: frozenset[str] | None = None) -> Any:
    """A JSON-safe, size-capped, masked picture of ``value`` for ``Run``/``StepRun`` rows."""
    masked = _masked if _masked is not None else _masked_keys()
    if _depth > 8:
        return "…"
    if isinstance(value, str):
        return value if len(value) <= _MAX_LOG_TEXT else value[:_MAX_LOG_TEXT] + "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return data_types.thing_reference(value)
    if isinstance(value, ThingList):
        value = list(value)
    if isinstance(value, Namespace):
        value = {k: value[k] for k in value}
    if isinstance(value, FileValue):
        return value.as_dict()
    if isinstance(value, Mapping):
        out = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= _MAX_LOG_ITEMS:
                out["…"] = f"{len(value) - _MAX_LOG_ITEMS} more"
                break
            skey = str(key)
            if _is_secret_key(skey, masked) and item not in (None, ""):
                out[skey] = MASK
            else:
                out[skey] = to_log(item, _depth=_depth + 1, _masked=masked)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        out_list = [to_log(v, _depth=_depth + 1, _masked=masked) for v in items[:_MAX_LOG_ITEMS]]
        if len(items) > _MAX_LOG_ITEMS:
            out_list.append(f"… {len(items) - _MAX_LOG_ITEMS} more")
        return out_list
    return _scalar(value)


def to_response(value: Any, *, _depth: int = 0) -> Any:
    """What a caller receives: things as Bubble-shaped objects, dates as ISO 8601."""
    if _depth > 16:
        raise ValueError("returned data is nested too deeply")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, models.Model):
        return data_types.thing_to_dict(value)
    if isinstance(value, ThingList):
        value = list(value)
    if isinstance(value, Namespace):
        value = {k: value[k] for k in value}
    if isinstance(value, FileValue):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {str(k): to_response(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_response(v, _depth=_depth + 1) for v in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, datetime.datetime | datetime.date | Decimal):
        return data_types.plain(value)
    return str(value)[:_MAX_LOG_TEXT]


def _is_secret_key(key: str, masked: frozenset[str]) -> bool:
    lowered = key.lower()
    return lowered in masked or any(
        part in lowered for part in ("password", "secret", "token") if part in masked
    )
