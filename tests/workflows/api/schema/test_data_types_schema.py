"""A data type defined without code is in the OpenAPI document at once: its Data API paths
(bulk create too), components named after it, each field with the JSON type the Data API
reads and writes (an option as its display), Bubble's built-in fields; and a field or an
option added later shows in the next document, without a restart. The document stays
valid (``spectacular --validate``) and what the Data API answers matches it."""

from __future__ import annotations

import json
import re
from unittest.mock import ANY

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.workflows.data_model.conftest import data_model, lead_type  # noqa: F401
from workflows import data_types
from workflows.api.schema import hooks
from workflows.data_model import schema
from workflows.models import DataType, Option, PrivacyRule

from .conftest import component
from .test_schemathesis import same_connection  # noqa: F401

EVERY = {
    "name": "order_item",
    "fields": [
        {"name": "when", "type": "date"},
        {"name": "paid", "type": "yes_no"},
        {"name": "site", "type": "geographic_address"},
        {"name": "contract", "type": "file"},
        {"name": "logo", "type": "image"},
        {"name": "calls", "type": "date", "list": True},
        {"name": "amounts", "type": "number", "list": True},
        {"name": "photos", "type": "image", "list": True},
        {"name": "leads", "type": "thing", "data_type": "Lead", "list": True},
        {"name": "stages", "type": "option", "option_set": "Stage", "list": True},
    ],
}
STAGES = ["New", "Qualified", "Won", "Lost"]


@pytest.fixture
def types(lead_type):  # noqa: F811
    schema.create_data_type(EVERY)
    for name in ("Lead", "order_item"):
        PrivacyRule.objects.create(
            data_type=name,
            everyone_else=True,
            view_all=True,
            find_in_searches=True,
            create_via_api=True,
            modify_via_api=True,
            delete_via_api=True,
        )


def test_the_paths_of_a_new_type_bulk_included(types, document):
    paths = document()["paths"]
    assert set(paths["/api/1.1/obj/lead"]) == {"get", "post"}
    assert set(paths["/api/1.1/obj/lead/{id}"]) == {"get", "patch", "put", "delete"}
    assert set(paths["/api/1.1/obj/lead/bulk"]) == {"post"}
    assert paths["/api/1.1/obj/lead"]["get"]["operationId"] == "lead_search"
    assert paths["/api/1.1/obj/lead/bulk"]["post"]["operationId"] == "lead_bulk_create"
    assert paths["/api/1.1/obj/order_item/{id}"]["patch"]["operationId"] == "order_item_modify"
    sort = next(
        p for p in paths["/api/1.1/obj/lead"]["get"]["parameters"] if p["name"] == "sort_field"
    )
    assert {"Created Date", "Modified Date", "email", "stage"} <= set(sort["schema"]["enum"])


def test_component_names_are_plain_identifiers(types, document):
    doc = document()
    names = set(doc["components"]["schemas"])
    assert {"Lead", "LeadRequest", "LeadPatchRequest", "LeadSearchResponse"} <= names
    assert {"OrderItem", "OrderItemRequest", "OrderItemCreated"} <= names
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name) for name in names), names
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))


def test_a_type_named_like_a_fixed_component_gets_a_numbered_name(data_model, document):  # noqa: F811
    schema.create_data_type({"name": "Run", "fields": [{"name": "note", "type": "text"}]})
    PrivacyRule.objects.create(data_type="Run", everyone_else=True, view_all=True)
    doc = document()
    assert "status" in doc["components"]["schemas"]["Run"]["properties"]  # the fixed one
    assert doc["paths"]["/api/1.1/obj/run"]["get"]["operationId"] == "run_2_search"
    assert "note" in doc["components"]["schemas"]["Run2"]["properties"]


def test_the_fields_of_lead_with_their_json_types(types, document):
    doc = document()
    lead = component(doc, "Lead")["properties"]
    assert lead["_type"] == {"type": "string", "enum": ["Lead"]}
    assert lead["_id"]["type"] == "string"  # its unique id, Bubble's 1503408875694x...
    assert lead["email"]["type"] == "string" and lead["score"]["type"] == "number"
    # a user account: its number, or its Bubble id where it was brought over
    assert [s["type"] for s in lead["owner"]["oneOf"]] == ["integer", "string"]
    assert lead["tags"] == {"type": "array", "items": {"type": "string"}, "description": ANY}
    # an option by its display, as the Data API reads and writes it
    assert lead["stage"]["type"] == "string" and lead["stage"]["nullable"] is True
    assert lead["stage"]["enum"] == [*STAGES, None]
    # Bubble's built-in fields
    assert lead["Created Date"] == {"type": "string", "format": "date-time"}
    assert lead["Modified Date"] == {"type": "string", "format": "date-time"}
    assert [s["type"] for s in lead["Created By"]["oneOf"]] == ["integer", "string"]
    assert lead["unique_id"]["type"] == "string"
    write = component(doc, "LeadRequest")
    assert write["required"] == ["email"]  # required, no default
    assert write["properties"]["stage"]["enum"] == [*STAGES, None]
    assert not {"Created Date", "created_date", "unique_id", "created_by"} & set(
        write["properties"]
    )
    assert "required" not in component(doc, "LeadPatchRequest")


def test_every_other_field_type(types, document):
    item = component(document(), "OrderItem")["properties"]
    assert item["when"] == {"type": "string", "format": "date-time", "nullable": True}
    assert item["paid"]["type"] == "boolean"
    assert item["site"]["type"] == "object"
    assert set(item["site"]["properties"]) == {"address", "lat", "lng"}
    assert item["site"]["properties"]["lat"]["type"] == "number"
    for name in ("contract", "logo"):
        assert item[name]["type"] == "string" and "URL" in item[name]["description"]
    assert item["calls"]["items"] == {"type": "string", "format": "date-time"}
    assert item["amounts"]["items"] == {"type": "number"}
    assert item["photos"]["items"] == {"type": "string"}
    assert item["leads"]["type"] == "array" and item["leads"]["items"]["type"] == "string"
    assert item["stages"]["items"] == {"type": "string", "enum": STAGES}


def test_an_added_field_and_option_show_in_the_next_document(types, document, monkeypatch):
    generations = {"n": 0}
    original = hooks.build_catalog

    def counting():
        generations["n"] += 1
        return original()

    monkeypatch.setattr(hooks, "build_catalog", counting)
    first = document()
    assert document() == first and generations["n"] == 1  # kept while nothing changes
    schema.add_field(DataType.objects.get(name="Lead"), {"name": "budget", "type": "number"})
    doc = document()
    assert component(doc, "Lead")["properties"]["budget"]["type"] == "number"
    assert component(doc, "LeadRequest")["properties"]["budget"]["type"] == "number"
    schema.save_option_set({"name": "Stage", "options": [*STAGES, "Dormant"]})
    assert component(document(), "Lead")["properties"]["stage"]["enum"] == [
        *STAGES,
        "Dormant",
        None,
    ]
    assert generations["n"] == 3


def test_the_data_model_s_version_alone_renews_the_document(types, document, monkeypatch):
    """The kept document is keyed on the version of the models it was made from, not only
    cleared when they are built again: a rebuild by another thread between a request's
    key and its generation cannot leave an older document in place."""
    from workflows.api.schema import cache
    from workflows.data_model import registry

    document()
    others = [listener for listener in registry._listeners if listener is not cache.clear]
    monkeypatch.setattr(registry, "_listeners", others)
    schema.add_field(DataType.objects.get(name="Lead"), {"name": "source", "type": "text"})
    assert "source" in component(document(), "Lead")["properties"]


def test_spectacular_validate_fail_on_warn_is_clean(types, tmp_path, capsys):
    out = tmp_path / "openapi.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
    )
    doc = json.loads(out.read_text())
    assert "/api/1.1/obj/order_item/bulk" in doc["paths"]
    captured = capsys.readouterr()
    assert "Warning" not in captured.out + captured.err
    assert "Error" not in captured.out + captured.err


@pytest.mark.usefixtures("same_connection")
def test_what_the_data_api_answers_matches_the_document(types, staff_user, make_key):
    """Schemathesis on the two new types' operations: valid requests get answers that
    match the document (an option's display is one of its enum), and nothing is a 5xx."""
    key = make_key(staff_user)
    lead = data_types.get_model("Lead").objects.create(
        email="ann@example.com", stage=Option.objects.get(display="Won"), tags=["vip"]
    )
    item = data_types.get_model("order_item").objects.create(
        when=timezone.now(),
        site={"address": "10 Downing St", "lat": 51.5, "lng": -0.1},
        contract="https://files.example.com/c.pdf",
        calls=[timezone.now()],
        amounts=[1.5],
    )
    item.leads.set([lead])
    item.stages.set(Option.objects.filter(display__in=["New", "Lost"]))
    app = get_wsgi_application()
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    operations = [
        result.ok()
        for result in loaded.get_all_operations()
        if "/obj/lead" in result.ok().path or "/obj/order_item" in result.ok().path
    ]
    assert len(operations) == 14
    failures: list[str] = []
    for operation in operations:
        for mode, checks in (
            (GenerationMode.POSITIVE, [not_a_server_error, response_schema_conformance]),
            (GenerationMode.NEGATIVE, [not_a_server_error]),
        ):
            with transaction.atomic():  # every operation starts from the same data
                try:
                    _checker(operation, mode, checks, key)()
                except Exception as exc:  # noqa: BLE001 - hypothesis raises a group
                    failures.append(f"{operation.label} ({mode.value}): {exc}")
                transaction.set_rollback(True)
    assert not failures, "\n\n".join(failures)


def _checker(operation, mode: GenerationMode, checks: list, key: str):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=8,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {key}"})
        case.validate_response(response, checks=checks)

    return check


def test_a_generated_client_reads_a_lead(types, document, tmp_path):
    """openapi-python-client makes typed models of the new types without a warning, and
    the model of a lead reads what the Data API answers (an option as a str enum)."""
    import importlib
    import subprocess
    import sys
    from pathlib import Path

    from django.test import Client

    (tmp_path / "openapi.json").write_text(json.dumps(document()))
    (tmp_path / "generator.yaml").write_text(
        "post_hooks: []\npackage_name_override: lead_client\n"
        "content_type_overrides:\n  text/plain: application/octet-stream\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "generator.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "lead_client"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    made = data_types.get_model("Lead").objects.create(
        email="ann@example.com", stage=Option.objects.get(display="Won"), tags=["vip"]
    )
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    answer = client.get(f"/api/1.1/obj/lead/{made.pk}").json()["response"]
    sys.path.insert(0, str(tmp_path))
    try:
        lead = importlib.import_module("lead_client.models").Lead.from_dict(answer)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "lead_client"]:
            del sys.modules[name]
    assert lead.email == "ann@example.com" and lead.tags == ["vip"]
    assert lead.stage == "Won" and lead.stage.value == "Won"
    assert lead.created_date.year >= 2024
