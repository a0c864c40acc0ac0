"""LOG_FORMAT=json: one JSON object per line with time, level, logger and message; the run
id on every line logged during a run (its steps', its crash report's, a custom event's
own); secrets masked as in the text log; gunicorn's own lines too."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from bubble_backend.ops.logs import JsonFormatter
from workflows import engine, secrets
from workflows.log_filters import MaskSecretsFilter, RunIdFilter
from workflows.models import Run

ROOT = Path(__file__).resolve().parents[3]
SECRET = "sk_live_abcdef123456"


@pytest.fixture
def json_log():
    """The console handler as settings build it with LOG_FORMAT=json, on the root logger;
    the lines it wrote, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskSecretsFilter())
    handler.addFilter(RunIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_every_line_is_one_json_object(json_log):
    logging.getLogger("some.module").warning("two\nlines and a %s", "value")
    (line,) = json_log()
    assert line["level"] == "WARNING" and line["logger"] == "some.module"
    assert line["message"] == "two\nlines and a value"
    assert line["time"].endswith("Z") and "T" in line["time"]
    assert "run_id" not in line  # not logged during a run


def test_the_lines_of_a_run_carry_its_id(json_log, make_workflow):
    workflow = make_workflow(
        "logs-twice",
        actions=[{"type": "log", "message": "first"}, {"type": "log", "message": "second"}],
    )
    result = engine.run(workflow)
    logging.getLogger("after").info("after the run")
    lines = json_log()
    steps = [line for line in lines if line["logger"] == "workflows.run"]
    assert [line["run_id"] for line in steps] == [str(result.run.pk)] * 2
    assert "run_id" not in lines[-1]


def test_a_crash_report_carries_the_run_id_and_no_secret(json_log, make_workflow, db):
    """The engine reports a crash (a bug, an outage) after the run's steps, outside its
    transaction: still the run's line."""
    secrets.set_secret("STRIPE_KEY", SECRET)
    workflow = make_workflow("crashes", actions=[{"type": "log", "message": "fine"}])
    crash = RuntimeError(f"bad key {SECRET}")
    with mock.patch("workflows.engine.runner.to_response", side_effect=crash):
        result = engine.run(workflow)
    assert result.run.status == "failed"
    (crash,) = [line for line in json_log() if "crashed" in line["message"]]
    assert crash["run_id"] == str(result.run.pk)
    assert crash["level"] == "ERROR"
    assert "RuntimeError: bad key ********" in crash["exception"]
    assert SECRET not in json.dumps(json_log())


def test_secrets_a_step_logs_are_masked(json_log, make_workflow, db):
    secrets.set_secret("STRIPE_KEY", SECRET)
    workflow = make_workflow(
        "leaky", actions=[{"type": "log", "message": "key is {{ secrets.STRIPE_KEY }}"}]
    )
    engine.run(workflow)
    lines = json_log()
    assert any(line["message"].endswith("key is ********") for line in lines)
    assert SECRET not in json.dumps(lines)


def test_a_custom_event_s_lines_carry_its_own_run(json_log, make_workflow):
    make_workflow("inner", kind="custom_event", actions=[{"type": "log", "message": "inside"}])
    caller = make_workflow(
        "outer",
        actions=[
            {"type": "trigger_custom_event", "workflow": "inner"},
            {"type": "log", "message": "back"},
        ],
    )
    result = engine.run(caller)
    child = Run.objects.get(parent=result.run)
    by_message = {line["message"].split()[-1]: line["run_id"] for line in json_log()}
    assert by_message == {"inside": str(child.pk), "back": str(result.run.pk)}


# --- the settings -----------------------------------------------------------------------


def python(code: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "BUBBLE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "bubble_backend.settings",
        **variables,
    }
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOG_A_LINE = "import django, logging; django.setup(); logging.getLogger('x.y').warning('hello')"


def test_log_format_json_makes_the_console_log_json(tmp_path):
    result = python(LOG_A_LINE, tmp_path, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert {k: line[k] for k in ("level", "logger", "message")} == {
        "level": "WARNING",
        "logger": "x.y",
        "message": "hello",
    }


def test_the_text_log_stays_the_default(tmp_path):
    result = python(LOG_A_LINE, tmp_path, LOG_FORMAT="")
    assert result.stderr.strip().splitlines()[-1] == "hello"


def test_an_unknown_log_format_is_refused(tmp_path):
    result = python(LOG_A_LINE, tmp_path, LOG_FORMAT="yaml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json, not 'yaml'" in result.stderr


def test_a_metrics_network_that_is_not_one_is_refused(tmp_path):
    result = python(LOG_A_LINE, tmp_path, BUBBLE_METRICS_ALLOWED_NETWORKS="10.0.0.0/8,10.0.0.300")
    assert result.returncode != 0
    assert "BUBBLE_METRICS_ALLOWED_NETWORKS names '10.0.0.300'" in result.stderr


# --- gunicorn ------------------------------------------------------------------------------


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_gunicorn_writes_its_own_lines_in_the_same_format(settings, log_format):
    from gunicorn.config import Config

    from bubble_backend.ops.gunicorn import Logger

    settings.LOG_FORMAT = log_format
    config = Config()
    config.set("accesslog", "-")
    logger = Logger(config)
    try:
        handlers = [*logger.error_log.handlers, *logger.access_log.handlers]
        record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, "Booting", (), None)
        lines = [
            handler.format(record) for handler in handlers if getattr(handler, "_gunicorn", False)
        ]
        assert len(lines) == 2
        if log_format == "json":
            assert all(json.loads(line)["message"] == "Booting" for line in lines)
        else:
            assert not lines[0].startswith("{")
    finally:
        for log in (logger.error_log, logger.access_log):
            for handler in list(log.handlers):
                if getattr(handler, "_gunicorn", False):
                    log.removeHandler(handler)
