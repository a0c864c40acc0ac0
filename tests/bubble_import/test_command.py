"""``manage.py import_bubble_app --dry-run`` against the stand-in Bubble app: the plan is
printed and reported, nothing is written here, only GETs reach Bubble, and the token goes
nowhere but its header."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from workflows.models import DataType, Workflow

from .stand_in import TOKEN, StandIn, running


def dry_run(address: str, *args: str) -> tuple[str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    call_command("import_bubble_app", address, "--dry-run", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_plan_from_the_swagger_file_writes_nothing(db, token, caplog):
    caplog.set_level(logging.DEBUG)
    with running() as app:
        out, err = dry_run(app.address)
    assert "read from its Swagger file" in out
    assert "unit → data type Unit, at /api/1.1/obj/unit" in out
    assert "user → user accounts" in out
    assert "Units" in out and "list of thing of unit" in out
    assert (
        "process-order(order: thing of order, rush: yes_no (optional), note: text (optional))"
        in out
    )
    assert "Nothing was written (--dry-run)." in out
    assert not DataType.objects.exists() and not Workflow.objects.exists()
    assert {method for method, _, _ in app.requests} == {"GET"}
    assert TOKEN not in out + err + caplog.text


def test_the_report_is_the_plan_as_json(db, token, tmp_path):
    report = tmp_path / "plan.json"
    with running() as app:
        dry_run(app.address, "--report", str(report))
    written = json.loads(report.read_text())
    assert written["dry_run"] is True and written["plan"]["source"] == "swagger"
    assert [t["bubble_name"] for t in written["plan"]["types"]] == [
        "user",
        "unit",
        "order",
        "review",
    ]
    assert TOKEN not in report.read_text()


def test_without_the_swagger_file_meta_is_read_and_the_operator_told(db, token):
    with running(StandIn(swagger_on=False)) as app:
        out, err = dry_run(app.address)
    assert "read from /api/1.1/meta" in out
    assert "not used: the Swagger file:" in err and "HTTP 404" in err


def test_with_neither_the_named_types_rows_tell_the_types(db, token):
    with running(StandIn(swagger_on=False, meta_on=False)) as app:
        out, _ = dry_run(app.address, "--types", "unit,user")
        assert "read from the values of its rows (--types)" in out
        assert "unit → data type Unit" in out and "order →" not in out
        assert all(authorized for _, path, authorized in app.requests if "/obj/" in path)


def test_with_neither_and_no_types_it_says_what_to_do(db, token):
    with (
        running(StandIn(swagger_on=False, meta_on=False)) as app,
        pytest.raises(CommandError, match="name the types to copy with --types a,b,c"),
    ):
        dry_run(app.address)


def test_the_development_version_is_read_with_version_test(db, token):
    with running() as app:
        out, _ = dry_run(app.address, "--version-test")
    assert "/version-test/api/1.1" in out
    assert all(path.startswith("/version-test/") for _, path, _ in app.requests)


def test_429_is_waited_out(db, token):
    with running(StandIn(throttle=2)) as app:
        out, _ = dry_run(app.address)
    assert "read from its Swagger file" in out
    swagger = [p for _, p, _ in app.requests if p.endswith("swagger.json")]
    assert len(swagger) == 3  # twice 429, then the file


def test_the_token_from_a_file(db, tmp_path, monkeypatch):
    monkeypatch.delenv("BUBBLE_SOURCE_API_TOKEN", raising=False)
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    with running(StandIn(swagger_on=False, meta_on=False)) as app:
        dry_run(app.address, "--types", "unit", "--token-file", str(path))
    assert all(authorized for _, _, authorized in app.requests)


def test_the_token_is_never_taken_on_the_command_line(db):
    with pytest.raises(CommandError, match="never taken on the command line"):
        call_command("import_bubble_app", "https://x.example", "--dry-run", "--token", TOKEN)


def test_an_app_that_does_not_answer_is_a_clear_error(db, token):
    with running() as app:
        address = app.address
    with pytest.raises(CommandError, match="neither the Swagger file nor /api/1.1/meta"):
        dry_run(address)


def test_the_first_rows_refine_the_plan(db, token):
    with running() as app:
        out, _ = dry_run(app.address)
    assert "Photo      photo                 image" in out
    assert "unit.Status: closed, open" in out


def test_without_a_token_the_plan_says_what_the_rows_would_have_shown(db, monkeypatch):
    monkeypatch.delenv("BUBBLE_SOURCE_API_TOKEN", raising=False)
    with running() as app:
        out, _ = dry_run(app.address)
    assert "unit: rows not read (GET " in out and "HTTP 401" in out
    assert "file fields and option-set candidates are not detected" in out


# --- a hostile or broken app, a broken token ---------------------------------------------


def test_a_token_on_two_lines_is_refused_without_being_shown(db, tmp_path):
    path = tmp_path / "token"
    path.write_text(f"{TOKEN}\nrotated-2024\n")
    with running() as app, pytest.raises(CommandError) as refused:
        dry_run(app.address, "--token-file", str(path))
    assert "one token, on one line" in str(refused.value)
    assert TOKEN not in str(refused.value) and app.requests == []


def test_the_token_never_travels_unencrypted_but_to_this_machine(db, token):
    with pytest.raises(CommandError, match="would travel unencrypted; use https://"):
        dry_run("http://myapp.example.com")


def test_unknown_types_are_named_with_those_the_app_has(db, token):
    with running() as app, pytest.raises(CommandError, match=r"--types: units not among"):
        dry_run(app.address, "--types", "units")


def test_a_link_to_a_type_left_out_keeps_its_ids_as_text(db, token):
    with running() as app:
        out, _ = dry_run(app.address, "--types", "review")
    assert "unit is not among --types: its ids kept as text" in out


def test_what_the_app_sends_cannot_drive_the_terminal(db, token):
    from . import stand_in

    hostile = {**stand_in.SWAGGER, "definitions": dict(stand_in.SWAGGER["definitions"])}
    hostile["definitions"]["unit"] = {"properties": {"Name\x1b[2J": {"type": "string"}}}
    with running() as app:
        app.swagger = hostile
        out, _ = dry_run(app.address)
    assert "\x1b" not in out and "Name\\x1b[2J" in out


@pytest.mark.parametrize(
    "document",
    [
        {"swagger": "2.0", "paths": ["/obj/x"]},
        {"swagger": "2.0", "definitions": ["x"], "paths": {"/obj/x": {}}},
        {"swagger": "2.0", "definitions": {"x": {"properties": [1]}}, "paths": {"/obj/x": {}}},
        {"swagger": "2.0", "paths": {"/wf/a": {"post": "x"}}},
        {
            "swagger": "2.0",
            "paths": {
                "/wf/a": {
                    "post": {
                        "parameters": [
                            {"in": "body", "schema": {"required": [[1]], "properties": {"p": 5}}}
                        ]
                    }
                }
            },
        },
    ],
)
def test_a_malformed_swagger_file_gives_a_plan_or_a_clear_error(db, token, document):
    with running(StandIn(meta_on=False)) as app:
        app.swagger = document
        try:
            out, _ = dry_run(app.address)
        except CommandError as exc:
            assert "neither the Swagger file nor /api/1.1/meta" in str(exc)
        else:
            assert "read from its Swagger file" in out


def test_a_long_description_is_read_at_once():
    from bubble_import.plan import _referenced

    assert _referenced(" " * 100_000 + "x") == ""
    assert _referenced("This field represents a Order Item represented by a unique ID") == (
        "Order Item"
    )


def test_answers_that_are_not_json_or_pages_are_clear_errors(db, token):
    with running(StandIn(swagger_on=False, meta_on=False)) as app:
        app.rows["unit"] = "not a list"
        with pytest.raises(CommandError, match="no response.results"):
            dry_run(app.address, "--types", "unit")
