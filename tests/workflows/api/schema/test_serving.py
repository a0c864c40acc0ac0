"""Where the document is served and in which formats, the offline docs page, and
``manage.py spectacular --validate --fail-on-warn`` clean on the examples and every
parameter type."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.core.management import call_command

from examples.services import examples_load


def test_schema_in_yaml_by_default_and_json_on_request(api, make_workflow):
    make_workflow("hello", expose=True, auth="none")
    as_yaml = api.get("/api/schema/")
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    doc = yaml.safe_load(as_yaml.content)
    assert doc["openapi"].startswith("3.") and "/api/1.1/wf/hello" in doc["paths"]
    assert api.get("/api/schema/?format=json").json() == doc
    assert api.get("/api/schema/", HTTP_ACCEPT="application/json").json() == doc
    assert api.get("/api/schema/?format=yaml")["Content-Type"].startswith(
        "application/vnd.oai.openapi"
    )


def test_bubbles_meta_swagger_json_is_the_same_document(api, make_workflow):
    make_workflow("hello", expose=True, auth="none")
    meta = api.get("/api/1.1/meta/swagger.json")
    assert meta.status_code == 200 and meta["Content-Type"].startswith("application/")
    assert meta.json() == api.get("/api/schema/?format=json").json()
    # the catch-all 404 still answers the rest of /api/1.1/meta/
    assert api.get("/api/1.1/meta/other").json()["code"] == "NOT_FOUND"


def test_info_and_the_fixed_endpoints(api, db):
    doc = api.get("/api/schema/?format=json").json()
    assert doc["info"]["title"] == "bubble-backend API" and doc["info"]["version"] == "1.1"
    paths = doc["paths"]
    assert paths["/api/1.1/runs/{run_id}"]["get"]["operationId"] == "run_get"
    assert paths["/api/1.1/scheduled"]["get"]["operationId"] == "scheduled_list"
    assert paths["/api/1.1/scheduled/{id}"]["get"]["security"] == [{"bearerAuth": []}]
    cancel = paths["/api/1.1/scheduled/{id}/cancel"]["post"]
    assert "409" in cancel["responses"]
    assert not any("{data_type}" in p or "schema" in p for p in paths)


def test_data_api_paths_per_data_type(api, db):
    doc = api.get("/api/schema/?format=json").json()
    search = doc["paths"]["/api/1.1/obj/examples.order"]["get"]
    assert search["operationId"] == "examples_order_search"
    names = {p["name"] for p in search["parameters"]}
    assert names == {
        "constraints",
        "cursor",
        "limit",
        "sort_field",
        "descending",
        "additional_sort_fields",
        "exclude_remaining",
    }
    page = doc["components"]["schemas"]["ExamplesOrderSearchResponse"]["properties"]["response"]
    assert "remaining" in page["properties"] and "remaining" not in page["required"]
    assert search["security"] == [{"bearerAuth": []}, {}]  # anonymous: everyone-else rules
    one = doc["paths"]["/api/1.1/obj/examples.order/{id}"]
    assert set(one) == {"get", "patch", "put", "delete"}
    order = doc["components"]["schemas"]["ExamplesOrder"]
    assert order["properties"]["total"] == {"type": "number"}
    assert order["properties"]["customer"]["type"] == "integer"
    assert order["properties"]["paid_at"] == {
        "type": "string",
        "format": "date-time",
        "nullable": True,
    }
    write = doc["components"]["schemas"]["ExamplesOrderRequest"]
    assert set(write["required"]) == {"customer", "total"}
    assert "created_at" not in write["properties"]  # set automatically
    user = doc["components"]["schemas"]["AuthUserRequest"]["properties"]
    assert "password" not in user and "is_superuser" not in user  # hidden, protected


def test_swagger_ui_is_served_without_a_cdn(api, db):
    page = api.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/schema/" in html
    assert not re.search(r"https?://(cdn|unpkg|fonts)", html)
    assets = re.findall(r"""(?:src|href)=["']([^"']*drf_spectacular_sidecar[^"']*)""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert api.get(asset).status_code == 200, asset
    assert api.get("/api/redoc/").status_code == 200


@pytest.fixture
def every_type(make_workflow):
    examples_load()
    make_workflow(
        "every-type",
        expose=True,
        auth="none",
        parameters=[
            {"key": "t", "type": "text", "list": True, "optional": True},
            {"key": "n", "type": "number", "default": 1},
            {"key": "b", "type": "yes_no", "optional": True},
            {"key": "d", "type": "date", "list": True, "optional": True},
            {"key": "u", "type": "thing", "data_type": "auth.User", "optional": True},
            {"key": "f", "type": "file", "optional": True},
            {"key": "fs", "type": "file", "list": True, "optional": True},
            {"key": "q", "type": "number", "optional": True, "querystring": True},
        ],
        actions=[{"type": "return_data", "data": {"u": "{{ params.u }}", "f": "{{ params.f }}"}}],
    )


def test_spectacular_validate_fail_on_warn_is_clean(every_type, tmp_path, capsys):
    out = tmp_path / "openapi.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
    )
    doc = json.loads(out.read_text())
    assert "/api/1.1/wf/every-type" in doc["paths"] and "/api/1.1/wf/process-order" in doc["paths"]
    captured = capsys.readouterr()
    assert "Warning" not in captured.out + captured.err
    assert "Error" not in captured.out + captured.err


def test_bulk_create_per_data_type(api, db):
    doc = api.get("/api/schema/?format=json").json()
    bulk = doc["paths"]["/api/1.1/obj/examples.order/bulk"]
    assert set(bulk) == {"post"}
    post = bulk["post"]
    assert post["operationId"] == "examples_order_bulk_create"
    assert post["requestBody"]["required"] is True
    body = post["requestBody"]["content"]
    assert set(body) == {"text/plain"} and body["text/plain"]["schema"]["type"] == "string"
    assert "at most 1,000 lines" in body["text/plain"]["schema"]["description"]
    ok = post["responses"]["200"]["content"]
    assert (
        set(ok) == {"text/plain"}
        and '{"status":"success"' in ok["text/plain"]["schema"]["description"]
    )
    assert {"400", "403", "413", "415", "429"} <= set(post["responses"])
    assert post["security"] == [{"bearerAuth": []}, {}]


def test_bubbles_built_in_fields_and_lists_of_texts(api, db):
    doc = api.get("/api/schema/?format=json").json()
    review = doc["components"]["schemas"]["ExamplesReview"]["properties"]
    assert review["Created Date"] == {"type": "string", "format": "date-time"}
    assert review["Modified Date"] == {"type": "string", "format": "date-time"}
    assert review["Created By"]["type"] == "integer" and review["Created By"]["nullable"]
    assert review["unique_id"]["type"] == "string"
    assert review["tags"]["type"] == "array" and review["tags"]["items"] == {"type": "string"}
    assert not {"created_date", "modified_date", "created_by"} & set(review)
    # none of them is written through the API
    write = doc["components"]["schemas"]["ExamplesReviewRequest"]["properties"]
    assert set(write) == {"product", "rating", "text", "tags"}
    search = doc["paths"]["/api/1.1/obj/examples.review"]["get"]
    sort = next(p for p in search["parameters"] if p["name"] == "sort_field")
    assert {"Created Date", "created_date", "Created By", "_id"} <= set(sort["schema"]["enum"])
    assert "default: Created Date" in sort["description"]
