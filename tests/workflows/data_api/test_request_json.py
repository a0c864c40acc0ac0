"""The Data API with JSON nested too deep or holding a lone surrogate — in a body (POST,
PATCH, PUT) or in the ``constraints`` / ``additional_sort_fields`` query parameters: a 400
naming where, nothing written (each was a 500). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from examples.models import Setting
from workflows.jsontext import MAX_DEPTH

from ..jsontext_cases import DEEP_LISTS, DEEP_OBJECTS, assert_refused

LIST = "/api/1.1/obj/examples.setting"


@pytest.fixture
def setting(db):
    return Setting.objects.create(name="kept", should_run=True)


@pytest.fixture
def headers(staff_user, make_key):
    return {"HTTP_AUTHORIZATION": f"Bearer {make_key(staff_user)}"}


@pytest.fixture
def send(api, headers):
    def do(method: str, url: str, body: str):
        return getattr(api, method)(url, body, content_type="application/json", **headers)

    return do


@pytest.fixture
def search(api, headers):
    def do(**query: str):
        return api.get(LIST, query, **headers)

    return do


WRITES = [("post", LIST), ("patch", "{item}"), ("put", "{item}")]


@pytest.mark.parametrize(("method", "url"), WRITES)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP_LISTS, f"nested deeper than {MAX_DEPTH} levels"),
        (DEEP_OBJECTS, f"nested deeper than {MAX_DEPTH} levels"),
        ('{"name": ' + DEEP_LISTS + "}", f"nested deeper than {MAX_DEPTH} levels"),
        ('{"name": "x\\ud800y"}', "the text at $.name holds a lone surrogate (\\ud800)"),
        ('{"name": "x", "\\udc00": true}', "a key in $ holds a lone surrogate (\\udc00)"),
        ('{"name": 1e999}', "the number at $.name is not finite (too large, or NaN)"),
    ],
    ids=["lists", "objects", "in-a-field", "surrogate", "surrogate-key", "infinite"],
)
def test_a_body_nested_too_deep_or_with_a_lone_surrogate_writes_nothing(
    setting, send, method, url, body, message
):
    url = url.format(item=f"{LIST}/{setting.pk}")
    assert_refused(send(method, url, body), "INVALID_REQUEST", f"JSON body refused: {message}")
    assert list(Setting.objects.values_list("name", "should_run")) == [("kept", True)]


def test_a_surrogate_pair_is_written(setting, send):
    response = send("patch", f"{LIST}/{setting.pk}", '{"name": "\\ud83d\\ude00"}')
    assert response.status_code == 204, response.content
    setting.refresh_from_db()
    assert setting.name == "\U0001f600"


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        (
            '[{"key": "name", "constraint_type": "equals", "value": "x\\ud800y"}]',
            "constraints: the text at constraints[0].value holds a lone surrogate (\\ud800)",
        ),
        (
            '[{"key": "name\\udfff", "constraint_type": "equals", "value": "x"}]',
            "constraints: the text at constraints[0].key holds a lone surrogate (\\udfff)",
        ),
        (DEEP_LISTS, f"constraints: nested deeper than {MAX_DEPTH} levels"),
        (
            '[{"key": "name", "constraint_type": "in", "value": ' + DEEP_LISTS + "}]",
            f"constraints: nested deeper than {MAX_DEPTH} levels",
        ),
    ],
)
def test_constraints_nested_too_deep_or_with_a_lone_surrogate_are_refused(
    setting, search, constraints, message
):
    assert_refused(search(constraints=constraints), "INVALID_PARAMETER", message, "constraints")


@pytest.mark.parametrize(
    ("sort", "message"),
    [
        ('[{"sort_field": "name\\ud800"}]', "the text at additional_sort_fields[0].sort_field"),
        (DEEP_OBJECTS, f"nested deeper than {MAX_DEPTH} levels"),
    ],
)
def test_additional_sort_fields_are_read_the_same_way(setting, search, sort, message):
    assert_refused(
        search(additional_sort_fields=sort),
        "INVALID_PARAMETER",
        f"additional_sort_fields: {message}",
        "additional_sort_fields",
    )


def test_constraints_with_a_surrogate_pair_search_normally(setting, search):
    constraints = [{"key": "name", "constraint_type": "equals", "value": "\U0001f600"}]
    response = search(constraints=json.dumps(constraints))
    assert response.status_code == 200, response.json()
    assert response.json()["response"]["count"] == 0
