"""A client generated from the served OpenAPI document calls a live server.

The document is fetched from a running server (pytest-django's live server, a real HTTP
server on a free port), openapi-python-client generates a package from it into a temporary
directory (offline: no post-hooks, no network), and the generated package is imported and
used: process-order with the order owner's key, verify_send / verify_check with no key,
send_email_template with a staff user's key, signup / login and calls with the user token
they answer — each returning typed models. The examples run under their own privacy rules:
the demo user sees their own orders.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from django.core import mail

from examples.models import Order
from examples.services import DEMO_USERNAME, examples_load
from workflows.services import api_key_create

pytestmark = pytest.mark.privacy
PACKAGE = "bubble_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def client_package(seeded, live_server, tmp_path) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from the live server's document (with
    the examples loaded)."""
    document = tmp_path / "openapi.json"
    response = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert response.status_code == 200, response.text
    document.write_bytes(response.content)
    config = tmp_path / "generator.yaml"
    # the Data API's bulk create takes text/plain, which the generator only knows as raw
    # content (docs/api.md#bulk-create)
    config.write_text(
        f"post_hooks: []\npackage_name_override: {PACKAGE}\n"
        "content_type_overrides:\n  text/plain: application/octet-stream\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def generated(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture
def seeded(transactional_db, staff_user, make_key):
    """The examples (workflows, privacy rules, the demo user's customer and orders) and keys
    for the demo user (who owns the orders) and a staff user."""
    examples_load()
    demo = Order.objects.filter(customer__user__username=DEMO_USERNAME, total__gt=0).first()
    owner_key = api_key_create(user=demo.customer.user, name="client")[1]
    return {"order": demo, "owner_key": owner_key, "staff_key": make_key(staff_user)}


def test_generated_client_runs_process_order_with_typed_results(
    client_package, seeded, live_server
):
    models = generated("models")
    process_order = generated("api.workflows.process_order")
    client = client_package.AuthenticatedClient(base_url=live_server.url, token=seeded["owner_key"])

    result = process_order.sync(
        client=client, body=models.ProcessOrderRequest(order=seeded["order"].pk)
    )

    assert isinstance(result, models.ProcessOrderResponse), result
    assert result.status == models.ProcessOrderResponseStatus.SUCCESS
    returned = result.response
    assert isinstance(returned, models.ProcessOrderResult)
    assert returned.order == seeded["order"].pk
    assert returned.status == models.ProcessOrderResultStatus.PAID
    assert isinstance(returned.review_run, uuid.UUID)
    assert isinstance(returned.review_due, datetime.datetime)
    assert returned.review_due > datetime.datetime.now(datetime.timezone.utc)
    assert "Order #" in returned.summary

    # errors come back typed too, in the API's one shape
    again = process_order.sync_detailed(client=client, body=models.ProcessOrderRequest(order=10**9))
    assert again.status_code == 400
    assert isinstance(again.parsed, models.Error)
    assert (again.parsed.code, again.parsed.parameter) == ("NOT_FOUND", "order")


def test_generated_client_runs_verification_without_a_key_and_an_admin_workflow(
    client_package, seeded, live_server
):
    models = generated("models")
    verify_send = generated("api.workflows.verify_send")
    verify_check = generated("api.workflows.verify_check")
    send_email_template = generated("api.workflows.send_email_template")
    anonymous = client_package.Client(base_url=live_server.url)

    sent = verify_send.sync_detailed(
        client=anonymous, body=models.VerifySendRequest(email="ann@example.com")
    )
    assert sent.status_code == 200 and uuid.UUID(sent.headers["X-Run-Id"])
    assert isinstance(sent.parsed, models.VerifySendResponse) and sent.parsed.response.sent is True
    code = next(
        line.split()[-1].rstrip(".")
        for line in mail.outbox[-1].body.splitlines()
        if "code is" in line
    )
    wrong = verify_check.sync(
        client=anonymous, body=models.VerifyCheckRequest(email="ann@example.com", code="000000x")
    )
    assert (wrong.response.valid, wrong.response.locked) == (False, False)
    right = verify_check.sync(
        client=anonymous, body=models.VerifyCheckRequest(email="ann@example.com", code=code)
    )
    assert right.response.valid is True

    staff = client_package.AuthenticatedClient(base_url=live_server.url, token=seeded["staff_key"])
    body = models.SendEmailTemplateRequest(
        to="bo@example.com", subject="Hello", body="See you soon.", name="Bo"
    )
    emailed = send_email_template.sync(client=staff, body=body)
    assert isinstance(emailed, models.SendEmailTemplateResponse), emailed
    assert emailed.response.sent is True
    assert emailed.response.to == ["bo@example.com"]
    assert emailed.response.subject == "Hello"


def test_generated_client_signs_up_logs_in_and_calls_with_the_token(
    client_package, seeded, live_server
):
    """A front end moving off Bubble: sign up, log in, then call as the user (Bearer token)."""
    models = generated("models")
    signup = generated("api.workflows.signup")
    login = generated("api.workflows.login")
    process_order = generated("api.workflows.process_order")
    anonymous = client_package.Client(base_url=live_server.url)

    signed = signup.sync(
        client=anonymous,
        body=models.SignupRequest(email="Cy@Example.com", password="correct-horse-9"),
    )
    assert isinstance(signed, models.SignupResponse), signed
    assert signed.response.expires == 86400 and isinstance(signed.response.user_id, int)
    as_cy = client_package.AuthenticatedClient(
        base_url=live_server.url, token=signed.response.token
    )
    # authenticated as Cy, who may not reach the demo user's order: 400 NOT_FOUND, not 401
    refused = process_order.sync_detailed(
        client=as_cy, body=models.ProcessOrderRequest(order=seeded["order"].pk)
    )
    assert refused.status_code == 400 and refused.parsed.code == "NOT_FOUND"

    owner = seeded["order"].customer.user
    owner.set_password("the-owner-passphrase")
    owner.save()
    wrong = login.sync_detailed(
        client=anonymous, body=models.LoginRequest(email=owner.email, password="nope")
    )
    assert wrong.status_code == 400 and wrong.parsed.code == "LOGIN_FAILED"
    logged = login.sync(
        client=anonymous,
        body=models.LoginRequest(
            email=owner.email.upper(), password="the-owner-passphrase", stay_logged_in=True
        ),
    )
    assert isinstance(logged, models.LoginResponse), logged
    assert logged.response.user_id == owner.pk and logged.response.expires == 365 * 86400
    as_owner = client_package.AuthenticatedClient(
        base_url=live_server.url, token=logged.response.token
    )
    paid = process_order.sync(
        client=as_owner, body=models.ProcessOrderRequest(order=seeded["order"].pk)
    )
    assert isinstance(paid, models.ProcessOrderResponse), paid
    assert paid.response.status == models.ProcessOrderResultStatus.PAID


def test_generated_client_bulk_creates_things(client_package, seeded, live_server):
    """Bulk create's text/plain body, as the generator takes it (raw content): reviews by
    the demo user, whom the examples' privacy rules let write reviews as themselves."""
    import io
    import json

    from examples.models import Product, Review

    types = generated("types")
    bulk_create = generated("api.data.examples_review_bulk_create")
    owner = client_package.AuthenticatedClient(base_url=live_server.url, token=seeded["owner_key"])
    tea = Product.objects.get(name="Tea")
    lines = "\n".join(
        json.dumps({"product": tea.pk, "rating": rating, "tags": ["bulk"]}) for rating in (4, 9, 5)
    )

    answer = bulk_create.sync_detailed(
        client=owner, body=types.File(payload=io.BytesIO(lines.encode()))
    )

    assert answer.status_code == 200, answer.content
    results = [json.loads(line) for line in answer.content.decode().splitlines()]
    assert [r["status"] for r in results] == ["success", "error", "success"]
    assert results[1]["parameter"] == "rating"
    made = Review.objects.filter(tags__has_item="bulk")
    assert {r.created_by for r in made} == {seeded["order"].customer.user}
    assert sorted(r.rating for r in made) == [4, 5]
