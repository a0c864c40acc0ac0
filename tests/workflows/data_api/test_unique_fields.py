"""A unique field's value taken by a thing the caller cannot see: the create (or change)
must fail, so the caller learns the value is taken — as a sign-up learns an email is
(docs/privacy.md) — but never which thing has it, nor anything else of it, whether the
model's validation or the database itself refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows import data_types
from workflows.models import PrivacyRule

pytestmark = pytest.mark.privacy

LEADS = "/api/1.1/obj/lead"
TAKEN = "invalid Lead: email: Lead with this Email already exists."
RACED = "invalid Lead: email: another thing already has this value, which must be unique"


@pytest.fixture
def hidden_lead(lead_type, user) -> Any:  # noqa: F811
    """Anybody may create leads and see none; one exists, with values nobody may see."""
    PrivacyRule.objects.create(data_type="Lead", everyone_else=True, create_via_api=True)
    PrivacyRule.objects.create(
        data_type="Lead",
        name="owners",
        condition="thing.owner == current_user",
        view_all=True,
        modify_via_api=True,
    )
    return data_types.get_model("Lead").objects.create(
        email="ann@example.com", phone="555-0199", score=7321
    )


def secrets_of(lead: Any) -> list[str]:
    # the APIs name a Lead by its unique id (its primary key is in no answer)
    return [lead.unique_id, "555-0199", "7321"]


def assert_reveals_nothing_of(lead: Any, text: str) -> None:
    for secret in secrets_of(lead):
        assert secret not in text
    assert "things_" not in text and "DETAIL" not in text  # no database text


def test_a_taken_value_is_refused_without_naming_its_thing(hidden_lead, api):
    response = api.post(LEADS, {"email": "ann@example.com"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == TAKEN and body["parameter"] == "email"
    assert_reveals_nothing_of(hidden_lead, json.dumps(body))


def test_the_same_in_a_bulk_create(hidden_lead, api):
    text = "\n".join(json.dumps({"email": e}) for e in ("ann@example.com", "bo@example.com"))
    response = api.generic("POST", f"{LEADS}/bulk", text.encode(), content_type="text/plain")
    first, second = (json.loads(line) for line in response.content.decode().split("\n"))
    assert first["message"] == TAKEN and second["status"] == "success"
    assert_reveals_nothing_of(hidden_lead, response.content.decode())


def test_a_change_to_a_taken_value_is_refused_alike(hidden_lead, api, key, user):
    mine = data_types.get_model("Lead").objects.create(email="me@example.com", owner=user)
    response = api.patch(
        f"{LEADS}/{mine.pk}",
        {"email": "ann@example.com"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400 and response.json()["message"] == TAKEN
    assert_reveals_nothing_of(hidden_lead, response.content.decode())


def test_the_database_s_own_refusal_is_put_in_words(hidden_lead, api, monkeypatch):
    """Two creates at the same moment: validation found the value free, the unique index
    refuses the second. The database's text (PostgreSQL's names the key and its value,
    and may show a whole row) is never passed on."""
    model = data_types.get_model("Lead")
    monkeypatch.setattr(model, "validate_unique", lambda self, exclude=None: None)
    response = api.post(LEADS, {"email": "ann@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == RACED and response.json()["parameter"] == "email"
    assert_reveals_nothing_of(hidden_lead, response.content.decode())
    assert model.objects.count() == 1
