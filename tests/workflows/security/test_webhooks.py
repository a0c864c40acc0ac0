"""Signed webhooks: Stripe's scheme and generic HMAC — accepted, refused (wrong, missing,
expired, replayed, tampered), logged without the body, and validated when saved."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from workflows import masking, secrets, webhooks
from workflows.choices import RunSource, RunStatus
from workflows.engine.compiler import compile_definition
from workflows.exceptions import DefinitionError
from workflows.models import Run
from workflows.transfer import import_definitions

pytestmark = pytest.mark.django_db

STRIPE_SECRET = "whsec_test_6f1b2c3d4e5f60718293a4b5c6d7e8f9"
HUB_SECRET = "github-hook-secret-0123456789"
EVENT = {"id": "evt_1", "type": "checkout.session.completed", "amount": 4200}


@pytest.fixture(autouse=True)
def _stopped_clock(frozen_now):
    """Signatures are made from ``time.time()`` and checked against it within a tolerance:
    with the clock stopped, however slowly a request goes through, it is checked at the
    moment it was signed (``test_the_timestamp_tolerance``: 290 s old is 290 s old)."""


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    """Operator secrets from the environment; no remembered signatures or masks."""
    monkeypatch.setenv("BUBBLE_SECRET_STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
    monkeypatch.setenv("BUBBLE_SECRET_HUB_SECRET", HUB_SECRET)
    secrets.invalidate()
    masking.clear()
    cache.clear()
    yield
    cache.clear()
    masking.clear()


def stripe_header(body: bytes, *, t: int | None = None, secret: str = STRIPE_SECRET) -> str:
    """What Stripe sends: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">."""
    t = int(time.time()) if t is None else t
    signature = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={signature}"


@pytest.fixture
def stripe_workflow(make_workflow):
    return make_workflow(
        "stripe-events",
        expose=True,
        auth="none",
        webhook={"secret": "STRIPE_WEBHOOK_SECRET", "scheme": "stripe", "tolerance": 300},
        parameters=[{"key": "type", "type": "text"}, {"key": "amount", "type": "number"}],
        actions=[{"type": "return_data", "data": {"got": "{{ params.type }}:{{ params.amount }}"}}],
    )


@pytest.fixture
def post(api):
    def do(name: str, body: bytes, content_type: str = "application/json", **headers: str):
        return api.post(f"/api/1.1/wf/{name}", data=body, content_type=content_type, **headers)

    return do


FORM = "application/x-www-form-urlencoded"


def body_of(event: dict = EVENT) -> bytes:
    return json.dumps(event).encode()


def refused(response, reason: str) -> None:
    body = response.json()
    assert response.status_code == 401, body
    assert (body["status"], body["code"]) == ("error", "UNAUTHENTICATED")
    assert reason in body["message"]


# --- Stripe ------------------------------------------------------------------------------------


def test_a_correctly_signed_stripe_event_runs(stripe_workflow, post):
    body = body_of()
    response = post("stripe-events", body, HTTP_STRIPE_SIGNATURE=stripe_header(body))
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"got": "checkout.session.completed:4200"}


def test_any_of_several_v1_signatures_may_match(stripe_workflow, post):
    """Stripe sends one v1 per active secret while a secret is being rolled."""
    body = body_of()
    t = int(time.time())
    good = stripe_header(body, t=t).split(",")[1]
    header = f"t={t},v1={'0' * 64},{good},v0=ignored"
    assert post("stripe-events", body, HTTP_STRIPE_SIGNATURE=header).status_code == 200


def test_a_wrong_signature_is_refused_logged_and_recorded(stripe_workflow, post, caplog):
    body = body_of({**EVENT, "card": "4242424242424242"})
    header = stripe_header(body, secret="whsec_someone_else")
    with caplog.at_level(logging.WARNING, logger="workflows.webhooks"):
        response = post(
            "stripe-events", body, HTTP_STRIPE_SIGNATURE=header, REMOTE_ADDR="203.0.113.9"
        )
    refused(response, "no signature matches")
    record = next(r for r in caplog.records if r.name == "workflows.webhooks")
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert "stripe-events" in line and "203.0.113.9" in line and "no signature matches" in line
    assert "4242424242424242" not in caplog.text and header not in caplog.text  # no body
    run = Run.objects.get()
    assert (run.workflow, run.source, run.status, run.error_code) == (
        stripe_workflow,
        RunSource.API,
        RunStatus.FAILED,
        "UNAUTHENTICATED",
    )
    assert "no signature matches" in run.error_message and run.params == {}
    assert "4242424242424242" not in json.dumps([run.params, run.result, run.error_message])


def test_a_missing_header_is_refused(stripe_workflow, post):
    refused(post("stripe-events", body_of()), "missing Stripe-Signature header")
    assert Run.objects.get().error_code == "UNAUTHENTICATED"


@pytest.mark.parametrize("header", ["garbage", "t=123", "v1=abc", "t=notanumber,v1=abc"])
def test_a_malformed_header_is_refused(stripe_workflow, post, header):
    response = post("stripe-events", body_of(), HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 401


def test_a_tampered_body_is_refused(stripe_workflow, post):
    header = stripe_header(body_of())
    tampered = body_of({**EVENT, "amount": 1})
    refused(post("stripe-events", tampered, HTTP_STRIPE_SIGNATURE=header), "no signature matches")


@pytest.mark.parametrize(("age", "ok"), [(290, True), (-290, True), (310, False), (-310, False)])
def test_the_timestamp_tolerance(stripe_workflow, post, age, ok):
    body = body_of()
    header = stripe_header(body, t=int(time.time()) - age)
    response = post("stripe-events", body, HTTP_STRIPE_SIGNATURE=header)
    if ok:
        assert response.status_code == 200
    else:
        refused(response, "more than 300 s away")


def test_an_expired_signature_at_a_fixed_time(stripe_workflow, rf):
    """``verify_webhook`` takes the time, so expiry is checked without waiting."""
    body = body_of()
    header = stripe_header(body, t=1_700_000_000)
    request = rf.post("/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    webhooks.verify_webhook(stripe_workflow, request, now=1_700_000_000 + 300)
    request = rf.post("/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    with pytest.raises(webhooks.WebhookRejected, match="more than 300 s"):
        webhooks.verify_webhook(stripe_workflow, request, now=1_700_000_000 + 301)
    with pytest.raises(webhooks.WebhookRejected, match="more than 300 s"):  # from the future
        webhooks.verify_webhook(stripe_workflow, request, now=1_700_000_000 - 301)
    assert Run.objects.filter(error_code="UNAUTHENTICATED").count() == 2


def test_a_replayed_request_is_refused(stripe_workflow, post):
    body = body_of()
    header = stripe_header(body)
    assert post("stripe-events", body, HTTP_STRIPE_SIGNATURE=header).status_code == 200
    refused(post("stripe-events", body, HTTP_STRIPE_SIGNATURE=header), "already used")
    # the same event re-sent by Stripe (a new timestamp, so a new signature) runs again
    later = stripe_header(body, t=int(time.time()) + 1)
    assert post("stripe-events", body, HTTP_STRIPE_SIGNATURE=later).status_code == 200


def test_a_replay_with_a_reshuffled_header_is_still_refused(stripe_workflow, post):
    body = body_of()
    header = stripe_header(body)
    assert post("stripe-events", body, HTTP_STRIPE_SIGNATURE=header).status_code == 200
    t, v1 = header.split(",")
    reshuffled = f"{v1.upper().replace('V1=', 'v1=')},{t},v1={'f' * 64}"
    refused(post("stripe-events", body, HTTP_STRIPE_SIGNATURE=reshuffled), "already used")


def test_the_signature_comes_in_addition_to_the_auth_setting(make_workflow, post, key):
    make_workflow(
        "signed-and-keyed",
        expose=True,
        auth="user",
        webhook={"secret": "STRIPE_WEBHOOK_SECRET", "scheme": "stripe"},
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )
    body = b"{}"
    signature = stripe_header(body)  # one signature, sent twice (the clock may tick between)
    assert post("signed-and-keyed", body, HTTP_STRIPE_SIGNATURE=signature).status_code == 401
    with_key = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    response = post("signed-and-keyed", body, HTTP_STRIPE_SIGNATURE=signature, **with_key)
    assert response.status_code == 401  # the same signature again: a replay
    response = post(
        "signed-and-keyed",
        body,
        HTTP_STRIPE_SIGNATURE=stripe_header(body, t=int(time.time()) - 1),
        **with_key,
    )
    assert response.status_code == 200
    refused(post("signed-and-keyed", body, **with_key), "missing Stripe-Signature")


def test_unsigned_workflows_are_unaffected(make_workflow, post):
    make_workflow(
        "open", expose=True, auth="none", actions=[{"type": "return_data", "data": {"ok": 1}}]
    )
    assert post("open", b"{}").status_code == 200


def test_a_secret_removed_after_saving_refuses_every_request(
    stripe_workflow, post, monkeypatch, caplog
):
    monkeypatch.delenv("BUBBLE_SECRET_STRIPE_WEBHOOK_SECRET")
    body = body_of()
    with caplog.at_level(logging.ERROR, logger="workflows.webhooks"):
        response = post("stripe-events", body, HTTP_STRIPE_SIGNATURE=stripe_header(body))
    refused(response, "cannot be checked")
    assert "STRIPE_WEBHOOK_SECRET" not in response.json()["message"]  # details in the log only
    assert "no secret named 'STRIPE_WEBHOOK_SECRET'" in caplog.text


@pytest.fixture
def write_docs_example(tmp_path):
    """Import the first YAML workflow file of docs/webhooks.md."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()
    yaml_text = re.search(r"```yaml\n(version: 2\n.*?)```", text, re.S).group(1)
    path = tmp_path / "stripe.yaml"
    path.write_text(yaml_text)
    import_definitions([path])


# --- generic HMAC ------------------------------------------------------------------------------


@pytest.fixture
def hub_workflow(make_workflow):
    return make_workflow(
        "github-push",
        expose=True,
        auth="none",
        webhook={
            "secret": "HUB_SECRET",
            "scheme": "hmac",
            "header": "X-Hub-Signature-256",
            "algorithm": "sha256",
            "encoding": "hex",
            "prefix": "sha256=",
        },
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )


def hub_signature(body: bytes, secret: str = HUB_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_github_style_hmac(hub_workflow, post):
    body = b'{"ref": "refs/heads/main"}'
    ok = post("github-push", body, HTTP_X_HUB_SIGNATURE_256=hub_signature(body))
    assert ok.status_code == 200
    refused(post("github-push", body, HTTP_X_HUB_SIGNATURE_256=hub_signature(body)), "already used")
    refused(
        post("github-push", body + b" ", HTTP_X_HUB_SIGNATURE_256=hub_signature(body)),
        "does not match",
    )
    wrong = hub_signature(b'{"other": 1}')
    refused(post("github-push", b'{"other": 2}', HTTP_X_HUB_SIGNATURE_256=wrong), "does not match")
    refused(post("github-push", body), "missing X-Hub-Signature-256 header")
    no_prefix = hub_signature(body).removeprefix("sha256=")
    refused(post("github-push", body, HTTP_X_HUB_SIGNATURE_256=no_prefix), "does not start with")
    refused(post("github-push", body, HTTP_X_HUB_SIGNATURE_256="sha256=zz"), "is not hex")


def test_base64_sha512_and_sha1(make_workflow, post):
    for algorithm, digest in (("sha512", hashlib.sha512), ("sha1", hashlib.sha1)):
        make_workflow(
            f"b64-{algorithm}",
            expose=True,
            auth="none",
            webhook={
                "secret": "HUB_SECRET",
                "scheme": "hmac",
                "header": "X-Signature",
                "algorithm": algorithm,
                "encoding": "base64",
            },
            actions=[{"type": "return_data", "data": {"ok": True}}],
        )
        body = b"payload=1"
        signature = base64.b64encode(hmac.new(HUB_SECRET.encode(), body, digest).digest()).decode()
        assert post(f"b64-{algorithm}", body, FORM, HTTP_X_SIGNATURE=signature).status_code == 200
        sha256 = base64.b64encode(
            hmac.new(HUB_SECRET.encode(), body + b"2", digest).digest()
        ).decode()
        assert post(f"b64-{algorithm}", body, FORM, HTTP_X_SIGNATURE=sha256).status_code == 401


def test_hmac_with_a_timestamp_header(make_workflow, post):
    """Slack's shape: v0=HMAC("v0:{timestamp}:{body}") with the timestamp in its own header."""
    make_workflow(
        "slack-command",
        expose=True,
        auth="none",
        webhook={
            "secret": "HUB_SECRET",
            "scheme": "hmac",
            "header": "X-Slack-Signature",
            "prefix": "v0=",
            "timestamp_header": "X-Slack-Request-Timestamp",
            "payload": "v0:{timestamp}:{body}",
            "tolerance": 60,
        },
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )
    body = b"command=/deploy&text={timestamp}"

    def sign(t: int) -> dict:
        base = f"v0:{t}:".encode() + body
        signature = "v0=" + hmac.new(HUB_SECRET.encode(), base, hashlib.sha256).hexdigest()
        return {"HTTP_X_SLACK_SIGNATURE": signature, "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(t)}

    now = int(time.time())
    assert post("slack-command", body, FORM, **sign(now)).status_code == 200
    refused(post("slack-command", body, FORM, **sign(now - 61)), "more than 60 s away")
    headers = sign(now + 1)
    headers["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = str(now + 2)  # the timestamp is signed too
    refused(post("slack-command", body, FORM, **headers), "does not match")
    headers.pop("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    refused(post("slack-command", body, FORM, **headers), "missing X-Slack-Request-Timestamp")


# --- validation when saved ---------------------------------------------------------------------


def definition(**webhook) -> dict:
    return {"name": "hook", "expose": True, "auth": "none", "webhook": webhook}


@pytest.mark.parametrize(
    ("webhook", "path", "message"),
    [
        (
            {"secret": "NOPE", "scheme": "stripe"},
            ("webhook", "secret"),
            "no operator secret named 'NOPE'",
        ),
        (
            {"secret": STRIPE_SECRET, "scheme": "stripe"},
            ("webhook", "secret"),
            "the value of a secret, not its name",
        ),
        (
            {"secret": "HUB_SECRET", "scheme": "paypal"},
            ("webhook", "scheme"),
            "scheme must be one of stripe, hmac",
        ),
        ({"secret": "HUB_SECRET"}, ("webhook", "scheme"), "scheme must be one of"),
        (
            {"secret": "HUB_SECRET", "scheme": "hmac", "header": "X-Sig", "algorithm": "md5"},
            ("webhook", "algorithm"),
            "algorithm must be one of sha1, sha256, sha512",
        ),
        (
            {"secret": "HUB_SECRET", "scheme": "hmac", "header": "X-Sig", "encoding": "b32"},
            ("webhook", "encoding"),
            "encoding must be one of hex, base64",
        ),
        ({"secret": "HUB_SECRET", "scheme": "hmac"}, ("webhook", "header"), "header is required"),
        (
            {"secret": "HUB_SECRET", "scheme": "stripe", "tolerance": 0},
            ("webhook", "tolerance"),
            "tolerance must be whole seconds",
        ),
        (
            {"secret": "HUB_SECRET", "scheme": "stripe", "header": "X-Sig"},
            ("webhook", "header"),
            "unknown key 'header'",
        ),
        (
            {"secret": "HUB_SECRET", "scheme": "hmac", "header": "X-Sig", "payload": "{body}"},
            ("webhook", "payload"),
            "needs a timestamp_header",
        ),
        (
            {
                "secret": "HUB_SECRET",
                "scheme": "hmac",
                "header": "X-Sig",
                "timestamp_header": "X-Ts",
                "payload": "{body}{other}",
            },
            ("webhook", "payload"),
            "must contain {body} and {timestamp}",
        ),
    ],
)
def test_invalid_webhooks_are_refused_when_saved(webhook, path, message):
    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition(**webhook))
    issue = next(i for i in caught.value.issues if i.path == path)
    assert message in issue.message
    assert STRIPE_SECRET not in str(caught.value)  # a pasted value is never echoed


def test_a_webhook_is_a_mapping_on_an_api_workflow():
    with pytest.raises(DefinitionError, match="must be a mapping"):
        compile_definition({"name": "hook", "webhook": "STRIPE_WEBHOOK_SECRET"})
    with pytest.raises(DefinitionError, match="only API workflows receive webhooks"):
        compile_definition(
            {
                "name": "hook",
                "kind": "custom_event",
                "webhook": {"secret": "HUB_SECRET", "scheme": "stripe"},
            }
        )


def test_a_valid_webhook_compiles():
    compiled = compile_definition(definition(secret="STRIPE_WEBHOOK_SECRET", scheme="stripe"))
    assert compiled.webhook == {"secret": "STRIPE_WEBHOOK_SECRET", "scheme": "stripe"}


def test_the_documented_stripe_example(api, write_docs_example):
    """docs/webhooks.md's workflow, called as its curl does, then replayed."""
    body = json.dumps(
        {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}
    ).encode()
    headers = {"HTTP_STRIPE_SIGNATURE": stripe_header(body)}
    url = "/api/1.1/wf/stripe-events"
    response = api.post(url, data=body, content_type="application/json", **headers)
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"received": True}
    response = api.post(url, data=body, content_type="application/json", **headers)
    refused(response, "already used")


def test_a_signed_multipart_body_is_checked_raw_then_parsed(hub_workflow, make_workflow, post):
    make_workflow(
        "multipart-hook",
        expose=True,
        auth="none",
        webhook={"secret": "HUB_SECRET", "scheme": "hmac", "header": "X-Signature"},
        parameters=[{"key": "note", "type": "text"}],
        actions=[{"type": "return_data", "data": {"note": "{{ params.note }}"}}],
    )
    body = encode_multipart(BOUNDARY, {"note": "signed"})
    signature = hmac.new(HUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = post("multipart-hook", body, MULTIPART_CONTENT, HTTP_X_SIGNATURE=signature)
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"note": "signed"}


def test_a_signed_workflow_cannot_be_scheduled_around_its_signature(stripe_workflow, api):
    response = api.post(
        "/api/1.1/wf/stripe-events/schedule",
        {"params": {"type": "forged", "amount": 999999}},
        format="json",
    )
    assert response.status_code == 403
    assert "signed webhook" in response.json()["message"]
    from scheduler.models import ScheduledRun

    assert not ScheduledRun.objects.exists()


def test_a_signed_call_reads_its_parameters_from_the_signed_body_only(stripe_workflow, api):
    body = body_of()
    response = api.post(
        "/api/1.1/wf/stripe-events?amount=31337",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_header(body),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"got": "checkout.session.completed:4200"}
