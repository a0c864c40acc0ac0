"""Workflow files are read with YAML 1.2 scalars and line numbers, and written readably."""

from __future__ import annotations

import pytest
import yaml

from workflows import yaml_loader
from workflows.jsontext import MAX_DEPTH
from workflows.yaml_loader import FileFormatError


def test_scalars_follow_yaml_1_2_so_spec_files_mean_what_they_say():
    data, _ = yaml_loader.load(
        "on: [update]\nat: 12:30\nday: 2026-01-01\nanswer: yes\nflag: true\nn: 010\n"
        "hex: 0x1F\nf: 1.5\nnothing: ~\nempty:\n"
    )
    assert data == {
        "on": ["update"],  # YAML 1.1 would read the key as True
        "at": "12:30",  # ... this as 750
        "day": "2026-01-01",  # ... and this as a date, which JSON cannot store
        "answer": "yes",
        "flag": True,
        "n": 10,
        "hex": 31,
        "f": 1.5,
        "nothing": None,
        "empty": None,
    }


def test_every_key_and_item_has_its_line():
    text = (
        "version: 1\nworkflows:\n  - name: a\n    actions:\n"
        "      - type: log\n        message: hi\n"
    )
    _, lines = yaml_loader.load(text)
    assert lines.line(("workflows", 0)) == 3
    assert lines.line(("workflows", 0, "actions", 0, "message")) == 6
    # A missing key points at its nearest written parent.
    assert lines.line(("workflows", 0, "actions", 0, "to")) == 5


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first written at line 1)"),
        ("a: [1\nb: 2\n", 2, "not valid YAML"),
        ("a: &x [*x]\n", 1, "recursive alias"),
        ("a: !!python/name:os.system x\n", 1, "could not determine a constructor"),
        ("a: 1\nb: !!timestamp 2026-01-01\n", 2, "cannot be stored"),
        ("a: !!set {x}\n", 1, "cannot be stored"),
    ],
)
def test_bad_documents_are_refused_with_their_line(text, line, words):
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load(text)
    assert caught.value.line == line and words in caught.value.message


def test_alias_bombs_are_refused():
    text = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    for n in range(ord("b"), ord("h")):
        prev = chr(n - 1)
        text += f"{chr(n)}: &{chr(n)} [{','.join([f'*{prev}'] * 10)}]\n"
    with pytest.raises(FileFormatError, match="more than"):
        yaml_loader.load(text)


def test_json_errors_and_duplicate_keys_have_lines():
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load('{\n  "a": 1,\n  "a": 2\n}', json_syntax=True)
    assert caught.value.line == 3 and "duplicate key 'a'" in caught.value.message
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load('{\n  "a": 1,\n  "b": \n}', json_syntax=True)
    assert caught.value.line == 4 and "not valid JSON" in caught.value.message
    data, lines = yaml_loader.load('{\n  "a": [1,\n    2]\n}', json_syntax=True)
    assert data == {"a": [1, 2]} and lines.line(("a", 1)) == 3


# --- what JSON text from outside may not hold either (workflows.jsontext) -----------------


def _deep_block(levels: int) -> str:
    return "".join(f"{'  ' * i}a:\n" for i in range(levels)) + f"{'  ' * levels}b: 1\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: " + "[" * 1_000 + "]" * 1_000 + "\n", 2),  # PyYAML recursed: a traceback
        ("a: 1\nb: " + "{x: " * 1_000 + "1" + "}" * 1_000 + "\n", 2),
        (_deep_block(1_000), MAX_DEPTH + 1),  # the mapping that goes one level too deep
        ("x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", 1),
    ],
    ids=["flow-lists", "flow-mappings", "block", "one-too-many"],
)
def test_nesting_deeper_than_the_limit_is_refused_with_its_line(text, line):
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load(text)
    assert caught.value.message == f"nested deeper than {MAX_DEPTH} levels"
    assert caught.value.line == line


def test_nesting_up_to_the_limit_is_read():
    data, _ = yaml_loader.load("[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH)
    for _ in range(MAX_DEPTH):
        (data,) = data
    assert data == 1
    data, _ = yaml_loader.load(_deep_block(MAX_DEPTH - 1))  # b's mapping is the 64th
    for _ in range(MAX_DEPTH - 1):
        data = data["a"]
    assert data == {"b": 1}


def test_aliases_may_not_add_up_to_deeper_nesting():
    """Each anchor within the limit, but every alias nests the previous one deeper."""
    half = MAX_DEPTH // 2
    text = "a0: &a0 " + "[" * half + "1" + "]" * half + "\n"
    text += "".join(
        f"a{i}: &a{i} " + "[" * half + f"*a{i - 1}" + "]" * half + "\n" for i in range(1, 40)
    )
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load(text)
    assert caught.value.message == f"nested deeper than {MAX_DEPTH} levels (aliases expanded)"
    assert caught.value.line == 1  # where the anchor that goes too deep in a1 is written


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('a: 1\nb: "x\\ud800y"\n', 2, "the text at $.b holds a lone surrogate (\\ud800)"),
        ('a:\n  - ok\n  - "\\U0000dfff"\n', 3, "the text at $.a[1] holds a lone surrogate"),
        ('a:\n  b: 1\n  "\\udc00": 2\n', 3, "a key in $.a holds a lone surrogate (\\udc00)"),
        ('a:\n  <<: {"\\ud800": 1}\n', 1, "a key in $.a holds a lone surrogate"),
    ],
    ids=["value", "item", "key", "merged-key"],
)
def test_lone_surrogate_escapes_are_refused_with_their_line(text, line, words):
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load(text)
    assert caught.value.line == line
    assert caught.value.message.startswith(words)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('{\n  "a": 1,\n  "b": ' + "[" * 1_000 + "]" * 1_000 + "\n}", 3, "nested deeper than"),
        ('{\n  "a": 1,\n  "b": "x\\ud800"\n}', 3, "the text at $.b holds a lone surrogate"),
    ],
    ids=["deep", "surrogate"],
)
def test_json_files_are_refused_the_same_with_their_line(text, line, words):
    with pytest.raises(FileFormatError) as caught:
        yaml_loader.load(text, json_syntax=True)
    assert caught.value.line == line
    assert caught.value.message.startswith(words)


TRICKY = {
    "on": ["update"],
    "texts": ["yes", "no", "on", "off", "12:30", "2026-01-01", "0o17", "1.5", "null", ""],
    "expression": "{{ params.order }}",
    "quoted": 'say "hi" \\o/',
    "body": "Hello {{ params.name }},\n\nThanks!\n",
    "unicode": "Grüße, 注文",
    "numbers": [1, 2.5, True, None],
}


def test_dump_reads_back_the_same_with_our_reader_and_plain_pyyaml():
    text = yaml_loader.dump_yaml(TRICKY)
    assert yaml_loader.load(text)[0] == TRICKY
    plain = yaml.safe_load(text)
    assert {k: v for k, v in plain.items() if k is not True} == {
        k: v for k, v in TRICKY.items() if k != "on"
    }


def test_dump_is_readable_block_yaml():
    shared = {"k": 1}
    text = yaml_loader.dump_yaml({"a": [shared, shared], **TRICKY})
    assert "&" not in text and "*id" not in text and "!!" not in text  # no anchors, no tags
    assert "\non:\n  - update\n" in text  # a trigger's key, bare; lists indented
    assert 'expression: "{{ params.order }}"' in text
    assert "body: |\n  Hello {{ params.name }},\n\n  Thanks!\n" in text
    assert "unicode: Grüße, 注文" in text
    assert '- "yes"' in text and '- "12:30"' in text
