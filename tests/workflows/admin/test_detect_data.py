""" "Detect data" (docs/api.md#detect-data-initialize): a builder starts it in the admin, the
next request to /api/1.1/wf/<name>/initialize is kept and answered 200 without running
anything, its parameters are proposed with detected types, and accepting them makes the
workflow take that request."""

from __future__ import annotations

import datetime

import pytest

from examples.models import Customer
from workflows import detect
from workflows.definitions import workflow_definition
from workflows.models import DataCapture, Run, Workflow

INIT = "/api/1.1/wf/{}/initialize"


@pytest.fixture
def signup(make_workflow):
    return make_workflow(
        "signup",
        expose=True,
        auth="none",
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Customer",
                "fields": {"name": "x", "email": "x@example.com"},
            }
        ],
    )


def detect_url(wf) -> str:
    return f"/admin/workflows/workflow/{wf.pk}/detect/"


def test_nothing_is_kept_unless_a_builder_is_waiting(api, signup):
    response = api.post(INIT.format("signup"), {"email": "a@example.com"}, format="json")
    assert response.status_code == 404
    assert "Detect data" in response.json()["message"]
    assert not DataCapture.objects.exists()


def test_a_request_is_captured_proposed_and_accepted_end_to_end(root_client, api, signup, key):
    assert root_client.post(detect_url(signup), {"action": "start"}).status_code == 302
    assert "Waiting for a request" in root_client.get(detect_url(signup)).content.decode()
    body = {
        "email": "ann@example.com",
        "age": 41,
        "vip": True,
        "born": "1985-04-02",
        "tags": ["a", "b"],
        "address": {"city": "Lyon"},
        "not-a-key": 1,
    }
    response = api.post(
        INIT.format("signup") + "?source=zapier&count=3",
        body,
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_COOKIE="sessionid=abc",
        HTTP_X_SHOP="lyon",
    )
    assert response.status_code == 200 and response.json() == {"status": "success", "response": {}}
    assert not Run.objects.exists() and not Customer.objects.exists()  # nothing ran
    # a second request finds nothing waiting: one request is kept
    assert api.post(INIT.format("signup"), {}, format="json").status_code == 404

    capture = DataCapture.objects.get()
    assert capture.data["headers"]["X-Shop"] == "lyon"
    assert not {"Authorization", "Cookie"} & set(capture.data["headers"])
    proposed = {p.key: (p.type, p.is_list, p.source) for p in detect.proposals(signup, capture)}
    assert proposed == {
        "email": ("text", False, "body"),
        "age": ("number", False, "body"),
        "vip": ("yes_no", False, "body"),
        "born": ("date", False, "body"),
        "tags": ("text", True, "body"),
        "address": ("text", False, "body"),
        "source": ("text", False, "query"),
        "count": ("number", False, "query"),
    }
    page = root_client.get(detect_url(signup)).content.decode()
    assert "ann@example.com" in page and key not in page

    rows = {"row": ["0", "1", "2"], "action": "accept"}
    rows.update({"use-0": "on", "key-0": "email", "type-0": "text"})
    rows.update({"use-1": "on", "key-1": "age", "type-1": "number", "optional-1": "on"})
    rows.update({"key-2": "vip", "type-2": "yes_no"})  # not ticked: left out
    assert root_client.post(detect_url(signup), rows).status_code == 302
    parameters = workflow_definition(Workflow.objects.get(name="signup"))["parameters"]
    assert parameters == [
        {"key": "email", "type": "text"},
        {"key": "age", "type": "number", "optional": True},
    ]
    assert not DataCapture.objects.exists()
    # the workflow now takes that request
    ran = api.post("/api/1.1/wf/signup", {"email": "ann@example.com", "age": 41}, format="json")
    assert ran.status_code == 200, ran.content


def test_a_thing_parameter_needs_its_data_type(root_client, api, signup):
    detect.start(signup, None)
    api.post(INIT.format("signup"), {"customer": 7}, format="json")
    rows = {"row": ["0"], "action": "accept", "use-0": "on", "key-0": "customer", "type-0": "thing"}
    response = root_client.post(detect_url(signup), rows)
    assert response.status_code == 200
    assert "needs its data type" in response.content.decode()
    rows["data_type-0"] = "examples.Customer"
    assert root_client.post(detect_url(signup), rows).status_code == 302
    (parameter,) = workflow_definition(Workflow.objects.get(name="signup"))["parameters"]
    assert parameter == {"key": "customer", "type": "thing", "data_type": "examples.Customer"}


def test_waiting_and_captures_expire(api, signup, frozen_now, settings):
    detect.start(signup, None, now=frozen_now)
    later = frozen_now + datetime.timedelta(seconds=601)
    assert detect.waiting_or_captured(signup, now=later) is None
    assert not DataCapture.objects.exists()
    detect.start(signup, None, now=frozen_now)
    assert detect.capture(signup, body={"a": 1}, query={}, headers={}, files=[], now=frozen_now)
    kept = frozen_now + datetime.timedelta(seconds=3599)
    assert detect.waiting_or_captured(signup, now=kept) is not None
    assert detect.waiting_or_captured(signup, now=kept + datetime.timedelta(seconds=2)) is None


def test_only_those_who_may_change_the_workflow_detect(client, user, signup):
    user.is_staff = True
    user.save()
    client.force_login(user)  # staff without the change permission
    assert client.post(detect_url(signup), {"action": "start"}).status_code == 403
    assert not DataCapture.objects.exists()


@pytest.mark.parametrize(
    ("value", "query", "expected"),
    [
        ("12", True, ("number", False)),
        ("12", False, ("text", False)),
        ("true", True, ("yes_no", False)),
        ("2026-05-01T10:00:00Z", False, ("date", False)),
        ("2026-13-45", False, ("text", False)),
        ([1, 2], False, ("number", True)),
        ([], False, ("text", True)),
        (None, False, ("text", False)),
    ],
)
def test_detected_types(value, query, expected):
    assert detect.detect_type(value, from_query=query) == expected


def test_what_came_only_in_the_query_string_is_proposed_as_querystring(
    root_client, api, make_workflow
):
    """As Bubble's detection: a key sent in the URL alone is proposed with "Querystring"
    ticked; accepted, the workflow reads it from the URL from then on."""
    shop = make_workflow(
        "shop",
        expose=True,
        auth="none",
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )
    detect.start(shop, None)
    response = api.post(
        INIT.format("shop") + "?shop=lyon&email=query@example.com",
        {"email": "ann@example.com", "tags": ["a", "b"]},
        format="json",
    )
    assert response.status_code == 200
    capture = DataCapture.objects.get()
    proposed = {p.key: (p.source, p.querystring) for p in detect.proposals(shop, capture)}
    # email came in both: the body wins, so it is not proposed as read from the URL
    assert proposed == {
        "email": ("body", False),
        "tags": ("body", False),
        "shop": ("query", True),
    }
    page = root_client.get(detect_url(shop)).content.decode()
    assert 'name="querystring-2" aria-label="shop is read from the query string" checked' in page
    assert 'name="querystring-0" aria-label="email is read from the query string" >' in page

    rows = {"row": ["0", "1", "2"], "action": "accept"}
    rows.update({"use-1": "on", "key-1": "tags", "type-1": "text", "is_list-1": "on"})
    rows.update({"use-2": "on", "key-2": "shop", "type-2": "text", "querystring-2": "on"})
    assert root_client.post(detect_url(shop), rows).status_code == 302
    shop = Workflow.objects.get(name="shop")
    assert workflow_definition(shop)["parameters"] == [
        {"key": "tags", "type": "text", "list": True},
        {"key": "shop", "type": "text", "querystring": True},
    ]
    # read from the URL: the body's value of the same key is ignored
    body = {"tags": ["x"], "shop": "paris"}
    assert api.post("/api/1.1/wf/shop?shop=lyon", body, format="json").status_code == 200
    assert Run.objects.get().params["shop"] == "lyon"


def test_a_signed_webhook_is_never_proposed_querystring(api, make_workflow, monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_HOOK_SECRET", "s3cret-s3cret-s3cret")
    hook = make_workflow(
        "hook", expose=True, auth="none", webhook={"secret": "HOOK_SECRET", "scheme": "stripe"}
    )
    detect.start(hook, None)
    assert api.post(INIT.format("hook") + "?shop=lyon", {}, format="json").status_code == 200
    [proposal] = detect.proposals(hook, DataCapture.objects.get())
    assert (proposal.key, proposal.source, proposal.querystring) == ("shop", "query", False)
