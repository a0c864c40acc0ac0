"""Turning run values into JSON: for the run log (compact, masked) and for responses.

Things become ``{_type, _id, _display}`` references in logs and Bubble-shaped objects in
responses. Values under secret-looking keys (``Authorization``, ``password``...), secret
parameters and operator secrets are masked in logs, never in what a workflow deliberately
returns.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from .. import conf, data_types, masking
from ..masking import MASK
from .values_types import FileValue, Namespace, ThingList

_MAX_LOG_TEXT = 10_000
_MAX_LOG_ITEMS = 200


def _masked_keys() -> frozenset[str]:
    return frozenset(k.lower() for k in conf.get("MASKED_KEYS"))


def to_log(value: Any, *, secret_keys: Collection[str] = ()) -> Any:
    """A JSON-safe, size-capped, masked picture of ``value`` for ``Run``/``StepRun`` rows.

    Masked: values under secret-looking keys (``MASKED_KEYS``), values under
    ``secret_keys`` at the top level (a run's secret parameters), and every operator
    secret or secret parameter value wherever it appears in text (``workflows.masking``).
    """
    masker = masking.current_masker()
    if secret_keys and isinstance(value, Mapping):
        value = {
            k: MASK if k in secret_keys and v not in (None, "") else v for k, v in value.items()
        }
    return _log(value, 0, _masked_keys(), masker)


def _log(value: Any, depth: int, masked: frozenset[str], masker: masking.Masker) -> Any:
    if depth > 8:
        return "…"
    if isinstance(value, str):
        if len(value) > _MAX_LOG_TEXT:
            # masked before cutting, so a secret across the cut is not half shown
            return masker.text(value[: _MAX_LOG_TEXT + 500])[:_MAX_LOG_TEXT] + "…"
        return masker.text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return _log(data_types.thing_reference(value), depth + 1, masked, masker)
    if isinstance(value, ThingList):
        value = list(value)
    if isinstance(value, Namespace):
        value = {k: value[k] for k in value}
    if isinstance(value, FileValue):
        return _log(value.as_dict(), depth + 1, masked, masker)
    if isinstance(value, Mapping):
        out = {}
        for i, (key, item) in enumerate(value.items()):
            if i >= _MAX_LOG_ITEMS:
                out["…"] = f"{len(value) - _MAX_LOG_ITEMS} more"
                break
            skey = masker.text(str(key))
            if _is_secret_key(skey, masked) and item not in (None, ""):
                out[skey] = MASK
            else:
                out[skey] = _log(item, depth + 1, masked, masker)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        out_list = [_log(v, depth + 1, masked, masker) for v in items[:_MAX_LOG_ITEMS]]
        if len(items) > _MAX_LOG_ITEMS:
            out_list.append(f"… {len(items) - _MAX_LOG_ITEMS} more")
        return out_list
    return masker.text(_scalar(value))


def to_response(value: Any, *, access: Any = None) -> Any:
    """What a caller receives: things as Bubble-shaped objects, dates as ISO 8601.

    With ``access`` (the run's ``DataAccess``) each thing shows only the fields its
    privacy rules let the caller see, worked out for all the things at once.
    """
    fields_of = access.serializer(_things_in(value)) if access is not None else None
    return _response(value, fields_of, 0)


def _response(value: Any, fields_of: Any, depth: int) -> Any:
    if depth > 16:
        raise ValueError("returned data is nested too deeply")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, models.Model):
        fields = fields_of(value) if fields_of is not None else None
        return data_types.thing_to_dict(value, fields=fields)
    if isinstance(value, ThingList):
        value = list(value)
    if isinstance(value, Namespace):
        value = {k: value[k] for k in value}
    if isinstance(value, FileValue):
        return value.as_dict()
    if isinstance(value, Mapping):
        return {str(k): _response(v, fields_of, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_response(v, fields_of, depth + 1) for v in value]
    return _scalar(value)


def _things_in(value: Any, depth: int = 0) -> list[models.Model]:
    """Every thing in a returned value (lists of things are read once, here)."""
    if depth > 16 or value is None or isinstance(value, str | bool | int | float):
        return []
    if isinstance(value, models.Model):
        return [value]
    if isinstance(value, ThingList):
        return list(value)
    if isinstance(value, Namespace):
        value = [value[k] for k in value]
    elif isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return [thing for item in value for thing in _things_in(item, depth + 1)]
    return []


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
