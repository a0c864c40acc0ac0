"""A Bubble row's values as this project stores them, field by field: read as the Workflow
API reads a parameter of the same type (``workflows.engine.param_types``), so an import and
a caller agree on what a number or a date is. A value that does not fit is left out of the
row and said why (the report's "values not kept"); links are not read here but kept as
Bubble's ids until every type has arrived (``links``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from workflows.bubble_fields import UNIQUE_ID
from workflows.engine.param_types import Invalid, param_type
from workflows.engine.params import unstorable_text

from .plan import FieldPlan

Reader = Callable[[Any], Any]


class NotKept(Exception):
    """A value that does not fit its field: the message says why."""


def reader(planned: FieldPlan, *, scheme: str = "https") -> Reader:
    """How a value of ``planned`` (not a link) is read; ``NotKept`` when it does not fit.
    ``scheme``: the app's, for Bubble's file addresses without one (``//s3...``), read as
    a browser on the app's pages reads them."""
    one = _READERS[planned.type]
    if planned.type in ("file", "image"):
        one = partial(file_url, scheme=scheme)
    if not planned.list:
        return lambda value: _storable(one(value))

    def each(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise NotKept(f"expected a list, got {type(value).__name__}")
        return _storable([one(item) for item in value])

    return each


def is_link(planned: FieldPlan) -> bool:
    return planned.type == "thing"


def link_ids(value: Any, *, many: bool) -> Any:
    """A link's Bubble ids (a list of them for a list); ``NotKept`` for anything that is
    not one (an id is short: a hostile app's megabyte of text never reaches the report)."""
    if value is None:
        return [] if many else None
    if many:
        if not isinstance(value, list):
            raise NotKept("expected a list of Bubble ids")
        if not all(isinstance(item, str) and UNIQUE_ID.fullmatch(item) for item in value):
            raise NotKept("expected a list of Bubble ids (1503408875694x944431186090727200)")
        return list(value)
    if not isinstance(value, str) or not UNIQUE_ID.fullmatch(value):
        raise NotKept("expected a Bubble id (1503408875694x944431186090727200)")
    return value


def file_url(value: Any, *, scheme: str = "https") -> str:
    """A file as Bubble serves it (``//s3.amazonaws.com/...``: no scheme) as a URL."""
    if not isinstance(value, str) or not value.strip():
        raise NotKept("expected a file's address")
    text = value.strip()
    return f"{scheme}:{text}" if text.startswith("//") else text


def _typed(name: str) -> Reader:
    kind = param_type(name)

    def read(value: Any) -> Any:
        try:
            return kind.coerce(value)
        except (Invalid, ValueError, TypeError, OverflowError) as exc:
            raise NotKept(str(exc)) from None

    return read


def _text(value: Any) -> str:
    """Text; an object or a list (a field Bubble exposes as such) as its JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _address(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"address": value}
    if not isinstance(value, dict) or not isinstance(value.get("address"), str):
        raise NotKept("expected a geographic address {address, lat, lng}")
    address: dict[str, Any] = {"address": value["address"]}
    for key, low, high in (("lat", -90, 90), ("lng", -180, 180)):
        number = value.get(key)
        if isinstance(number, int | float) and not isinstance(number, bool):
            if not low <= number <= high:
                raise NotKept(f"{key} {number} is out of range")
            address[key] = number
    return address


def _storable(value: Any) -> Any:
    problem = unstorable_text(value)
    if problem:
        raise NotKept(problem)
    return value


_READERS: dict[str, Reader] = {
    "text": _text,
    "number": _typed("number"),
    "yes_no": _typed("yes_no"),
    "date": _typed("date"),
    "file": file_url,
    "image": file_url,
    "geographic_address": _address,
}
