"""What the JSON-text tests of each endpoint share: crafted JSON and the refusal's shape."""

from __future__ import annotations

from typing import Any


def nested_lists(levels: int) -> str:
    return "[" * levels + "]" * levels


def nested_objects(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


#: ~1,000 levels in 2 KB: what used to exhaust the stack (a RecursionError, a 500)
DEEP_LISTS = nested_lists(1_000)
DEEP_OBJECTS = nested_objects(1_000)

#: an open API workflow with a text and a list parameter, answering both
ECHO: dict[str, Any] = {
    "expose": True,
    "auth": "none",
    "parameters": [
        {"key": "name", "type": "text", "optional": True},
        {"key": "tags", "type": "text", "list": True, "optional": True},
    ],
    "actions": [
        {"type": "return_data", "data": {"name": "{{ params.name }}", "tags": "{{ params.tags }}"}}
    ],
}


def assert_refused(response: Any, code: str, message: str, parameter: str | None = None) -> None:
    """A 400 in the API's error shape, with ``message`` in its message."""
    body = response.json()
    assert response.status_code == 400, body
    assert (body["status"], body["code"]) == ("error", code)
    assert message in body["message"]
    assert body.get("parameter") == parameter
