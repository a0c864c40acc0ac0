"""export_workflows / import_workflows: what they print, write and exit with."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

from workflows import yaml_loader
from workflows.models import Workflow

from .conftest import line_of

pytestmark = pytest.mark.django_db

FILE = """\
version: 1
workflows:
  - name: hello
    expose: true
    auth: none
    parameters:
      - {key: name, type: text}
    actions:
      - type: return_data
        data: {greeting: "Hello {{ params.name }}"}
"""


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_what_it_did_and_a_second_import_changes_nothing(write):
    path = write("hello.yaml", FILE)
    out, _ = run("import_workflows", str(path))
    assert f"created  hello  ({path})" in out and "1 created, 0 updated, 0 unchanged." in out
    revision = Workflow.objects.get(name="hello").revision
    out, _ = run("import_workflows", str(path))
    assert "unchanged  hello" in out and "0 created, 0 updated, 1 unchanged." in out
    assert Workflow.objects.get(name="hello").revision == revision


def test_import_dry_run_writes_nothing(write):
    out, _ = run("import_workflows", "--dry-run", str(write("hello.yaml", FILE)))
    assert "1 created" in out and "dry run: nothing written" in out
    assert not Workflow.objects.exists()


def test_a_bad_file_is_a_command_error_naming_file_line_and_field(write):
    bad = FILE.replace("params.name", "params.nam")
    path = write("hello.yaml", bad)
    with pytest.raises(CommandError) as caught:
        run("import_workflows", str(path))
    message = str(caught.value)
    assert message.startswith(
        f"{path}:{line_of(bad, 'data:')}: workflow 'hello', step 1, data: unknown parameter 'nam'"
    )
    assert message.endswith("1 problem; nothing was imported.")
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    ("name", "text", "needle", "words"),
    [
        (
            "hello.yaml",
            FILE.replace("name: hello", 'name: "hello\\ud800"'),
            "name: ",
            "the text at $.workflows[0].name holds a lone surrogate (\\ud800)",
        ),
        (
            "hello.yaml",
            FILE.replace(
                "{key: name, type: text}",
                "{key: name, type: text, x: " + "[" * 500 + "]" * 500 + "}",
            ),
            "{key: name",
            "nested deeper than 64 levels",
        ),
        (
            "hello.json",
            '{"workflows": [\n{"name": "hello", "description": "\\udfff"}\n]}\n',
            "description",
            "the text at $.workflows[0].description holds a lone surrogate (\\udfff)",
        ),
        (
            "hello.json",
            '{"workflows": [\n{"name": "hello", "x": ' + "[" * 2_000 + "]" * 2_000 + "}\n]}\n",
            '"x"',
            "nested deeper than 64 levels",
        ),
    ],
    ids=["yaml-surrogate", "yaml-deep", "json-surrogate", "json-deep"],
)
def test_import_refuses_unstorable_text_and_deep_nesting_naming_file_and_line(
    write, name, text, needle, words
):
    """Each was a traceback (RecursionError, or the insert failing on the surrogate)."""
    path = write(name, text)
    with pytest.raises(CommandError) as caught:
        run("import_workflows", str(path))
    assert str(caught.value).startswith(f"{path}:{line_of(text, needle)}: {words}")
    assert not Workflow.objects.exists()


def test_the_import_command_exits_with_status_1_on_errors(write, capsys):
    path = write("hello.yaml", FILE.replace("auth: none", "auth: nobody"))
    command = load_command_class("workflows", "import_workflows")
    with pytest.raises(SystemExit) as caught:
        command.run_from_argv(["manage.py", "import_workflows", str(path)])
    assert caught.value.code == 1
    assert "workflow 'hello', auth: must be one of none, user, admin" in capsys.readouterr().err


def test_export_writes_yaml_to_stdout_and_json_to_a_file(write, tmp_path):
    run("import_workflows", str(write("hello.yaml", FILE)))
    out, _ = run("export_workflows")
    assert out.startswith("version: 2\nworkflows:\n  - name: hello\n    kind: api\n")
    assert yaml_loader.load(out)[0]["workflows"][0]["actions"][0]["data"] == {
        "greeting": "Hello {{ params.name }}"
    }
    target = tmp_path / "out.json"
    _, err = run("export_workflows", "-o", str(target), "hello")
    assert json.loads(target.read_text())["workflows"][0]["name"] == "hello"
    assert f"Exported 1 workflow to {target}." in err
    out, _ = run("export_workflows", "--format", "json")
    assert json.loads(out)["version"] == 2


def test_export_of_an_unknown_name_is_a_command_error():
    with pytest.raises(CommandError, match="no workflow named 'ghost'"):
        run("export_workflows", "ghost")


def test_export_then_import_through_the_commands(write, tmp_path):
    run("import_workflows", str(write("hello.yaml", FILE)))
    target = tmp_path / "export.yaml"
    run("export_workflows", "-o", str(target))
    Workflow.objects.all().delete()
    out, _ = run("import_workflows", str(target))
    assert "1 created" in out
    again, _ = run("export_workflows")
    assert again == target.read_text()
