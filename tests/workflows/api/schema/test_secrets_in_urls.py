"""The OpenAPI document's ``GET`` of a workflow leaves out its secret parameters, which
the API refuses in a URL (workflows/api/params.py), and says so."""

from __future__ import annotations

import pytest

from ..test_secrets_in_urls import URL, vault  # noqa: F401 - the fixture


@pytest.mark.usefixtures("vault")
def test_the_openapi_get_leaves_secrets_out_and_says_why(document):
    operation = document()["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {"who", "code"}
    assert "secret parameters (token) are refused in the query string" in operation["description"]
