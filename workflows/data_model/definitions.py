"""Data types and option sets as plain data: the ``data_types:`` and ``option_sets:``
entries of a definition file (docs/workflow-format.md) and the audit trail's before/after.
"""

from __future__ import annotations

from typing import Any

from ..models.data_model import DataField, DataType, OptionSet

#: the user model, as a field's ``data_type`` names it (Bubble's built-in User type)
USER_TYPE = "User"


def field_definition(field: DataField) -> dict[str, Any]:
    """One field as the definition file writes it: only what differs from the defaults."""
    d: dict[str, Any] = {"name": field.name, "type": field.type}
    if field.is_list:
        d["list"] = True
    if field.target_type_id is not None:
        d["data_type"] = field.target_type.name
    elif field.target_model:
        d["data_type"] = target_model_name(field.target_model)
    if field.option_set_id is not None:
        d["option_set"] = field.option_set.name
    for flag in ("required", "unique", "indexed"):
        if getattr(field, flag):
            d[flag] = True
    if field.default is not None:
        d["default"] = field.default
    if field.help_text:
        d["help_text"] = field.help_text
    if field.bubble_name:
        d["bubble_name"] = field.bubble_name
    return d


def target_model_name(label: str) -> str:
    """``auth.User`` (the user model) as ``User``; other code types by their label."""
    from django.conf import settings

    return USER_TYPE if label.lower() == settings.AUTH_USER_MODEL.lower() else label


def type_definition(data_type: DataType, *, deleted: bool = False) -> dict[str, Any]:
    """A data type with its live fields (``deleted``: its deleted fields too, marked)."""
    d: dict[str, Any] = {"name": data_type.name}
    if data_type.plural:
        d["plural"] = data_type.plural
    if data_type.display_field:
        d["display_field"] = data_type.display_field
    if data_type.description:
        d["description"] = data_type.description
    fields = []
    for field in data_type.fields.select_related("target_type", "option_set").order_by(
        "position", "pk"
    ):
        if field.is_deleted and not deleted:
            continue
        entry = field_definition(field)
        if field.is_deleted:
            entry["deleted"] = True
        fields.append(entry)
    d["fields"] = fields
    return d


def option_set_definition(option_set: OptionSet) -> dict[str, Any]:
    """An option set: its options' displays, or objects where an option has attributes."""
    options: list[Any] = []
    for option in option_set.options.order_by("position", "pk"):
        options.append(
            {"display": option.display, **option.attributes}
            if option.attributes
            else option.display
        )
    d: dict[str, Any] = {"name": option_set.name, "options": options}
    if option_set.description:
        d["description"] = option_set.description
    return d
