"""A text field turned into an option field, keeping its values (docs/data-types.md#option-sets):
what a builder does with a field brought over from Bubble as text when its few values were
an option set there ("option-set candidates" in ``import_bubble_app``'s plan).

A field's type never changes, as in Bubble, so this is the change a builder would make by
hand, in one schema change (all of it or nothing): an option set of the field's distinct
values (most used first), a new option field pointing each thing at its value's option,
the text field deleted (hidden, restorable, its data kept until purged), and the new field
given the old one's name, Data API key and help text — callers, expressions and privacy
rules that name it keep working.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from ..models.data_model import DataField, OptionSet
from . import schema
from .schema import SchemaError

#: the most values a field may hold to become an option set (Bubble's sets are short lists)
MAX_OPTIONS = 100


def distinct_values(field: DataField) -> list[str]:
    """The field's distinct non-empty values, most used first (at most ``MAX_OPTIONS`` + 1:
    one more says there are too many)."""
    model = schema.models_with(field.data_type)[field.data_type_id]
    rows = (
        model._default_manager.exclude(**{f"{field.name}__isnull": True})
        .exclude(**{field.name: ""})
        .values(field.name)
        .annotate(uses=Count("pk"))
        .order_by("-uses", field.name)[: MAX_OPTIONS + 1]
    )
    return [row[field.name] for row in rows]


def text_to_option_set(
    field: DataField, set_name: str, *, user: Any = None, source: str = "admin"
) -> DataField:
    """Turn text field ``field`` into an option field of a new option set ``set_name``
    holding its values; the new field, under the old one's name."""
    if field.type != "text" or field.is_list or field.is_deleted:
        raise SchemaError(
            "only a text field (not a list) can become an option set", where=str(field)
        )
    if OptionSet.objects.filter(name__iexact=set_name).exists():
        raise SchemaError(f"there is already an option set named {set_name!r}", where=str(field))
    values = distinct_values(field)
    if len(values) > MAX_OPTIONS:
        raise SchemaError(
            f"it holds more than {MAX_OPTIONS} different values: too many for an option set",
            where=str(field),
        )
    if len({v.strip().lower() for v in values}) != len({v.strip() for v in values}):
        raise SchemaError(
            "two of its values differ only in case or spaces; an option set's displays must "
            "differ: make them the same first",
            where=str(field),
        )
    data_type = field.data_type
    name, bubble_name, help_text = field.name, field.bubble_name, field.help_text
    displays = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    with schema.schema_change(user=user, source=source):
        option_set = schema.save_option_set({"name": set_name, "options": displays})
        made = schema.add_field(
            data_type, {"name": _free_name(field), "type": "option", "option_set": option_set.name}
        )
        model = schema.models_with(data_type)[data_type.pk]
        ids = dict(option_set.options.values_list("display", "pk"))
        for value in values:
            option = ids.get(value.strip())
            if option is not None:  # a value of spaces only reads empty
                model._default_manager.filter(**{name: value}).update(**{made.name: option})
        schema.delete_field(field)
        renamed = {"name": name, "bubble_name": bubble_name, "help_text": help_text}
        return schema.change_field(made, renamed)


def _free_name(field: DataField) -> str:
    taken = {n.lower() for n in field.data_type.fields.values_list("name", flat=True)}
    candidate, n = f"{field.name}_option", 2
    while candidate.lower() in taken:
        candidate, n = f"{field.name}_option{n}", n + 1
    return candidate
