"""Text ⇄ config values for the per-type action fields (the rules the help texts state)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from workflows.actions.registry import ConfigField, FieldKind
from workflows.admin.config_fields import field_name, parse, to_text

VALUE = ConfigField("v")
MAPPING = ConfigField("m", FieldKind.MAPPING)
NUMBER = ConfigField("n", FieldKind.NUMBER)
TEXT = ConfigField("t", FieldKind.TEXT)


def test_field_names():
    assert field_name("make_changes", "changes") == "cfg__make_changes__changes"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", None),
        ("   ", None),
        ("{{ params.order }}", "{{ params.order }}"),
        ("{{ a }}: b", "{{ a }}: b"),
        ("ann@example.com", "ann@example.com"),
        ("https://example.com/x", "https://example.com/x"),
        ("Note:no space", "Note:no space"),
        ("a: b", {"a": "b"}),
        (
            'ok: true\norder: "{{ params.order.id }}"',
            {"ok": True, "order": "{{ params.order.id }}"},
        ),
        ("{a: 1, b: [x]}", {"a": 1, "b": ["x"]}),
        ("[1, two]", [1, "two"]),
        ("- a\n- b", ["a", "b"]),
        ("at: 2025-01-31", {"at": "2025-01-31"}),
    ],
)
def test_value_rule(text, value):
    assert parse(VALUE, text) == value


def test_mappings_must_be_mappings_with_text_names():
    assert parse(MAPPING, "status: paid\ntotal: 3") == {"status": "paid", "total": 3}
    with pytest.raises(ValidationError, match="a mapping"):
        parse(MAPPING, "just text")
    with pytest.raises(ValidationError, match="Names must be text"):
        parse(MAPPING, "1: x")
    with pytest.raises(ValidationError, match=r"Not valid YAML \(line 1.*in quotes"):
        parse(MAPPING, "a: {{ params.x }}")


@pytest.mark.parametrize(
    ("text", "value"), [("3", 3), ("2.5", 2.5), ("{{ params.n * 2 }}", "{{ params.n * 2 }}")]
)
def test_numbers(text, value):
    assert parse(NUMBER, text) == value


@pytest.mark.parametrize("text", ["soon", "nan", "inf"])
def test_not_numbers(text):
    with pytest.raises(ValidationError):
        parse(NUMBER, text)


def test_text_is_kept_as_written_and_shown_back():
    assert parse(TEXT, "a: b") == "a: b"
    assert to_text(TEXT, "a: b") == "a: b"
    assert to_text(MAPPING, {"status": "paid", "n": 1}) == "status: paid\nn: 1"
    assert to_text(NUMBER, 30) == "30"
    assert to_text(VALUE, None) == ""
