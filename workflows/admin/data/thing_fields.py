"""The form fields of a thing's admin page, one per kind of field a builder can add
(docs/data-types.md#field-types): plain inputs where Django's would show JSON or drop a
value.

* text: one line, or a box when the text has several lines (a one-line input would
  silently drop its line breaks);
* yes / no: a choice of yes, no or empty (a field that is not set is empty, as in Bubble);
* file and image: the file's URL;
* a list of texts, numbers, dates, files or images: one item per line;
* a geographic address: the address, its latitude and its longitude.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ... import data_types


class TextWidget(forms.Textarea):
    """A one-line input for text of one short line; a box for anything longer."""

    LONG = 150

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"rows": 3, "cols": 60, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        text = "" if value is None else str(value)
        one_line = "\n" not in text and len(text) <= self.LONG
        context["one_line"] = one_line
        if one_line:
            context["widget"]["type"] = "text"
            context["widget"]["attrs"] = {
                k: v for k, v in context["widget"]["attrs"].items() if k not in ("rows", "cols")
            }
            context["widget"]["attrs"]["class"] = "vTextField"
            context["widget"]["attrs"]["size"] = 60
        return context

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        context = self.get_context(name, value, attrs)
        template = "django/forms/widgets/text.html" if context["one_line"] else self.template_name
        return self._render(template, context, renderer)


class YesNoSelect(forms.NullBooleanSelect):
    """Yes, no, or empty (not set)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", "—"), ("true", "yes"), ("false", "no")]


def url_input(kind: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={"class": "vURLField", "size": 60, "placeholder": f"https://… (the {kind}'s URL)"}
    )


class LinesField(forms.Field):
    """A list of texts, numbers or dates (files and images: their URLs), one per line."""

    widget = forms.Textarea

    def __init__(self, *, of: str, **kwargs: Any) -> None:
        self.of = of
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 60}))
        kwargs["required"] = False  # an empty list is a list
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)  # a re-rendered form holds what was typed
            except ValueError:
                return value
        if not isinstance(value, list):
            return "" if value is None else value
        return "\n".join(self._line(item) for item in value)

    def _line(self, item: Any) -> str:
        if isinstance(item, datetime.datetime):
            if timezone.is_aware(item):
                item = timezone.localtime(item)
            return item.strftime("%Y-%m-%d %H:%M")
        if isinstance(item, float) and item.is_integer():
            return str(int(item))
        return str(data_types.plain(item))

    def to_python(self, value: Any) -> list[Any]:
        if isinstance(value, list):
            return value
        lines = [line.strip() for line in str(value or "").splitlines()]
        items = []
        for number, line in enumerate(lines, start=1):
            if line:
                items.append(self._item(number, line))
        return items

    def _item(self, number: int, line: str) -> Any:
        if self.of == "number":
            try:
                return float(line)
            except ValueError:
                raise ValidationError(f"line {number}: {line!r} is not a number") from None
        if self.of == "date":
            moment = parse_datetime(line)
            if moment is None:
                day = parse_date(line)
                if day is not None:
                    moment = datetime.datetime.combine(day, datetime.time())
            if moment is None:
                raise ValidationError(
                    f"line {number}: {line!r} is not a date (2025-01-31 or 2025-01-31 14:30)"
                )
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return moment
        return line

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != (initial or [])
        except ValidationError:
            return True


class AddressWidget(forms.MultiWidget):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            [
                forms.TextInput(attrs={"size": 40, "placeholder": "address"}),
                forms.NumberInput(attrs={"step": "any", "placeholder": "latitude"}),
                forms.NumberInput(attrs={"step": "any", "placeholder": "longitude"}),
            ],
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = None
        if isinstance(value, dict):
            return [value.get("address"), value.get("lat"), value.get("lng")]
        return [None, None, None]


class AddressField(forms.MultiValueField):
    """Bubble's geographic address: the address text, then its latitude and longitude."""

    widget = AddressWidget

    def __init__(self, *, required: bool = False, **kwargs: Any) -> None:
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        fields = (
            forms.CharField(required=False),
            forms.FloatField(required=False, min_value=-90, max_value=90),
            forms.FloatField(required=False, min_value=-180, max_value=180),
        )
        super().__init__(fields, required=required, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[Any]) -> dict[str, Any] | None:
        if not data_list:
            return None
        address, lat, lng = (list(data_list) + [None, None, None])[:3]
        if not address and lat is None and lng is None:
            return None
        if not address:
            raise ValidationError("give the address too, not only its position")
        value: dict[str, Any] = {"address": address}
        if lat is not None:
            value["lat"] = lat
        if lng is not None:
            value["lng"] = lng
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.compress(self._values(data)) != initial
        except ValidationError:
            return True

    def _values(self, data: Any) -> list[Any]:
        return [field.clean(value) for field, value in zip(self.fields, data or [], strict=False)]
