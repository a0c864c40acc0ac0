"""Idempotency-Key: a repeat of a POST with the same key by the same caller gets the first
call's answer without running anything again — in a row, at once from two threads, after a
restart — and the same key with another body is refused (docs/api.md#idempotent-calls)."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from examples.models import Customer
from workflows import engine, idempotency
from workflows.models import IdempotentRequest, Run

NEW_CUSTOMER = [
    {"key": "name", "type": "text"},
]
CREATE = [
    {
        "id": "made",
        "type": "create_thing",
        "data_type": "examples.Customer",
        "fields": {"name": "{{ params.name }}", "email": "x@example.com"},
    },
    {"type": "return_data", "data": {"customer": "{{ steps.made.id }}"}},
]


@pytest.fixture
def signup(make_workflow):
    return make_workflow("add-customer", expose=True, parameters=NEW_CUSTOMER, actions=CREATE)


def post(api: APIClient, key: str, body: dict, idempotency_key: str | None = "k-1", path=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    return api.post(path or "/api/1.1/wf/add-customer", body, format="json", **headers)


def test_a_repeat_gets_the_first_answer_and_runs_nothing(signup, api, key):
    first = post(api, key, {"name": "Ann"})
    again = post(api, key, {"name": "Ann"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert again["X-Run-Id"] == first["X-Run-Id"]
    assert Customer.objects.filter(name="Ann").count() == 1 and Run.objects.count() == 1
    assert post(api, key, {"name": "Ann"}, idempotency_key="k-2").status_code == 200
    assert Customer.objects.filter(name="Ann").count() == 2  # a new key: a new call


def test_the_same_key_with_another_body_is_refused(signup, api, key):
    post(api, key, {"name": "Ann"})
    refused = post(api, key, {"name": "Bob"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert not Customer.objects.filter(name="Bob").exists() and Run.objects.count() == 1


def test_keys_are_each_callers_own(signup, api, key, make_key, other_user):
    post(api, key, {"name": "Ann"})
    theirs = post(api, make_key(other_user), {"name": "Ann"})
    assert theirs.status_code == 200 and "Idempotent-Replayed" not in theirs
    assert Run.objects.count() == 2


def test_the_answer_outlives_a_restart(signup, api, key):
    first = post(api, key, {"name": "Ann"})
    cache.clear()  # nothing of the process is needed: the answer is in the database
    again = post(APIClient(), key, {"name": "Ann"})
    assert again.content == first.content and Run.objects.count() == 1


def test_a_failed_call_is_answered_again_the_same_and_a_server_fault_is_not_kept(
    signup, api, key, monkeypatch
):
    refused = post(api, key, {}, idempotency_key="missing")  # 400: the caller's fault
    assert refused.status_code == 400
    assert post(api, key, {}, idempotency_key="missing").content == refused.content

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(engine, "run", crash)
    assert post(api, key, {"name": "Cy"}, idempotency_key="fault").status_code == 500
    assert not IdempotentRequest.objects.filter(key="fault").exists()  # a retry runs


def test_the_data_api_create_is_idempotent_too(api, key):
    body = {"name": "Dee", "email": "dee@example.com"}
    path = "/api/1.1/obj/examples.customer"
    first = post(api, key, body, path=path)
    again = post(api, key, body, path=path)
    assert first.status_code == again.status_code == 201 and again.content == first.content
    assert Customer.objects.filter(name="Dee").count() == 1


def test_a_bad_key_is_refused_saying_why(signup, api, key):
    refused = post(api, key, {"name": "Ann"}, idempotency_key="x" * 300)
    assert refused.status_code == 400 and "Idempotency-Key" in refused.json()["message"]
    assert Run.objects.count() == 0


def test_keys_past_their_time_are_pruned(signup, api, key, time_machine, settings):
    time_machine.move_to(timezone.now(), tick=False)
    post(api, key, {"name": "Ann"})
    time_machine.shift(settings.BUBBLE["IDEMPOTENCY_TTL"] + 1)
    assert idempotency.prune() == 1 and not IdempotentRequest.objects.exists()


def test_a_repeat_while_the_first_runs_waits_for_its_answer(signup, api, key, monkeypatch):
    """The first call's claim is running (another process): the repeat waits, and gets the
    answer the first stores meanwhile."""
    body = {"name": "Ann"}
    first = post(api, key, body)  # its fingerprint and answer, to stand for the first call
    row = IdempotentRequest.objects.get()
    answer = (row.status, row.content_type, row.headers, bytes(row.body))
    IdempotentRequest.objects.filter(pk=row.pk).update(state="running", status=None, body=b"")

    def first_call_ends():
        idempotency.settle(IdempotentRequest.objects.get(pk=row.pk), *answer)

    monkeypatch.setattr(idempotency, "pause", first_call_ends)
    again = post(api, key, body)
    assert again.content == first.content and Run.objects.count() == 1


def test_a_repeat_answers_409_when_the_first_runs_past_the_wait(signup, api, key, settings):
    settings.BUBBLE = {**settings.BUBBLE, "IDEMPOTENCY_WAIT": 0}
    post(api, key, {"name": "Ann"})
    IdempotentRequest.objects.update(state="running")
    busy = post(api, key, {"name": "Ann"})
    assert busy.status_code == 409 and busy.json()["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert Run.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two connections at once: PostgreSQL (the tests' SQLite is in memory)",
)
@pytest.mark.django_db(transaction=True)
def test_twice_at_once_from_two_threads_runs_once_and_both_get_its_answer(
    make_workflow, make_key, django_user_model, monkeypatch
):
    make_workflow("add-customer", expose=True, parameters=NEW_CUSTOMER, actions=CREATE)
    owner = django_user_model.objects.create_user("owner")
    key = make_key(owner)
    entered, release, waiting = threading.Event(), threading.Event(), threading.Event()
    real_run = engine.run

    def slow_run(*args, **kwargs):
        entered.set()
        assert release.wait(60)
        return real_run(*args, **kwargs)

    def pause():
        waiting.set()  # the second call found the first running, and waits for it
        assert release.wait(60)

    monkeypatch.setattr(engine, "run", slow_run)
    monkeypatch.setattr(idempotency, "pause", pause)
    answers = {}

    def call(name):
        try:
            answers[name] = post(APIClient(), key, {"name": "Ann"})
        finally:
            connections.close_all()

    first = threading.Thread(target=call, args=("first",))
    first.start()
    assert entered.wait(60)
    second = threading.Thread(target=call, args=("second",))
    second.start()
    assert waiting.wait(60)
    release.set()
    first.join(60)
    second.join(60)
    assert answers["first"].status_code == answers["second"].status_code == 200, (
        answers["first"].content,
        answers["second"].content,
    )
    assert answers["second"].content == answers["first"].content
    assert Customer.objects.filter(name="Ann").count() == 1 and Run.objects.count() == 1


def test_the_openapi_document_shows_the_header(signup, api):
    from workflows.api.schema import cache as schema_cache

    schema_cache.clear()
    document = api.get("/api/schema/?format=json").json()
    for path in ("/api/1.1/wf/add-customer", "/api/1.1/obj/examples.customer"):
        names = [p["name"] for p in document["paths"][path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path


def test_a_failed_run_is_answered_again_and_not_run_twice(make_workflow, api, key):
    make_workflow(
        "half-done",
        expose=True,
        commit="each_step",
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "Half", "email": "h@example.com"},
            },
            {"type": "http_request", "method": "GET", "url": "http://169.254.169.254/"},
        ],
    )
    path = "/api/1.1/wf/half-done"
    first = post(api, key, {}, path=path)
    again = post(api, key, {}, path=path)
    assert first.status_code == again.status_code == 500 and first.has_header("X-Run-Id")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(name="Half").count() == 1 and Run.objects.count() == 1


def test_an_answer_holding_a_users_token_is_never_kept(make_workflow, api, django_user_model):
    django_user_model.objects.create_user("ann", email="ann@example.com", password="s3cret-pw!")
    make_workflow(
        "login",
        expose=True,
        auth="none",
        parameters=[{"key": "email", "type": "text"}, {"key": "password", "type": "text"}],
        actions=[
            {
                "type": "log_user_in",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
            }
        ],
    )
    body = {"email": "ann@example.com", "password": "s3cret-pw!"}
    path = "/api/1.1/wf/login"
    first = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="login-1")
    assert first.status_code == 200 and "token" in first.json()["response"]
    assert not IdempotentRequest.objects.exists()
    again = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY="login-1")
    assert "Idempotent-Replayed" not in again  # ran again: a token of its own
    assert again.json()["response"]["token"] != first.json()["response"]["token"]


def test_a_repeat_passes_the_keys_scope_again(signup, api, user, make_key):
    from workflows.models import ApiKey

    scoped = make_key(user)
    assert post(api, scoped, {"name": "Ann"}).status_code == 200
    ApiKey.objects.filter(prefix=scoped.split(".")[0]).update(allowed_workflows=["other"])
    assert post(api, scoped, {"name": "Ann"}).status_code == 403


def test_not_found_and_a_failure_to_keep_the_answer_free_the_key(signup, api, key, monkeypatch):
    assert post(api, key, {}, path="/api/1.1/wf/nope").status_code == 404
    assert not IdempotentRequest.objects.exists()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away while keeping the answer")

    monkeypatch.setattr(idempotency, "settle", broken)
    with pytest.raises(RuntimeError):  # the test client raises what a server answers 500
        post(api, key, {"name": "Ann"}, idempotency_key="k-broken")
    assert not IdempotentRequest.objects.filter(key="k-broken").exists()  # a retry runs


def test_a_retried_upload_with_a_new_boundary_is_the_same_request(make_workflow, api, key):
    make_workflow(
        "upload",
        expose=True,
        parameters=[{"key": "doc", "type": "file"}],
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "up-1"}

    def upload(boundary: str):
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"'
            f"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
        ).encode()
        return api.generic(
            "POST",
            "/api/1.1/wf/upload",
            body,
            content_type=f"multipart/form-data; boundary={boundary}",
            **headers,
        )

    first, again = upload("b0und4ry1"), upload("another-b0und4ry")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and Run.objects.count() == 1
