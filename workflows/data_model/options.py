"""Options as values: what an option field holds, read and written by its display text.

A field of type ``option`` is a reference to an ``Option`` row (or, as a list, a join
table of them), so a thing keeps its option when the option's display changes. Outside
expressions an option goes by its display, as in Bubble's Data API: the Data API and
returned data show ``"Won"``, and every writer — the Data API, a workflow's
``create_thing`` / ``make_changes``, a search filter, a privacy rule — takes the display
(in any case: displays are unique in any case within their set). An unknown display is
refused with the field's name and the set's options (docs/data-types.md#option-sets).

Option sets change only through ``schema`` (each change moves the data model's version),
so the options are read once per version in each process and kept in memory here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from ..models.data_model import Option

#: the attribute ``builder`` sets on an option field's Django field: its option set's id
OPTION_SET_ATTRIBUTE = "bubble_option_set_id"


class UnknownOption(ValueError):
    """A value that is not an option of the field's set (the message says which are)."""


@dataclass(frozen=True)
class OptionSetView:
    """One option set as this process knows it: its name and options, in their order."""

    pk: int
    name: str
    options: tuple[Option, ...]

    def by_display(self, text: str) -> Option | None:
        wanted = text.strip().lower()
        return next((o for o in self.options if o.display.lower() == wanted), None)

    def displays(self) -> list[str]:
        return [o.display for o in self.options]

    def attribute_names(self) -> list[str]:
        """Every attribute any of its options has (``color``...), in first-seen order."""
        names: dict[str, None] = {}
        for option in self.options:
            names.update(dict.fromkeys(option.attributes or {}))
        return list(names)


_lock = threading.Lock()
_sets: dict[int, OptionSetView] | None = None
_displays: dict[int, str] = {}


def clear() -> None:
    """Forget the options (the data model changed: ``registry.on_rebuild``)."""
    global _sets, _displays
    with _lock:
        _sets, _displays = None, {}


def _loaded() -> dict[int, OptionSetView]:
    global _sets, _displays
    sets = _sets
    if sets is not None:
        return sets
    from ..models.data_model import OptionSet

    with _lock:
        if _sets is None:
            grouped: dict[int, list[Option]] = {}
            for option in Option.objects.order_by("option_set_id", "position", "pk"):
                grouped.setdefault(option.option_set_id, []).append(option)
            _sets = {
                pk: OptionSetView(pk, name, tuple(grouped.get(pk, ())))
                for pk, name in OptionSet.objects.values_list("pk", "name")
            }
            _displays = {o.pk: o.display for opts in grouped.values() for o in opts}
        return _sets


# --- which fields hold options ---------------------------------------------------------


def is_option_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, Option)


def is_option_field(field: Any) -> bool:
    """An option field (one option, or a list of them) of a data type defined here."""
    return bool(getattr(field, "is_relation", False)) and is_option_model(
        getattr(field, "related_model", None)
    )


def option_set_of(field: models.Field) -> OptionSetView | None:
    """The option set an option field picks from (None: the set is gone)."""
    pk = getattr(field, OPTION_SET_ATTRIBUTE, None)
    return _loaded().get(pk) if pk is not None else None


# --- reading --------------------------------------------------------------------------


def display(option_id: Any) -> str | None:
    """The display of the option with this id; None when it is none or was removed (a
    removed option reads as empty, as a deleted thing does)."""
    if option_id is None:
        return None
    _loaded()
    return _displays.get(option_id)


def displays(option_ids: Iterable[Any]) -> list[str]:
    """The displays of a list of options, those removed meanwhile left out."""
    found = (display(pk) for pk in option_ids)
    return [text for text in found if text is not None]


# --- writing --------------------------------------------------------------------------


def _describe(options: OptionSetView) -> str:
    shown = options.displays()
    listed = ", ".join(shown[:20]) + (", ..." if len(shown) > 20 else "")
    return f"{options.name} (options: {listed or 'none'})"


def option_for(field: models.Field, value: Any) -> Option | None:
    """The option ``value`` names for ``field``: its display (in any case), or an option of
    the field's set; None for nothing or empty text. ``UnknownOption`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    options = option_set_of(field)
    if options is None:
        raise UnknownOption(f"{field.name}: its option set no longer exists")
    if isinstance(value, Option):
        if value.option_set_id != options.pk:
            raise UnknownOption(
                f"{field.name}: {value.display!r} is an option of another set, not of "
                f"{_describe(options)}"
            )
        return value
    if not isinstance(value, str):
        raise UnknownOption(
            f"{field.name}: expected the display of an option of {_describe(options)}, "
            f"got {value!r}"
        )
    option = options.by_display(value)
    if option is None:
        raise UnknownOption(f"{field.name}: {value!r} is not an option of {_describe(options)}")
    return option


def options_for(field: models.Field, values: Any) -> list[Option]:
    """The options a list field is set to: a list of displays or options (one display
    alone stands for a list of one)."""
    if values is None:
        return []
    if isinstance(values, str | Option):
        values = [values]
    if not isinstance(values, list | tuple):
        raise UnknownOption(f"{field.name}: expected a list of option displays")
    found = [option_for(field, value) for value in values]
    return list(dict.fromkeys(option for option in found if option is not None))


def same_option(option: Any, other: Any) -> bool | None:
    """``option == other`` where one side is an option and the other its display text (in
    any case): expressions compare ``thing.stage == "Won"`` so. None when neither pair
    is an option and a text (the ordinary comparison applies)."""
    if isinstance(other, Option) and isinstance(option, str):
        option, other = other, option
    if isinstance(option, Option) and isinstance(other, str):
        return option.display.lower() == other.strip().lower()
    return None
