"""jsontext: JSON text from outside, refused when nested too deep or holding lone
surrogates, saying where — whatever the depth, never a RecursionError."""

from __future__ import annotations

import json

import pytest

from workflows import jsontext
from workflows.exceptions import InvalidParameter
from workflows.jsontext import MAX_DEPTH, UnsafeJson

from .jsontext_cases import nested_lists, nested_objects


def test_nesting_up_to_the_limit_is_read():
    assert jsontext.loads(nested_lists(MAX_DEPTH)) is not None
    assert jsontext.loads(nested_objects(MAX_DEPTH))["a"]["a"]


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("nested", [nested_lists, nested_objects])
def test_deeper_nesting_is_refused_at_any_depth(nested, levels):
    """Past the interpreter's recursion limit ``json`` raises RecursionError, which no
    ``except ValueError`` catches; below it the value is walked. Both are UnsafeJson."""
    with pytest.raises(UnsafeJson, match=f"nested deeper than {MAX_DEPTH} levels"):
        jsontext.loads(nested(levels))


def test_a_refusal_is_a_value_error_so_callers_catching_malformed_json_stay_safe():
    assert issubclass(UnsafeJson, ValueError)


@pytest.mark.parametrize(
    ("text", "message", "path"),
    [
        ('"x\\ud800y"', "the text at $ holds a lone surrogate (\\ud800)", ()),
        ('{"name": "\\udfff"}', "the text at $.name holds a lone surrogate (\\udfff)", ("name",)),
        (
            '{"x": [1, {"my key": "a\\udc00"}]}',
            'the text at $.x[1]["my key"] holds a lone surrogate (\\udc00)',
            ("x", 1, "my key"),
        ),
        # in a key: the key is not printable, its object is named
        (
            '{"a": {"k\\ud800": 1}}',
            "a key in $.a holds a lone surrogate (\\ud800)",
            ("a", "k\ud800"),
        ),
        # a high surrogate followed by something else than its low half
        ('["\\ud83dx"]', "the text at $[0] holds a lone surrogate (\\ud83d)", (0,)),
        ('["\\ude00\\ud83d"]', "the text at $[0] holds a lone surrogate (\\ude00)", (0,)),
    ],
)
def test_lone_surrogates_are_refused_anywhere_saying_where(text, message, path):
    with pytest.raises(UnsafeJson) as caught:
        jsontext.loads(text)
    assert str(caught.value).startswith(message)
    assert caught.value.path == path
    str(caught.value).encode("utf-8")  # the message itself can be sent


def test_surrogate_pairs_are_whole_characters():
    assert jsontext.loads('{"smile": "\\ud83d\\ude00"}') == {"smile": "\U0001f600"}


def test_keyword_arguments_reach_json():
    pairs = jsontext.loads('{"a": 1, "b": 2}', object_pairs_hook=list)
    assert pairs == [("a", 1), ("b", 2)]
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads("[1,")


def test_check_walks_values_parsed_otherwise():
    jsontext.check({"a": [1, "b", None, {"c": True}]})
    with pytest.raises(UnsafeJson, match="nested deeper"):
        value: list = []
        for _ in range(5_000):
            value = [value]
        jsontext.check(value)
    with pytest.raises(UnsafeJson) as caught:
        jsontext.check({1: ["\ud800"]}, root="file")  # YAML allows number keys
    assert caught.value.path == (1, 0)
    assert "file[1][0]" in str(caught.value)


def test_a_parameter_is_refused_naming_it():
    assert jsontext.load_parameter("[1]", "constraints") == [1]
    with pytest.raises(InvalidParameter) as caught:
        jsontext.load_parameter('[{"value": "\\ud800"}]', "constraints")
    assert caught.value.parameter == "constraints"
    assert caught.value.message.startswith(
        "constraints: the text at constraints[0].value holds a lone surrogate"
    )
    with pytest.raises(InvalidParameter, match="^constraints: not valid JSON$"):
        jsontext.load_parameter("[", "constraints")


@pytest.mark.parametrize(
    ("text", "message", "path"),
    [
        ("1e999", "the number at $ is not finite (too large, or NaN)", ()),
        ('{"rating": -1e999}', "the number at $.rating is not finite", ("rating",)),
        ('{"a": [1, 2e400]}', "the number at $.a[1] is not finite", ("a", 1)),
    ],
)
def test_numbers_too_large_to_be_finite_are_refused_saying_where(text, message, path):
    """``json`` reads 1e999 as infinity, which no field can store (a 500 in the Data API)."""
    with pytest.raises(UnsafeJson) as exc:
        jsontext.loads(text)
    assert message in str(exc.value)
    assert exc.value.path == path


def test_a_whole_number_past_pythons_digit_limit_is_refused_in_plain_words():
    assert jsontext.loads("9" * jsontext.MAX_DIGITS) == int("9" * jsontext.MAX_DIGITS)
    for text in ("9" * (jsontext.MAX_DIGITS + 1), "-" + "9" * (jsontext.MAX_DIGITS + 1)):
        with pytest.raises(UnsafeJson, match="a whole number longer than 4,300 digits"):
            jsontext.loads(text)
    assert jsontext.loads("1.5e3") == 1500.0  # finite floats read as before
