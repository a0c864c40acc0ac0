"""Secrets in the admin (write-only values, environment secrets read-only), and the workflow
editor's webhook field and secret parameters."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry

from workflows import secrets
from workflows.models import DefinitionChange, Secret, Workflow

from .conftest import editor_data, send_definition

ADD_SECRET = "/admin/workflows/secret/add/"
SECRETS = "/admin/workflows/secret/"
ADD_WORKFLOW = "/admin/workflows/workflow/add/"
VALUE = "sk_live_admin_typed_value_123"


@pytest.fixture
def env_secret(monkeypatch):
    monkeypatch.setenv("BUBBLE_SECRET_FROM_ENV", "env-value-never-shown")
    secrets.invalidate()


def secret_change_url(name: str) -> str:
    return f"{SECRETS}{Secret.objects.get(name=name).pk}/change/"


def test_adding_a_secret_stores_it_encrypted(root_client):
    response = root_client.post(
        ADD_SECRET, {"name": "PAYMENT_KEY", "value": VALUE, "description": "payments"}
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    row = Secret.objects.get(name="PAYMENT_KEY")
    assert VALUE not in row.encrypted_value
    assert secrets.get_secret("PAYMENT_KEY") == VALUE


def test_the_value_is_never_rendered_back(root_client):
    secrets.set_secret("PAYMENT_KEY", VALUE, "payments")
    html = root_client.get(secret_change_url("PAYMENT_KEY")).content.decode()
    assert VALUE not in html
    assert Secret.objects.get().encrypted_value not in html
    assert 'type="password"' in html and "Leave empty to keep" in html
    listing = root_client.get(SECRETS).content.decode()
    assert "PAYMENT_KEY" in listing and VALUE not in listing


def test_empty_keeps_the_value_and_a_new_one_replaces_it(root_client):
    secrets.set_secret("PAYMENT_KEY", VALUE)
    url = secret_change_url("PAYMENT_KEY")
    response = root_client.post(url, {"value": "", "description": "new words"})
    assert response.status_code == 302
    assert secrets.get_secret("PAYMENT_KEY") == VALUE
    assert Secret.objects.get().description == "new words"
    response = root_client.post(url, {"value": "the-replacement-value", "description": "x"})
    assert response.status_code == 302
    assert secrets.get_secret("PAYMENT_KEY") == "the-replacement-value"
    history = json.dumps(list(LogEntry.objects.values_list("change_message", flat=True)))
    assert "value" in history  # the history says the value changed...
    assert "the-replacement-value" not in history and VALUE not in history  # ...never what to


def test_a_new_secret_needs_a_value_and_a_valid_name(root_client):
    response = root_client.post(ADD_SECRET, {"name": "K", "value": ""})
    assert "A new secret needs a value." in str(response.context["adminform"].form.errors)
    response = root_client.post(ADD_SECRET, {"name": "not-valid", "value": "x"})
    assert "name" in response.context["adminform"].form.errors
    assert not Secret.objects.exists()


def test_environment_secrets_are_listed_read_only(root_client, env_secret):
    html = root_client.get(SECRETS).content.decode()
    assert "FROM_ENV" in html and "BUBBLE_SECRET_FROM_ENV" in html
    assert "env-value-never-shown" not in html
    response = root_client.post(ADD_SECRET, {"name": "FROM_ENV", "value": "x"})
    assert "set by the environment" in str(response.context["adminform"].form.errors)
    assert not Secret.objects.exists()


def test_only_staff_with_permission_see_secrets(client, staff_user):
    client.force_login(staff_user)
    assert client.get(SECRETS).status_code == 403


# --- the workflow editor ---------------------------------------------------------------------


def test_the_webhook_signature_is_validated_and_saved(root_client, env_secret):
    definition = {"name": "hook", "kind": "api", "expose": True, "auth": "none", "timeout": 60}

    def issues(webhook):
        response = send_definition(root_client, ADD_WORKFLOW, {**definition, "webhook": webhook})
        return [i["message"] for i in editor_data(response)["issues"] if i["path"][0] == "webhook"]

    assert any(
        "no operator secret named 'NOPE'" in m
        for m in issues({"secret": "NOPE", "scheme": "stripe"})
    )
    found = issues({"secret": "FROM_ENV", "scheme": "hmac", "algorithm": "md5"})
    assert any("algorithm must be one of" in m for m in found)
    assert any("header is required" in m for m in found)
    assert not Workflow.objects.exists()

    webhook = {"secret": "FROM_ENV", "scheme": "stripe", "tolerance": 120}
    response = send_definition(root_client, ADD_WORKFLOW, {**definition, "webhook": webhook})
    assert response.status_code == 302
    workflow = Workflow.objects.get(name="hook")
    assert workflow.webhook == webhook
    page = editor_data(root_client.get(f"/admin/workflows/workflow/{workflow.pk}/change/"))
    assert page["definition"]["webhook"] == webhook
    assert "FROM_ENV" in page["catalog"]["secrets"]  # offered in the signature's form


def test_a_parameter_can_be_marked_secret(root_client):
    definition = {
        "name": "login",
        "auth": "none",
        "parameters": [
            {"key": "password", "type": "text", "secret": True},
            {"key": "email", "type": "text"},
        ],
    }
    response = send_definition(root_client, ADD_WORKFLOW, definition)
    assert response.status_code == 302
    params = {p.key: p.secret for p in Workflow.objects.get(name="login").parameters.all()}
    assert params == {"password": True, "email": False}


def test_changes_are_audited_without_the_value(root_client):
    root_client.post(ADD_SECRET, {"name": "PAYMENT_KEY", "value": VALUE, "description": "a"})
    url = secret_change_url("PAYMENT_KEY")
    root_client.post(url, {"value": "", "description": "b"})
    root_client.post(url, {"value": "second-secret-value", "description": "b"})
    root_client.post(url, {"value": "", "description": "b"})  # nothing changed: no record
    root_client.post(url.replace("/change/", "/delete/"), {"post": "yes"})
    changes = list(DefinitionChange.objects.filter(kind="secret").order_by("at", "pk"))
    assert [(c.name, c.action) for c in changes] == [
        ("PAYMENT_KEY", "created"),
        ("PAYMENT_KEY", "changed"),
        ("PAYMENT_KEY", "changed"),
        ("PAYMENT_KEY", "deleted"),
    ]
    assert changes[1].before["description"] == "a" and changes[1].after["description"] == "b"
    assert "new value" in changes[2].after["value"]
    recorded = json.dumps([[c.before, c.after] for c in changes])
    assert VALUE not in recorded and "second-secret-value" not in recorded
    assert "gAAAA" not in recorded  # nor the ciphertext
