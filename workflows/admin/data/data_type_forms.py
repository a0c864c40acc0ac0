"""The forms of the Data types page: the type's settings, and its fields as table rows.

They only read what was typed (a default as its field's kind of value); every rule of the
data model is checked by ``workflows.data_model.schema`` when the change is made, and its
``SchemaError`` is put back on the input it names (``attach_error``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst

from ... import data_types
from ...data_model import definitions, field_types, schema
from ...data_model.builder import is_built
from ...models.data_model import DataField, DataType, OptionSet

#: the keys of a ``SchemaError`` about a field, as the row's inputs are named
ROW_KEYS = {
    "name": "name",
    "type": "type",
    "list": "is_list",
    "data_type": "data_type",
    "option_set": "option_set",
    "required": "required",
    "unique": "unique",
    "indexed": "indexed",
    "default": "default",
    "help_text": "help_text",
    "bubble_name": "bubble_name",
}
#: the keys of a ``SchemaError`` about the type itself
TYPE_KEYS = ("name", "plural", "display_field", "description")
#: field types that can name a thing in lists (``schema``'s display field rule)
DISPLAYABLE = ("text", "number", "date")


class DataTypeForm(forms.ModelForm):
    """A data type's own settings. Parsing only: ``schema`` checks the rest."""

    display_field = forms.CharField(
        required=False,
        widget=forms.Select(),
        help_text="The text, number or date field that names a thing in lists, pickers "
        "and run logs (empty: “Lead 12”).",
    )

    class Meta:
        model = DataType
        fields = ("name", "plural", "display_field", "description")
        help_texts = {
            "name": "What workflows call it: Lead, OrderItem. Letters, digits and _, "
            "starting with a letter.",
            "plural": "For lists and the admin (empty: the name + s).",
            "description": "What it is for.",
        }
        widgets = {
            "name": forms.TextInput(attrs={"size": 30, "autocomplete": "off"}),
            "plural": forms.TextInput(attrs={"size": 30}),
            "description": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args: Any, display_choices: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self["display_field"].value() or ""
        names = list(dict.fromkeys([*display_choices, *([current] if current else [])]))
        self.fields["display_field"].widget.choices = [("", "— (its id)")] + [(n, n) for n in names]

    def clean_plural(self) -> str:
        plural = self.cleaned_data.get("plural") or ""
        if plural:
            try:
                schema.check_name(plural.replace(" ", "_"), what="plural")
            except schema.SchemaError as exc:
                raise forms.ValidationError(_message(exc)) from None
        return plural

    def _post_clean(self) -> None:
        """No model validation here: ``schema`` makes the change and checks it."""

    def raw(self) -> dict[str, Any]:
        return {key: self.cleaned_data.get(key) or "" for key in TYPE_KEYS}


def target_choices(exclude: DataType | None = None) -> list[Any]:
    """What a thing field can point to: the types defined here, the user type, and the
    data types defined in code (``BUBBLE_DATA_TYPES``)."""
    here = [(t.name, t.name) for t in DataType.objects.order_by("name")]
    user = settings.AUTH_USER_MODEL.lower()
    code = [
        (label, label)
        for label in data_types.allowed_labels()
        if label.lower() != user and not is_built(data_types.get_model(label))
    ]
    choices: list[Any] = [("", "—")]
    if here:
        choices.append(("Data types", here))
    choices.append(("Built in", [(definitions.USER_TYPE, "User (the app's users)")]))
    if code:
        choices.append(("Defined in code", code))
    return choices


def option_set_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(s.name, s.name) for s in OptionSet.objects.order_by("name")]


class FieldForm(forms.Form):
    """One field of the type: a row of the fields table. A saved field's type, list and
    what it points to cannot change (as in Bubble): those inputs are shown disabled."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"size": 14, "autocomplete": "off"})
    )
    type = forms.ChoiceField(choices=(), initial="text")
    is_list = forms.BooleanField(label="list", required=False)
    data_type = forms.ChoiceField(label="data type", choices=(), required=False)
    option_set = forms.ChoiceField(label="option set", choices=(), required=False)
    required = forms.BooleanField(required=False)
    unique = forms.BooleanField(required=False)
    indexed = forms.BooleanField(label="indexed for searches", required=False)
    default = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 10}))
    help_text = forms.CharField(
        label="help text",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"size": 18}),
    )
    bubble_name = forms.CharField(
        label="Data API key",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"size": 12, "autocomplete": "off"}),
    )
    DELETE = forms.BooleanField(label="delete", required=False)

    def __init__(
        self, *args: Any, targets: list[Any], option_sets: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = field_types.choices()
        self.fields["data_type"].choices = targets
        self.fields["option_set"].choices = option_sets
        self.field: DataField | None = None

    def bind_field(self, field: DataField) -> None:
        """This row is ``field``, saved: its type and what it points to are fixed."""
        self.field = field
        for name in ("type", "is_list", "data_type", "option_set"):
            self.fields[name].disabled = True

    @property
    def is_new(self) -> bool:
        return self.field is None

    def error_lines(self) -> list[str]:
        """The row's errors as one list above it (a cell is too narrow for them), each
        field's with its column's name."""
        lines = [str(e) for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name != "__all__":
                label = capfirst(str(self.fields[name].label or name))
                lines += [f"{label}: {e}" for e in errors]
        return lines

    @property
    def kind_label(self) -> str:
        kind = self.field.type if self.field else self["type"].value()
        try:
            return field_types.get(str(kind)).label
        except KeyError:
            return str(kind)

    @property
    def points_to(self) -> str:
        """A saved field's data type or option set, as the row shows it."""
        if self.field is None:
            return ""
        initial = field_initial(self.field)
        return initial["data_type"] or initial["option_set"] or ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("type") or (self.field.type if self.field else "text")
        if "default" in data:
            try:
                data["default"] = parse_default(kind, data.get("default") or "")
            except ValueError as exc:
                self.add_error("default", str(exc))
        return data

    def raw(self) -> dict[str, Any]:
        """The field as ``schema`` takes it (a definition file's field)."""
        data = self.cleaned_data
        raw: dict[str, Any] = {"name": data["name"], "type": data["type"]}
        if data.get("is_list"):
            raw["list"] = True
        if data.get("data_type"):
            raw["data_type"] = data["data_type"]
        if data.get("option_set"):
            raw["option_set"] = data["option_set"]
        for flag in ("required", "unique", "indexed"):
            if data.get(flag):
                raw[flag] = True
        if data.get("default") is not None:
            raw["default"] = data["default"]
        for text in ("help_text", "bubble_name"):
            if data.get(text):
                raw[text] = data[text]
        return raw

    def changes(self) -> dict[str, Any]:
        """What differs from the saved field, among what ``change_field`` may change."""
        assert self.field is not None
        data = self.cleaned_data
        changed = {}
        for key in schema.CHANGEABLE:
            value = data.get(key)
            if key in ("help_text", "bubble_name"):
                value = value or ""
            if not _same(key, value, getattr(self.field, key)):
                changed[key] = value
        return changed


def _same(key: str, typed: Any, saved: Any) -> bool:
    if key == "default" and isinstance(typed, str) and isinstance(saved, str):
        typed_moment, saved_moment = parse_datetime(typed), parse_datetime(saved)
        if typed_moment is not None and saved_moment is not None:
            return typed_moment == saved_moment  # the same moment, written another way
    return typed == saved and type(typed) is type(saved)


def field_initial(field: DataField) -> dict[str, Any]:
    """A saved field as a row's initial values."""
    target = ""
    if field.target_type_id is not None:
        target = field.target_type.name
    elif field.target_model:
        target = definitions.target_model_name(field.target_model)
    return {
        "id": field.pk,
        "name": field.name,
        "type": field.type,
        "is_list": field.is_list,
        "data_type": target,
        "option_set": field.option_set.name if field.option_set_id else "",
        "required": field.required,
        "unique": field.unique,
        "indexed": field.indexed,
        "default": show_default(field.default),
        "help_text": field.help_text,
        "bubble_name": field.bubble_name,
    }


def show_default(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_default(kind: str, text: str) -> Any:
    """A default typed in the table, as ``schema`` takes it for a field of ``kind``."""
    text = text.strip() if kind != "text" else text
    if text == "":
        return None
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind == "yes_no":
        answer = {"yes": True, "true": True, "no": False, "false": False}.get(text.lower())
        if answer is None:
            raise ValueError("type yes or no")
        return answer
    if kind == "date":
        moment = parse_datetime(text.replace(" ", "T", 1)) if " " in text else None
        moment = moment or parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is None:
                raise ValueError("type a date: 2025-01-31 or 2025-01-31 09:00")
            moment = datetime.datetime.combine(day, datetime.time())
        return moment.isoformat()
    return text  # text, and what ``schema`` refuses to give a default (it says so)


def _message(exc: schema.SchemaError) -> str:
    """The error without the ``Type.field: `` it starts with (it is shown on that input)."""
    text = str(exc)
    prefix = f"{exc.where}: "
    return text[len(prefix) :] if exc.where and text.startswith(prefix) else text


def attach_error(
    exc: schema.SchemaError,
    main: DataTypeForm,
    rows: list[FieldForm],
    row: FieldForm | None = None,
) -> None:
    """Show ``exc`` on the input it is about: ``row`` (the field being changed when it was
    raised) or the row its ``where`` names, else the type's own setting, else the form."""
    message = _message(exc)
    if row is None and "." in exc.where:
        name = exc.where.split(".", 1)[1].lower()
        named = [r for r in rows if str(r["name"].value() or "").lower() == name]
        row = named[-1] if named else None
    if row is not None:
        row.add_error(ROW_KEYS.get(exc.key) if exc.key in ROW_KEYS else None, message)
    elif exc.key in TYPE_KEYS:
        main.add_error(exc.key, message)
    else:
        main.add_error(None, str(exc))


def displayable_names(data_type: DataType | None) -> list[str]:
    if data_type is None:
        return []
    return list(
        data_type.fields.filter(
            deleted_at__isnull=True, is_list=False, type__in=DISPLAYABLE
        ).values_list("name", flat=True)
    )


def field_type_info() -> dict[str, dict[str, Any]]:
    """What the fields table's script needs of each field type (from the registry)."""
    return {
        kind.name: {
            "listable": kind.listable,
            "target": kind.needs_target,
            "option_set": kind.needs_option_set,
            "indexable": kind.indexable,
            "default": _takes_default(kind),
            "displayable": kind.name in DISPLAYABLE,
            "description": kind.description,
        }
        for kind in field_types.FIELD_TYPES.values()
    }


def _takes_default(kind: field_types.FieldType) -> bool:
    if kind.check_default is None:
        return True
    for sample in ("", 0, True, "2025-01-31T00:00:00"):
        try:
            kind.check_default(sample)
        except field_types.DefaultError:
            continue
        return True
    return False
