"""Bulk create, Bubble's ``POST /api/1.1/obj/<type>/bulk``: one JSON object per line of a
``text/plain`` body, one result per line in the same order (docs/api.md#bulk-create).

Each line is created on its own, exactly as a single ``POST`` would create it
(``services.thing_create``: the same field checks, the same privacy check of the new thing,
the same database triggers), so a line that fails — not JSON, not an object, a refused
field or value, no privacy rule granting "create via API" for that thing — fails alone
and the others are created. Each line is its own transaction, committed before the next
starts: triggers fire as for single creates, and on SQLite other writers get their turn
between lines rather than waiting for the whole request; the price is one commit per line
(measured in docs/api.md#bulk-create-post-api11objdata_typebulk).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.db import models

from .. import data_types, jsontext
from ..exceptions import InvalidParameter, WorkflowError
from ..privacy.access import DataAccess
from .services import require_create_rule, thing_create

logger = logging.getLogger(__name__)

#: Bubble's limit on the lines of one request
MAX_LINES = 1000


def bulk_lines(text: str) -> list[str]:
    """The body's lines (``\\n`` or ``\\r\\n``), without the blank ones that end it; more
    than ``MAX_LINES``, or none, is refused whole."""
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InvalidParameter(
            "the body is empty: send one JSON object (a thing's fields) per line, as text/plain"
        )
    if len(lines) > MAX_LINES:
        raise InvalidParameter(
            f"the body has {len(lines):,} lines; at most {MAX_LINES:,} things may be created "
            "per bulk request: send the rest in another"
        )
    return [line.removesuffix("\r") for line in lines]


def things_bulk_create(
    *, access: DataAccess, model: type[models.Model], text: str
) -> list[dict[str, Any]]:
    """One result per line: ``{"status": "success", "id"}`` or ``{"status": "error",
    "message", "code", "parameter"?}``. Nothing is created when the body is refused whole
    (too many lines, none, or a caller no rule could ever let create this data type)."""
    lines = bulk_lines(text)
    require_create_rule(access, model)
    return [_create_line(access, model, line) for line in lines]


def _create_line(access: DataAccess, model: type[models.Model], line: str) -> dict[str, Any]:
    """A line's result; a fault of ours on one line is that line's error, not a 500 that
    would hide which earlier lines were created (a retry would create them twice)."""
    try:
        data = _object(line)
        thing = thing_create(access=access, model=model, data=data)
    except WorkflowError as exc:
        result: dict[str, Any] = {"status": "error", "message": exc.message, "code": exc.code}
        if exc.parameter:
            result["parameter"] = exc.parameter
        return result
    except Exception:  # a bug: logged with its traceback, the other lines go on
        logger.exception("bulk create of %s: a line failed", model._meta.label)
        return {"status": "error", "message": "internal error", "code": "SERVER_ERROR"}
    return {"status": "success", "id": data_types.wire_id(thing)}


def _object(line: str) -> Mapping[str, Any]:
    if not line.strip():
        raise InvalidParameter("an empty line: expected a JSON object of field names to values")
    try:
        data = jsontext.loads(line)
    except jsontext.UnsafeJson as exc:
        raise InvalidParameter(f"JSON refused: {exc}") from None
    except ValueError as exc:
        raise InvalidParameter(f"could not parse as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidParameter(
            f"expected a JSON object of field names to values, got {_kind(data)}"
        )
    return data


def _kind(value: Any) -> str:
    return {list: "a list", str: "a text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def result_lines(results: list[dict[str, Any]]) -> str:
    """The answer's body: one compact JSON object per line, as Bubble writes them."""
    return "\n".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in results)
