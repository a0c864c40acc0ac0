"""JSON text in requests to /api/1.1/wf/<name>: nested too deep or holding a lone surrogate
is a 400 naming where, before any run (each was a 500; on PostgreSQL the run's insert
failed). Form, multipart and query-string text cannot carry lone surrogates: Django
decodes it with replacement characters. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT

from workflows import secrets
from workflows.jsontext import MAX_DEPTH
from workflows.models import Run

from ..jsontext_cases import DEEP_LISTS, DEEP_OBJECTS, ECHO, assert_refused

FORM = "application/x-www-form-urlencoded"
REPLACEMENT = "\ufffd"


@pytest.fixture
def echo(make_workflow):
    return make_workflow("echo", **ECHO)


@pytest.fixture
def post(api):
    def do(body: str | bytes, content_type: str = "application/json", name: str = "echo", **extra):
        return api.post(f"/api/1.1/wf/{name}", body, content_type=content_type, **extra)

    return do


def refused(response, code: str, message: str, parameter: str | None = None) -> None:
    assert_refused(response, code, message, parameter)
    assert not Run.objects.exists()  # refused before any run


@pytest.mark.parametrize(
    "body",
    [DEEP_LISTS, DEEP_OBJECTS, '{"name": "x", "tags": ' + DEEP_LISTS + "}"],
    ids=["lists", "objects", "in-a-parameter"],
)
def test_a_deeply_nested_body_is_refused(echo, post, body):
    refused(post(body), "INVALID_REQUEST", f"JSON body refused: nested deeper than {MAX_DEPTH}")


def test_nesting_within_the_limit_is_a_normal_body(echo, post):
    inner = "[" * (MAX_DEPTH - 1) + '"a"' + "]" * (MAX_DEPTH - 1)
    response = post('{"name": ' + inner + "}")
    # read as far as the parameter: a text parameter takes one value, not a list
    assert response.json()["code"] == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"name": "x\\ud800y"}', "the text at $.name holds a lone surrogate (\\ud800)"),
        ('{"tags": ["a", "\\udfff"]}', "the text at $.tags[1] holds a lone surrogate (\\udfff)"),
        ('{"name": "x", "\\ud800": 1}', "a key in $ holds a lone surrogate (\\ud800)"),
        ('{"name": "x", "extra": {"deep": ["\\ud83d"]}}', "the text at $.extra.deep[0]"),
    ],
)
def test_a_lone_surrogate_anywhere_in_the_body_is_refused(echo, post, body, where):
    refused(post(body), "INVALID_REQUEST", f"JSON body refused: {where}")


def test_a_surrogate_pair_is_a_character_and_runs(echo, post):
    response = post('{"name": "\\ud83d\\ude00", "tags": ["\\ud83d\\ude00"]}')
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"name": "\U0001f600", "tags": ["\U0001f600"]}
    assert Run.objects.get().params["name"] == "\U0001f600"


# --- a list parameter given as one JSON text ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP_LISTS, f"parameter 'tags': nested deeper than {MAX_DEPTH} levels"),
        ('["a", "x\\ud800"]', "parameter 'tags': the text at tags[1] holds a lone surrogate"),
    ],
    ids=["deep", "surrogate"],
)
@pytest.mark.parametrize("sent_as", ["form", "query", "multipart", "json-string"])
def test_a_list_parameter_as_json_text_is_read_safely(echo, post, api, text, message, sent_as):
    if sent_as == "form":
        response = post(f"tags={text}", FORM)
    elif sent_as == "query":
        response = api.get("/api/1.1/wf/echo", {"tags": text})
    elif sent_as == "multipart":
        response = api.post("/api/1.1/wf/echo", {"tags": text}, format="multipart")
    else:
        response = post(json.dumps({"tags": text}))
    refused(response, "INVALID_PARAMETER", message, parameter="tags")


def test_a_nul_escape_in_a_list_parameter_json_text_is_still_refused(echo, post):
    """Decoded before the coercion, the items still meet its NUL check."""
    refused(post('tags=["a\\u0000"]', FORM), "INVALID_PARAMETER", "NUL", parameter="tags")


def test_a_list_parameter_as_json_text_still_works(echo, post):
    response = post('tags=["a", "\\ud83d\\ude00"]', FORM)
    assert response.json()["response"]["tags"] == ["a", "\U0001f600"]
    response = post("tags=[not json", FORM)
    assert response.status_code == 400
    assert response.json()["message"] == "parameter 'tags': not a JSON list: '[not json'"


# --- form, multipart and query-string text: replacement characters, never surrogates ----


def test_form_text_with_surrogate_bytes_is_read_with_replacement_characters(echo, post):
    response = post(b"name=a%ED%A0%80b", FORM)
    assert response.status_code == 200, response.json()
    assert response.json()["response"]["name"] == f"a{REPLACEMENT * 3}b"
    assert Run.objects.get().params["name"] == f"a{REPLACEMENT * 3}b"


def test_query_string_text_with_surrogate_bytes_is_read_with_replacement_characters(echo, api):
    response = api.get("/api/1.1/wf/echo?name=a%ED%A0%80b")
    assert response.json()["response"]["name"] == f"a{REPLACEMENT * 3}b"


def test_multipart_text_with_surrogate_bytes_is_read_with_replacement_characters(echo, post):
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'.encode()
        + b"a\xed\xa0\x80b"
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    response = post(body, MULTIPART_CONTENT)
    assert response.json()["response"]["name"] == f"a{REPLACEMENT * 3}b"


def test_json_bytes_that_are_not_utf8_are_refused(echo, post):
    response = post(b'{"name": "\xed\xa0\x80"}')
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


# --- webhooks: the signature is checked on the raw body, then the body is parsed ----------

HUB_SECRET = "hub-secret-for-json-tests-0123456789"


@pytest.fixture
def hook(make_workflow, monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_JSON_HOOK", HUB_SECRET)
    secrets.invalidate()
    yield make_workflow(
        "hook",
        expose=True,
        auth="none",
        webhook={
            "secret": "JSON_HOOK",
            "scheme": "hmac",
            "header": "X-Hub-Signature-256",
            "algorithm": "sha256",
            "encoding": "hex",
            "prefix": "sha256=",
        },
        parameters=[{"key": "name", "type": "text", "optional": True}],
        actions=[{"type": "return_data", "data": {"name": "{{ params.name }}"}}],
    )
    secrets.invalidate()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP_OBJECTS, "nested deeper than"),
        ('{"name": "x\\ud800"}', "the text at $.name holds a lone surrogate"),
    ],
)
def test_a_signed_webhook_body_is_refused_like_any_other(hook, post, body, message):
    signature = hmac.new(HUB_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    response = post(body, name="hook", HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}")
    refused(response, "INVALID_REQUEST", message)
