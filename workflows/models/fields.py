"""Model fields of the workflows app."""

from __future__ import annotations

import functools
import json
from typing import Any

from django.db import models


class OrderedJSONField(models.JSONField):
    """A ``JSONField`` whose objects keep their keys in the order they were written, on
    every database: a builder's ``fields``, ``query``, ``headers`` and ``body`` are sent and
    shown as written. PostgreSQL's ``jsonb`` (Django's default) sorts an object's keys, so
    there this column is ``json``, which keeps the text as written; SQLite stores text
    already. Lookups into keys need ``KT()`` (text) on it: ``json`` has no ``=``."""

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        adapted = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor != "postgresql" or type(adapted).__name__ != "Jsonb":
            return adapted
        from psycopg.types.json import Json  # PostgreSQL's driver: only there

        return Json(adapted.obj, dumps=functools.partial(json.dumps, cls=self.encoder))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is not None and not isinstance(value, str | bytes | bytearray):
            return value  # the driver decoded ``json`` already (it leaves ``jsonb`` as text)
        return super().from_db_value(value, expression, connection)
