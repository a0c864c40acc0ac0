""" "Include headers in request data" (docs/workflow-format.md): an API workflow may read
the request's headers as ``request.headers``, without credentials or cookies."""

from __future__ import annotations

import pytest

from workflows import engine
from workflows.definitions import workflow_definition
from workflows.exceptions import DefinitionError

READS = {
    "shop": "{{ request.headers['X-Shop'] }}",
    "any_case": "{{ request.headers['x-shop'] }}",
    "auth": "{{ request.headers['Authorization'] | default('none') }}",
    "cookie": "{{ request.headers['Cookie'] | default('none') }}",
}


@pytest.fixture
def shop(make_workflow):
    return make_workflow(
        "shop",
        expose=True,
        auth="user",
        include_headers=True,
        actions=[{"type": "return_data", "data": READS}],
    )


def test_the_workflow_reads_the_headers_but_never_the_credentials(call, shop, key):
    response = call("shop", {}, key=key, HTTP_X_SHOP="lyon", HTTP_COOKIE="sessionid=abc")
    assert response.status_code == 200, response.content
    assert response.json()["response"] == {
        "shop": "lyon",
        "any_case": "lyon",
        "auth": "none",
        "cookie": "none",
    }


def test_a_run_without_a_request_sees_no_headers(shop, user):
    result = engine.run(shop, {}, user)
    assert result.ok, result.error
    assert result.response == {
        "shop": None,
        "any_case": None,
        "auth": "none",
        "cookie": "none",
    }


def test_it_is_kept_in_the_definition(shop):
    assert workflow_definition(shop)["include_headers"] is True


def test_request_is_unknown_without_it(make_workflow):
    with pytest.raises(DefinitionError, match="request"):
        make_workflow("plain", actions=[{"type": "return_data", "data": READS}])


def test_only_an_api_workflow_has_headers(make_workflow):
    with pytest.raises(DefinitionError, match="only an API workflow is called with headers"):
        make_workflow("event", kind="custom_event", include_headers=True)
