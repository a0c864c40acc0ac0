"""The OpenAPI document as served, and helpers to read one operation or component of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from workflows.api.schema import cache


@pytest.fixture(autouse=True)
def _fresh_document():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def document(api) -> Callable[[], dict[str, Any]]:
    """GET /api/schema/?format=json, as a dict (call again after an edit)."""

    def fetch() -> dict[str, Any]:
        response = api.get("/api/schema/?format=json")
        assert response.status_code == 200, response.content
        return response.json()

    return fetch


def component(doc: dict[str, Any], ref_or_name: dict[str, str] | str) -> dict[str, Any]:
    name = ref_or_name if isinstance(ref_or_name, str) else ref_or_name["$ref"].rsplit("/", 1)[1]
    return doc["components"]["schemas"][name]


def request_schema(doc: dict[str, Any], path: str, media: str = "application/json") -> dict:
    """The component of an operation's request body (POST)."""
    body = doc["paths"][path]["post"]["requestBody"]["content"][media]["schema"]
    return component(doc, body)


def result_schema(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """The ``response`` object of a workflow's 200 answer."""
    envelope = doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
    return component(doc, component(doc, envelope["schema"])["properties"]["response"])
