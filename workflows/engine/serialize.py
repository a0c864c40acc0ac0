"""Turning run values into JSON: for the run log (compact, masked) and for responses.

Things become ``{_type, _id, _display}`` references in logs and Bubble-shaped objects in
responses. Values under secret-looking keys (``Authorization``, ``password``...), secret
parameters and operator secrets are masked in logs, never in what a workflow deliberately
returns.

The log holds any value a step can produce: text that no database's JSON can store (NUL,
a lone surrogate) is stored with U+FFFD in their place, numbers JSON cannot carry
(``Infinity``, ``NaN``) as their names, so writing the log never fails a run. A caller's
response cannot say ``Infinity``: returning one fails the run with an error naming where.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from django.db import models

from .. import data_types, masking
from ..exceptions import WorkflowError
from ..masking import MASK
from ..models.data_model import Option
from .values_types import FileValue, Namespace, ThingList

#: the log's longest text (longer is cut, ending "…") and longest list or object
MAX_LOG_TEXT = _MAX_LOG_TEXT = 10_000
_MAX_LOG_ITEMS = 200


def to_log(value: Any, *, secret_keys: Collection[str] = (), forms: LogForms | None = None) -> Any:
    """A JSON-safe, size-capped, masked picture of ``value`` for ``Run``/``StepRun`` rows.

    Masked: values under secret-looking keys (``MASKED_KEYS``), values under
    ``secret_keys`` at the top level (a run's secret parameters), and every operator
    secret or secret parameter value wherever it appears in text (``workflows.masking``).
    ``forms``: the run's log forms already made, reused for the same objects.
    """
    if secret_keys and isinstance(value, Mapping):
        value = {
            k: MASK if k in secret_keys and v not in (None, "") else v for k, v in value.items()
        }
    masked = masking.masked_keys()
    state = _Masking(forms)
    logged = _log(value, 0, masked, state)
    if state.learned:  # a secret met under its key: masked everywhere in this value too
        logged = _log(value, 0, masked, _Masking(forms))
    return logged


class LogForms:
    """The log forms of one run's values by identity, so that a value logged twice — a
    thing created, then returned; a ``return_data`` step's data, then the run's result —
    is converted once. The runner forgets them after every step that may change things
    (``forget``); a secret learned meanwhile changes the masker, which starts them again."""

    __slots__ = ("masker", "forms")

    def __init__(self) -> None:
        self.masker: Any = None
        #: id → (the value, the depth it was made at, whether it was cut there, its form)
        self.forms: dict[int, tuple[Any, int, bool, Any]] = {}

    def forget(self) -> None:
        self.forms = {}


class _Masking:
    """The masker of one ``to_log`` pass, whether it learned a value to mask, how many
    values it cut for depth, and the run's log forms (None: not kept)."""

    __slots__ = ("masker", "learned", "cuts", "forms")

    def __init__(self, forms: LogForms | None = None) -> None:
        self.masker = masking.current_masker()
        self.learned = False
        self.cuts = 0
        self.forms: dict[int, tuple[Any, int, bool, Any]] | None = None
        if forms is not None:
            if forms.masker is not self.masker:
                forms.masker, forms.forms = self.masker, {}
            self.forms = forms.forms

    def text(self, value: str) -> str:
        return self.masker.text(value)

    def learn(self, key: str, value: Any) -> None:
        if masking.is_secret_name(key) and masking.learn(value):
            self.learned = True


def _log(value: Any, depth: int, masked: frozenset[str], masker: _Masking) -> Any:
    if depth > 8:
        masker.cuts += 1
        return "…"
    if isinstance(value, str):
        if len(value) > _MAX_LOG_TEXT:
            # masked before cutting, so a secret across the cut is not half shown
            value = masker.text(value[: _MAX_LOG_TEXT + 500])[:_MAX_LOG_TEXT] + "…"
        else:
            value = masker.text(value)
        return storable_text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= MAX_INT_BITS else _big_int_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite_name(value)
    if isinstance(value, Option):
        return _log(value.display, depth + 1, masked, masker)
    forms = masker.forms
    if forms is None or not isinstance(value, _KEPT):
        return _composite(value, depth, masked, masker)
    kept = forms.get(id(value))
    # made at this depth, or deeper without being cut: the same form here
    if kept is not None and kept[0] is value:
        made_at, was_cut, form = kept[1:]
        if made_at == depth or (made_at > depth and not was_cut):
            return form
    cuts = masker.cuts
    logged = _composite(value, depth, masked, masker)
    forms[id(value)] = (value, depth, masker.cuts != cuts, logged)
    return logged


def _composite(value: Any, depth: int, masked: frozenset[str], masker: _Masking) -> Any:
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
            skey = storable_text(masker.text(str(key)))
            if masking.is_secret_key(skey, masked) and item not in (None, ""):
                masker.learn(skey, item)
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
    return _log(_scalar(value), depth + 1, masked, masker)


#: the values whose log forms a run keeps (``LogForms``): things and collections
_KEPT = (models.Model, ThingList, Namespace, Mapping, list, tuple)


def storable_text(text: str) -> str:
    """``text`` as every supported database's JSON can store it: NUL characters and lone
    surrogates (which PostgreSQL refuses, and an expression can build) become U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # pairs of surrogates become the character they spell, lone ones U+FFFD
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


#: whole numbers JSON encoders print (Python refuses ints of more than 4,300 digits)
MAX_INT_BITS = 14_000


def _big_int_text(value: int) -> str:
    return f"a whole number of {value.bit_length() * 0.30103:,.0f} digits"


def _non_finite_name(value: float) -> str:
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def to_response(value: Any, *, access: Any = None) -> Any:
    """What a caller receives: things as Bubble-shaped objects, dates as ISO 8601.

    With ``access`` (the run's ``DataAccess``) each thing shows only the fields its
    privacy rules let the caller see, worked out for all the things at once.
    """
    things = _things_in(value)
    data_types.prefetch_links(things)
    fields_of = access.serializer(things) if access is not None else None
    return _response(value, fields_of, 0, "")


class UnreturnableValue(WorkflowError):
    """Returned data holds something JSON cannot carry (``Infinity``, ``NaN``)."""


def _response(value: Any, fields_of: Any, depth: int, where: str) -> Any:
    if depth > 16:
        raise UnreturnableValue("the returned data is nested more than 16 levels deep")
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise UnreturnableValue(
                f"the returned data{f' at {where!r}' if where else ''} is "
                f"{_big_int_text(value)}, too long to send"
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnreturnableValue(
                f"the returned data{f' at {where!r}' if where else ''} is "
                f"{_non_finite_name(value)}, which JSON cannot carry: return a finite "
                "number or text"
            )
        return value
    if isinstance(value, Option):  # as the Data API shows it: its display
        return value.display
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
        return {
            str(k): _response(v, fields_of, depth + 1, _join(where, str(k)))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_response(v, fields_of, depth + 1, f"{where}[{i}]") for i, v in enumerate(value)]
    scalar = _scalar(value)
    return _response(scalar, fields_of, depth + 1, where) if isinstance(scalar, float) else scalar


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _things_in(value: Any, depth: int = 0) -> list[models.Model]:
    """Every thing in a returned value (lists of things are read once, here)."""
    if depth > 16 or value is None or isinstance(value, str | bool | int | float):
        return []
    if isinstance(value, Option):
        return []
    if isinstance(value, models.Model):
        return [value]
    if isinstance(value, ThingList):
        return [thing for thing in value if not isinstance(thing, Option)]
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
