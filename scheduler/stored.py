"""Parameter values as a scheduled run keeps them until it fires: plain JSON.

Coerced values (things, dates, files) are written in the forms parameter coercion reads
back — a thing as ``{"_type", "_id"}``, a date as ISO 8601, a file as ``{url, name}`` —
so a run that fires later coerces its stored parameters like any other input, and a thing
deleted in between fails the run with ``NOT_FOUND`` instead of running on a ghost. Unlike
run-log values they are neither masked nor truncated.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from workflows import data_types
from workflows.engine.values_types import FileValue, Namespace, ThingList


def to_stored(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, models.Model):
        return {"_type": data_types.label_of(type(value)), "_id": _plain_pk(value.pk)}
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, FileValue):
        return value.as_dict()
    if isinstance(value, Namespace):
        value = {k: value[k] for k in value}
    if isinstance(value, Mapping):
        return {str(k): to_stored(v) for k, v in value.items()}
    if isinstance(value, ThingList):
        value = list(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [to_stored(v) for v in value]
    return str(value)


def _plain_pk(pk: Any) -> Any:
    return pk if isinstance(pk, int | str) else str(pk)
