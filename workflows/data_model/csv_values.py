"""How a value of each kind of field is written in a CSV cell and read back
(docs/data-types.md#bringing-rows-csv): the codecs of ``csv_io``.

One codec per field type of the registry (``field_types.FIELD_TYPES``: text, number,
yes_no, date, thing, option, file, image, geographic_address) and a few more for the
fields of data types written in code (whole numbers, decimals, calendar dates, JSON).
Cells are read as Bubble's CSV exports write them: yes/no as ``yes``/``no`` (or
``true``/``false``), dates in every form a date parameter takes (ISO 8601, epoch
milliseconds, ``Jan 13, 2016 10:30 am``...), lists as ``a , b`` or a JSON list, options by
their display, things by their unique id. What is written reads back as the same value.

A text cell that a spreadsheet would open as a formula (``=``, ``+``, ``-``, ``@``, a tab
or a carriage return first) is written with a ``'`` before it, as OWASP advises against
CSV injection, and read back without it (``shield``, ``unshield``); numbers, dates and
yes/no are not text and are written as they are.

A reference (a thing, an option) is read as its text here; ``csv_io`` finds what it names.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..bubble_fields import UNIQUE_ID
from ..engine.param_types import parse_calendar_date, parse_date
from . import field_types

#: the forms a date cell takes, for errors
DATES = "ISO 8601, epoch milliseconds, or text such as 'Jan 13, 2016 10:30 am'"
#: how Bubble's exports separate the items of a list
LIST_SEPARATOR = " , "


def _split(text: str) -> list[str]:
    """Comma-separated items, trimmed (a split and strips: linear, whatever the spaces)."""
    return [piece.strip() for piece in text.split(",")]


_TRUE, _FALSE = {"yes", "true"}, {"no", "false"}
_URL = re.compile(r"^(https?://|//|/)\S+$", re.IGNORECASE)
_DIGITS = re.compile(r"^[0-9]{1,19}$")


class CellError(ValueError):
    """A cell that does not hold a value of its column's kind; the message says why, without
    the line or the field (the caller adds them)."""


@dataclass(frozen=True)
class Codec:
    """One kind of value: ``read`` takes a cell's text (not empty), ``write`` gives it back."""

    name: str
    read: Callable[[str], Any]
    write: Callable[[Any], str]
    #: its items may be split on commas when it is a list (a date's text has commas)
    splits: bool = True
    #: a reference to a thing or an option, found by ``csv_io`` once rows exist
    reference: bool = False
    #: its cells are text, which a spreadsheet may open as a formula: written with OWASP's
    #: quote before them (``shield``), read without it (``unshield``)
    text_cells: bool = False


CODECS: dict[str, Codec] = {}


def register(codec: Codec) -> Codec:
    CODECS[codec.name] = codec
    return codec


def codec(name: str) -> Codec:
    try:
        return CODECS[name]
    except KeyError:
        raise KeyError(f"no CSV codec for {name!r}; known: {', '.join(CODECS)}") from None


# --- reading and writing one value ---------------------------------------------------------


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _read_number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"{_shown(text)} is not a number") from None
    if not math.isfinite(value):
        raise CellError(f"{_shown(text)} is not a finite number")
    return value


def _write_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _read_integer(text: str) -> int:
    number = _read_number(text)
    if isinstance(number, float):
        if not number.is_integer():
            raise CellError(f"{_shown(text)} is not a whole number")
        number = int(number)
    return number


def _read_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{_shown(text)} is not a number") from None
    if not value.is_finite():
        raise CellError(f"{_shown(text)} is not a finite number")
    return value


def _read_yes_no(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(f"{_shown(text)} is not yes or no (yes, no, true or false)")


def _write_yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _read_date(text: str) -> datetime.datetime:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise CellError(_not_a_date(text, exc)) from None


def _read_calendar_date(text: str) -> datetime.date:
    try:
        return parse_calendar_date(text)
    except ValueError as exc:
        raise CellError(_not_a_date(text, exc)) from None


def _not_a_date(text: str, exc: ValueError) -> str:
    """What is wrong, without param_types' echo of the value (shown once, here)."""
    message = str(exc)
    echoed = re.search(r", got '.*'(?:: (?P<why>.+)| \((?P<hint>.+)\))?$", message)
    if echoed is None:  # out of range: the message says which range
        return f"{_shown(text)} is not a date: {message}"
    why = echoed["why"] or echoed["hint"]
    return f"{_shown(text)} is not a date" + (f": {why}" if why else f" ({DATES})")


def _write_date(value: Any) -> str:
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return value.isoformat()


def _read_url(text: str) -> str:
    if not _URL.match(text):
        raise CellError(f"{_shown(text)} is not a file's URL (https://... or /...)")
    # Bubble's files are written //s3.amazonaws.com/...: the scheme their page would use
    return f"https:{text}" if text.startswith("//") else text


def _read_address(text: str) -> dict[str, Any]:
    """Bubble's Data API shape ``{"address", "lat", "lng"}`` as JSON, or the address text
    alone (a position needs a geocoder, which this project does not call)."""
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            raise CellError(f"{_shown(text)} is not JSON") from None
        if not isinstance(value, dict) or not isinstance(value.get("address"), str):
            raise CellError('expected {"address": text, "lat": number, "lng": number}')
        return {k: value[k] for k in ("address", "lat", "lng") if value.get(k) is not None}
    return {"address": text}


def _write_address(value: Any) -> str:
    if isinstance(value, dict) and (value.get("lat") is not None or value.get("lng") is not None):
        return json.dumps(value, ensure_ascii=False)
    return str(value.get("address", "")) if isinstance(value, dict) else str(value)


def _read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise CellError(f"{_shown(text)} is not JSON") from None


def _write_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _read_reference(text: str) -> str:
    """A thing by its unique id (``1449154312665x293260311940684900``), its numeric id or,
    for a user, an email or username: found by ``csv_io``."""
    return text.strip()


def _read_option(text: str) -> str:
    return text.strip()


def _identity(text: str) -> str:
    return text


def _text(value: Any) -> str:
    return str(value)


register(Codec("text", _identity, _text, text_cells=True))
register(Codec("number", _read_number, _write_number))
register(Codec("integer", _read_integer, _write_number))
register(Codec("decimal", _read_decimal, _text))
register(Codec("yes_no", _read_yes_no, _write_yes_no))
register(Codec("date", _read_date, _write_date, splits=False))
register(Codec("calendar_date", _read_calendar_date, _write_date, splits=False))
# a user by email (``+ann@example.com``), an option by its display: text too
register(Codec("thing", _read_reference, _text, reference=True, text_cells=True))
register(Codec("option", _read_option, _text, reference=True, text_cells=True))
register(Codec("file", _read_url, _text, text_cells=True))
register(Codec("image", _read_url, _text, text_cells=True))
register(Codec("geographic_address", _read_address, _write_address, text_cells=True))
register(Codec("json", _read_json, _write_json))

# every field type a builder can choose is readable from a CSV: a new one needs a codec
_missing = set(field_types.FIELD_TYPES) - set(CODECS)
assert not _missing, f"field types without a CSV codec: {sorted(_missing)}"


# --- formulas --------------------------------------------------------------------------------

#: how a cell starts that a spreadsheet opens as a formula (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: what OWASP puts before such a cell, so a spreadsheet shows it as text
FORMULA_QUOTE = "'"


def shield(cell: str) -> str:
    """A text cell as an export writes it: with a ``'`` before it when it starts as a
    formula (``=SUM(A1)`` → ``'=SUM(A1)``). A cell of quotes before such a start
    (``'=x``) gets one more too, so that ``unshield`` gives back exactly what was there."""
    if cell.lstrip(FORMULA_QUOTE).startswith(FORMULA_STARTS):
        return FORMULA_QUOTE + cell
    return cell


def unshield(cell: str) -> str:
    """A text cell as an import reads it: without the one ``'`` ``shield`` puts before a
    formula's start (``'=SUM(A1)`` → ``=SUM(A1)``); any other cell as it is."""
    if cell.startswith(FORMULA_QUOTE) and cell.lstrip(FORMULA_QUOTE).startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


# --- lists -----------------------------------------------------------------------------------


def read_list(kind: Codec, text: str) -> list[Any]:
    """A list as Bubble exports it (``a , b``) or as a JSON list (``["a", "b"]``). A
    list of dates is split on commas only between dates (``Jan 13, 2016`` is one)."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [_item(kind, item, index) for index, item in enumerate(items, 1)]
    if not stripped:
        return []
    if not kind.splits:
        return _read_unsplittable(kind, stripped)
    return [_item(kind, piece, index) for index, piece in enumerate(_split(stripped), 1)]


def _item(kind: Codec, item: Any, index: int) -> Any:
    if item is None or item == "":
        raise CellError(f"item {index} is empty")
    text = item if isinstance(item, str) else json.dumps(item)
    try:
        return kind.read(text if kind.name == "text" else text.strip())
    except CellError as exc:
        raise CellError(f"item {index}: {exc}") from None


def _read_unsplittable(kind: Codec, text: str) -> list[Any]:
    """Dates: the whole text as one date, else its pieces split on `` , `` (Bubble's
    separator), else on every comma."""
    try:
        return [kind.read(text)]
    except CellError:
        pass
    pieces = text.split(LIST_SEPARATOR) if LIST_SEPARATOR in text else _split(text)
    return [_item(kind, piece.strip(), index) for index, piece in enumerate(pieces, 1)]


def write_list(kind: Codec, values: list[Any]) -> str:
    """``a , b`` as Bubble writes it, or a JSON list when an item would not read back so
    (it holds a comma, starts with ``[``, is empty or has spaces around it)."""
    items = [kind.write(v) for v in values]
    plain = all(
        item and "," not in item and item == item.strip() and not item.startswith("[")
        for item in items
    )
    if plain:
        return LIST_SEPARATOR.join(items)
    return json.dumps(items, ensure_ascii=False)


# --- references --------------------------------------------------------------------------------


def reference_form(text: str) -> str:
    """How a reference is written: ``unique_id``, ``id`` or ``text`` (an email, a
    username, an option's display)."""
    if UNIQUE_ID.fullmatch(text):
        return "unique_id"
    if _DIGITS.match(text):
        return "id"
    return "text"
