"""Workflow files are read with YAML 1.2 scalars and line numbers, and written readably."""

from __future__ import annotations

import pytest
import yaml

from workflows import yaml_loader
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
