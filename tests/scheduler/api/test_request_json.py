"""POST /api/1.1/wf/<name>/schedule with JSON nested too deep or holding a lone surrogate:
a 400 naming where, nothing scheduled (each was a 500). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from scheduler.models import ScheduledRun
from tests.workflows.jsontext_cases import DEEP_LISTS, DEEP_OBJECTS, ECHO, assert_refused
from workflows.jsontext import MAX_DEPTH
from workflows.models import Run

AT = "2030-01-01T10:00:00+00:00"


@pytest.fixture
def later_echo(make_workflow):
    return make_workflow("later-echo", **ECHO)


@pytest.fixture
def post(api):
    def do(body: str, content_type: str = "application/json"):
        return api.post("/api/1.1/wf/later-echo/schedule", body, content_type=content_type)

    return do


def refused(response, code: str, message: str, parameter: str | None = None) -> None:
    assert_refused(response, code, message, parameter)
    assert not ScheduledRun.objects.exists()
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        DEEP_LISTS,
        DEEP_OBJECTS,
        '{"at": "' + AT + '", "params": ' + DEEP_OBJECTS + "}",
        '{"at": "' + AT + '", "params": {"tags": ' + DEEP_LISTS + "}}",
    ],
    ids=["lists", "objects", "params", "a-parameter"],
)
def test_a_deeply_nested_body_is_refused(later_echo, post, body):
    refused(post(body), "INVALID_REQUEST", f"JSON body refused: nested deeper than {MAX_DEPTH}")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"at": "' + AT + '", "params": {"name": "x\\ud800y"}}', "$.params.name"),
        ('{"at": "2030-01-01T10:00:00\\udc00"}', "$.at"),
        ('{"at": "' + AT + '", "params": {"\\ud800": "x"}}', "a key in $.params"),
    ],
)
def test_a_lone_surrogate_in_the_body_is_refused(later_echo, post, body, where):
    refused(post(body), "INVALID_REQUEST", where)
    assert "lone surrogate" in post(body).json()["message"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP_LISTS, f"parameter 'tags': nested deeper than {MAX_DEPTH} levels"),
        ('["\\ud800"]', "parameter 'tags': the text at tags[0] holds a lone surrogate"),
    ],
    ids=["deep", "surrogate"],
)
@pytest.mark.parametrize("sent_as", ["params", "form"])
def test_a_list_parameter_as_json_text_is_read_safely(later_echo, post, text, message, sent_as):
    if sent_as == "params":
        response = post(json.dumps({"at": AT, "params": {"tags": text}}))
    else:
        response = post(
            f"at={AT.replace('+', '%2B')}&tags={text}", "application/x-www-form-urlencoded"
        )
    refused(response, "INVALID_PARAMETER", message, parameter="tags")


def test_a_surrogate_pair_is_scheduled(later_echo, post):
    response = post(json.dumps({"at": AT, "params": {"name": "\U0001f600"}}))
    assert response.status_code == 201, response.json()
    assert ScheduledRun.objects.get().params["name"] == "\U0001f600"
