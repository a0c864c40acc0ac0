"""One form field per ``ConfigField`` of every action type, and text ⇄ config values.

Every action form carries the fields of *all* registered types, named
``cfg__<type>__<key>`` (e.g. ``cfg__make_changes__changes``), so switching an action's type
in the browser needs no round trip. Only the selected type's fields are ever read: they
are all plain text fields here (``required=False``, no choice validation) and are parsed
in ``ActionForm.clean`` for the selected type alone; "required" and "one of the choices"
are judged by ``compile_definition`` and reported on the same field.

Text → value, by ``FieldKind``:

* VALUE: text, or — when it looks like YAML structure (``name: value`` lines, ``{...}``,
  ``- item`` lines, ``[...]``) — the mapping or list it spells (read like an import).
  Text starting with ``{{`` is always an expression, never YAML.
* TEXT, DATA_TYPE, WORKFLOW, CHOICE: the text as written.
* MAPPING: YAML that must give a mapping (``name: value`` per line).
* NUMBER: an integer, a decimal number, or text holding a ``{{ }}`` expression.

Empty text means "not set": the key is left out of the config.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .. import data_types, yaml_loader
from ..actions.registry import ActionType, ConfigField, FieldKind
from ..yaml_loader import dump_yaml

PREFIX = "cfg"

_MAPPING_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\s*:(\s|$)")

VALUE_RULE = (
    "Text or a {{ expression }}. Text written as a mapping (name: value lines, or {…}) or "
    "a list (- item lines, or […]) is read as YAML; to keep such text literally, write it "
    "as an expression, e.g. {{ 'a: b' }}."
)
MAPPING_RULE = 'One name: value per line (YAML); put values with {{ }} in quotes: "{{ … }}".'
NUMBER_RULE = "A number, or a {{ expression }} giving one."


def field_name(action_name: str, key: str) -> str:
    """The form field name of config key ``key`` of action type ``action_name``."""
    return f"{PREFIX}__{action_name}__{key}"


class ConfigTextField(forms.CharField):
    """A stripped text field whose line endings are normalized.

    Browsers send textarea lines as CRLF; without this every multi-line config would count
    as changed on every save.
    """

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def _select(choices: list[tuple[str, str]], blank: str = "---------") -> forms.Select:
    return forms.Select(choices=[("", blank), *choices])


def _widget(f: ConfigField) -> forms.Widget:
    kind = f.kind
    if kind == FieldKind.MAPPING:
        return forms.Textarea(attrs={"rows": 3, "cols": 60, "placeholder": f.example})
    if kind == FieldKind.DATA_TYPE:
        return _select([(label, label) for label in data_types.allowed_labels()])
    if kind == FieldKind.WORKFLOW:
        from ..models import Workflow

        names = Workflow.objects.order_by("name").values_list("name", flat=True)
        return _select([(name, name) for name in names])
    if kind == FieldKind.CHOICE:
        blank = f"(default: {f.default})" if f.default is not None else "---------"
        return _select([(str(c), str(c)) for c in f.choices], blank)
    if kind == FieldKind.NUMBER:
        return forms.TextInput(attrs={"size": 20, "placeholder": f.example})
    if f.multiline or (kind == FieldKind.VALUE and "\n" in f.example):
        return forms.Textarea(attrs={"rows": 3, "cols": 60, "placeholder": f.example})
    return forms.TextInput(attrs={"class": "vLargeTextField", "placeholder": f.example})


def help_html(f: ConfigField) -> SafeString:
    """Help text: required or not, the field's own help, the parsing rule, an example."""
    rule = {
        FieldKind.VALUE: VALUE_RULE,
        FieldKind.MAPPING: MAPPING_RULE,
        FieldKind.NUMBER: NUMBER_RULE,
    }.get(f.kind, "")
    parts = [
        "Required." if f.required else "Optional.",
        f.help_text,
        rule,
    ]
    text = format_html_join(" ", "{}", ((p,) for p in parts if p))
    if f.example:
        return format_html('{} Example: <code class="wf-example">{}</code>', text, f.example)
    return text


def form_field(f: ConfigField) -> forms.Field:
    """The (always optional, always text) form field for one config key."""
    return ConfigTextField(
        required=False,
        label=f.title,
        help_text=help_html(f),
        widget=_widget(f),
    )


def form_fields(actions: list[ActionType]) -> dict[str, forms.Field]:
    """Every config field of every action type, by form field name."""
    return {field_name(a.name, f.key): form_field(f) for a in actions for f in a.fields}


# --- config value → text (filling the form) ---------------------------------------------


def yaml_text(value: Any) -> str:
    """Block-style YAML, keys in their stored order, written as export writes it."""
    return dump_yaml(value).rstrip("\n")


def to_text(f: ConfigField, value: Any) -> str:
    """How a stored config value is shown in its form field.

    In VALUE fields, values the text rule would read back differently (the number 5, the
    text "a: b") are shown as expressions giving the same value: ``{{ 5 }}``,
    ``{{ "a: b" }}``.
    """
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return yaml_text(value)
    if f.kind == FieldKind.VALUE:
        return _value_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        if looks_structured(value) and "{{" not in value and "}}" not in value:
            return "{{ " + json.dumps(value, ensure_ascii=False) + " }}"
        return value
    if isinstance(value, bool):
        return "{{ true }}" if value else "{{ false }}"
    if isinstance(value, int | float):
        return f"{{{{ {value!r} }}}}"
    return str(value)


def is_structured(value: Any) -> bool:
    return isinstance(value, dict | list)


# --- text → config value (reading the form) ---------------------------------------------


def parse(f: ConfigField, text: str | None) -> Any:
    """The config value for the text of ``f``'s field; None when it is empty (left out)."""
    text = (text or "").strip()
    if not text:
        return None
    if f.kind == FieldKind.VALUE:
        return parse_value(text)
    if f.kind == FieldKind.MAPPING:
        data = load_yaml(text)
        if not isinstance(data, dict):
            raise ValidationError(
                "Write one name: value per line (a mapping), e.g. status: paid.", code="mapping"
            )
        return data
    if f.kind == FieldKind.NUMBER:
        return parse_number(text)
    return text


def looks_structured(text: str) -> bool:
    """The VALUE rule: does this text spell a YAML mapping or list?"""
    s = text.lstrip()
    if not s or s.startswith("{{"):
        return False
    if s[0] in "[{":
        return True
    if s == "-" or s.startswith(("- ", "-\n")):
        return True
    return bool(_MAPPING_LINE.match(s))


def parse_value(text: str) -> Any:
    return load_yaml(text) if looks_structured(text) else text


def parse_number(text: str) -> int | float | str:
    if "{{" in text:
        return text
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(
            "Enter a number or a {{ expression }} giving one.", code="number"
        ) from None
    if not math.isfinite(number):
        raise ValidationError("Enter a finite number.", code="number")
    return number


def load_yaml(text: str) -> Any:
    """YAML read by the same rules as ``import_workflows`` (YAML 1.2: ``on``/``yes`` stay
    text), with a message that says where, and JSON-ready results."""
    try:
        data, _ = yaml_loader.load(text)
    except yaml_loader.FileFormatError as exc:
        where = f" (line {exc.line})" if exc.line else ""
        hint = ' Put values with {{ }} in quotes: name: "{{ … }}".' if "{{" in text else ""
        raise ValidationError(f"Not valid YAML{where}: {exc.message}.{hint}", code="yaml") from None
    return json_ready(data)


def json_ready(value: Any) -> Any:
    """YAML's extra types made JSON-ready: dates as ISO text; anything else refused."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"Names must be text; put {key!r} in quotes.", code="key")
            out[key] = json_ready(item)
        return out
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | bool | int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("Numbers must be finite.", code="number")
        return value
    raise ValidationError(f"Unsupported YAML value: {type(value).__name__}.", code="type")
