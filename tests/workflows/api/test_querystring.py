"""Bubble's per-parameter "Querystring" option (``querystring: true``, docs/api.md): such a
parameter is read from the URL's query string only, whatever the body holds under its key;
the others still come from the query string and the body, the body winning."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from workflows.models import Run

URL = "/api/1.1/wf/shop"


@pytest.fixture
def shop(make_workflow):
    return make_workflow(
        "shop",
        expose=True,
        auth="none",
        parameters=[
            {"key": "shop", "type": "text", "querystring": True},
            {"key": "count", "type": "number", "optional": True, "querystring": True},
            {"key": "tags", "type": "text", "list": True, "optional": True, "querystring": True},
            {"key": "note", "type": "text", "optional": True},
        ],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "shop": "{{ params.shop }}",
                    "count": "{{ params.count }}",
                    "tags": "{{ params.tags }}",
                    "note": "{{ params.note }}",
                },
            }
        ],
    )


def answer(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["response"]


def test_read_from_the_query_string_of_a_post(api, shop):
    response = api.post(f"{URL}?shop=lyon&count=3&tags=a&tags=b", {"note": "hi"}, format="json")
    assert answer(response) == {"shop": "lyon", "count": 3, "tags": ["a", "b"], "note": "hi"}


def test_a_value_in_the_json_body_is_ignored(api, shop):
    body = {"shop": "paris", "count": 9, "tags": ["z"], "note": "hi"}
    response = api.post(f"{URL}?shop=lyon", body, format="json")
    assert answer(response) == {"shop": "lyon", "count": None, "tags": [], "note": "hi"}


@pytest.mark.parametrize("fmt", ["multipart", "urlencoded"])
def test_a_value_in_form_fields_is_ignored(api, shop, fmt):
    fields = {"shop": "paris", "count": "9", "note": "hi"}
    if fmt == "multipart":
        response = api.post(f"{URL}?shop=lyon", fields, format="multipart")
    else:
        encoded = "shop=paris&count=9&note=hi"
        response = api.post(
            f"{URL}?shop=lyon", encoded, content_type="application/x-www-form-urlencoded"
        )
    assert answer(response)["shop"] == "lyon"
    assert answer(response)["count"] is None


def test_a_file_upload_under_its_key_is_ignored(make_workflow, api):
    make_workflow(
        "store",
        expose=True,
        auth="none",
        parameters=[{"key": "doc", "type": "file", "querystring": True}],
        actions=[{"type": "return_data", "data": {"doc": "{{ params.doc.url }}"}}],
    )
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = api.post(
        "/api/1.1/wf/store?doc=https://files.example.com/r.pdf", {"doc": upload}, format="multipart"
    )
    assert answer(response) == {"doc": "https://files.example.com/r.pdf"}


def test_get_reads_it_as_before(api, shop):
    response = api.get(URL, {"shop": "lyon", "note": "hi"})
    assert answer(response) == {"shop": "lyon", "count": None, "tags": [], "note": "hi"}


def test_missing_says_it_is_expected_in_the_query_string(api, shop):
    response = api.post(URL, {"shop": "paris"}, format="json")
    assert response.status_code == 400
    body = response.json()
    message = (
        "missing required parameter 'shop': it is read from the URL's query string "
        "(?shop=...), not the request body"
    )
    assert body == {
        "status": "error",
        "code": "MISSING_PARAMETER",
        "message": message,
        "parameter": "shop",
        "statusCode": 400,
        "body": {"status": "MISSING_DATA", "message": message},
    }
    assert not Run.objects.exists()


def test_other_parameters_keep_the_body_winning(make_workflow, api):
    make_workflow(
        "plain",
        expose=True,
        auth="none",
        parameters=[{"key": "name", "type": "text"}],
        actions=[{"type": "return_data", "data": {"name": "{{ params.name }}"}}],
    )
    response = api.post("/api/1.1/wf/plain?name=query", {"name": "body"}, format="json")
    assert answer(response) == {"name": "body"}
    response = api.post("/api/1.1/wf/plain?name=query", {}, format="json")
    assert answer(response) == {"name": "query"}
    missing = api.post("/api/1.1/wf/plain", {}, format="json").json()
    assert missing["message"] == "missing required parameter 'name'"  # no word of the URL
