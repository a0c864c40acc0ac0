"""A secret parameter (``secret: true``, or one fed into a password) is never read from
the URL, which servers, proxies and browsers keep in their logs: a 400 naming it, nothing
run; in a body it is read as before. A builder who asks for the query string
(``querystring: true``) keeps it there.
The OpenAPI document's ``GET`` leaves them out (schema/test_secrets_in_urls.py)."""

from __future__ import annotations

import pytest

from workflows.models import Run

URL = "/api/1.1/wf/vault"


@pytest.fixture
def vault(make_workflow):
    return make_workflow(
        "vault",
        expose=True,
        auth="none",
        parameters=[
            {"key": "who", "type": "text"},
            {"key": "token", "type": "text", "secret": True},
            {"key": "code", "type": "text", "secret": True, "optional": True, "querystring": True},
        ],
        actions=[{"type": "return_data", "data": {"who": "{{ params.who }}"}}],
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_secret_in_the_query_string_is_refused_naming_it(api, vault, method):
    response = getattr(api, method)(f"{URL}?who=ada&token=s3cret-in-url")
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "INVALID_PARAMETER" and error["parameter"] == "token"
    assert "not read from the URL" in error["message"] and "request body" in error["message"]
    assert "s3cret-in-url" not in response.content.decode()
    assert not Run.objects.exists()


def test_in_the_body_it_is_read(api, vault):
    response = api.post(URL, {"who": "ada", "token": "s3cret"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["response"] == {"who": "ada"}
    assert Run.objects.get().params["token"] == "********"


def test_a_secret_the_builder_put_in_the_query_string_stays_there(api, vault):
    response = api.post(f"{URL}?code=1234", {"who": "ada", "token": "s3cret"}, format="json")
    assert response.status_code == 200, response.content


def test_a_password_fed_to_sign_up_is_refused_in_the_url(api, make_workflow):
    make_workflow(
        "join",
        expose=True,
        auth="none",
        parameters=[{"key": "email", "type": "text"}, {"key": "pw", "type": "text"}],
        actions=[{"type": "sign_up", "email": "{{ params.email }}", "password": "{{ params.pw }}"}],
    )
    response = api.get("/api/1.1/wf/join?email=a@example.com&pw=Correct-Horse-9")
    assert response.status_code == 400, response.content
    assert response.json()["parameter"] == "pw"
