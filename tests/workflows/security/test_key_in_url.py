"""API keys only in the Authorization header: a key in the query string is refused (400)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from scheduler.models import ScheduledRun
from workflows.models import ApiKey, Run
from workflows.services import api_key_revoke

ECHO = [{"type": "return_data", "data": {"key": "{{ params.key }}", "token": "{{ params.token }}"}}]
PARAMS = [{"key": "key", "type": "text"}, {"key": "token", "type": "text"}]


@pytest.fixture(autouse=True)
def _no_throttle_history():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def echo(make_workflow):
    return make_workflow("echo", expose=True, auth="none", parameters=PARAMS, actions=ECHO)


def refused(response, parameter: str) -> bool:
    body = response.json()
    return (
        response.status_code == 400
        and body["status"] == "error"
        and body["code"] == "API_KEY_IN_URL"
        and body["parameter"] == parameter
        and "Authorization: Bearer <key>" in body["message"]
        and "logs" in body["message"]
    )


@pytest.mark.parametrize("name", ["api_token", "api_key", "apikey", "access_token", "API_TOKEN"])
def test_credential_parameters_are_refused_whatever_their_value(api, echo, key, name):
    for value in (key, "anything"):
        response = api.get("/api/1.1/wf/echo", {name: value, "key": "a", "token": "b"})
        assert refused(response, name)
        response = api.post(f"/api/1.1/wf/echo?{name}={value}", {"key": "a", "token": "b"})
        assert refused(response, name)
    assert not Run.objects.exists()


def test_bubbles_api_token_is_refused_even_with_a_good_header(api, echo, key, user):
    response = api.get(
        "/api/1.1/wf/echo",
        {"api_token": key, "key": "a", "token": "b"},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert refused(response, "api_token")
    assert not Run.objects.exists()
    assert ApiKey.objects.get(user=user).last_used_at is None  # refused before authentication


@pytest.mark.parametrize("name", ["key", "token", "anything"])
def test_one_of_our_keys_under_any_name_is_refused_with_advice_to_revoke(api, echo, key, name):
    response = api.get("/api/1.1/wf/echo", {"key": "a", "token": "b", name: key})
    assert refused(response, name)
    assert "revoke" in response.json()["message"]
    assert key not in response.content.decode()  # not echoed back


def test_a_revoked_key_in_the_url_is_refused_too(api, echo, key, user):
    api_key_revoke(api_key=ApiKey.objects.get(user=user))
    assert refused(api.get("/api/1.1/wf/echo", {"key": key, "token": "b"}), "key")


def test_a_key_as_a_parameter_name_is_refused(api, echo, key):
    assert refused(api.get(f"/api/1.1/wf/echo?{key}"), key)


def test_parameters_called_key_and_token_keep_working(api, echo, key):
    lookalike = "AbCd1234." + "x" * 32  # the shape of a key, but no key has this prefix
    for value in ("sk_live_123", "a.b", lookalike):
        response = api.get("/api/1.1/wf/echo", {"key": value, "token": value})
        assert response.status_code == 200, response.json()
        assert response.json()["response"] == {"key": value, "token": value}
    # with the key where it belongs
    response = api.get(
        "/api/1.1/wf/echo", {"key": "k", "token": "t"}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200
    assert (
        api.get("/api/1.1/wf/echo", {"api_token": "", "key": "k", "token": "t"}).status_code == 200
    )


def test_every_api_path_refuses_a_key_in_the_url(api, key, make_workflow):
    make_workflow("later", expose=True, auth="user", actions=[{"type": "log", "message": "x"}])
    for method, path in (
        ("get", "/api/1.1/scheduled"),
        ("get", "/api/1.1/runs/00000000-0000-0000-0000-000000000000"),
        ("post", "/api/1.1/wf/later/schedule"),
        ("get", "/api/1.1/obj/examples.order"),
        ("get", "/api/1.1/nothing-here"),
    ):
        response = getattr(api, method)(f"{path}?api_token={key}")
        assert refused(response, "api_token"), path
    assert not ScheduledRun.objects.exists()


def test_outside_the_api_the_query_string_is_not_inspected(key):
    response = Client().get(f"/admin/login/?token={key}")
    assert response.status_code == 200


# --- BUBBLE_ALLOW_TOKEN_IN_URL: Bubble's ?api_token= taken as the header, never kept ------


@pytest.fixture
def token_in_url(settings):
    settings.BUBBLE = {**settings.BUBBLE, "ALLOW_TOKEN_IN_URL": True}


def test_with_the_setting_api_token_is_the_header_and_leaves_no_trace(
    api, make_workflow, key, user, token_in_url
):
    make_workflow(
        "mine",
        expose=True,
        auth="user",
        parameters=[{"key": "n", "type": "number"}],
        actions=[{"type": "return_data", "data": {"me": "{{ current_user.username }}"}}],
    )
    response = api.get(f"/api/1.1/wf/mine?n=1&api_token={key}")
    assert response.status_code == 200, response.content
    assert response.json()["response"] == {"me": user.username}
    meta = response.wsgi_request.META  # the WSGI environ a server logs from
    assert key not in meta["QUERY_STRING"] and meta["QUERY_STRING"] == "n=1"
    assert key not in meta.get("RAW_URI", "") + meta.get("REQUEST_URI", "")
    run = Run.objects.get()
    assert key not in str(run.params)


def test_with_the_setting_a_bad_token_in_the_url_is_unauthenticated(api, echo, token_in_url):
    response = api.get("/api/1.1/wf/echo?api_token=abcdefgh.nope&key=a&token=b")
    assert response.status_code == 401
    assert not Run.objects.exists()


def test_with_the_setting_two_credentials_are_refused(api, echo, key, token_in_url):
    response = api.get(f"/api/1.1/wf/echo?api_token={key}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400 and response.json()["parameter"] == "api_token"
    assert not Run.objects.exists()


def test_with_the_setting_other_credential_names_are_still_refused(api, echo, key, token_in_url):
    assert refused(api.get("/api/1.1/wf/echo", {"api_key": key}), "api_key")
