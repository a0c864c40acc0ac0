"""A field's Data API key (``bubble_name``): a Bubble app's ``Unit name`` on the wire, read,
written, searched and documented, whatever the field is called here
(docs/data-types.md#fields)."""

from __future__ import annotations

import json

import pytest

from workflows.api.schema import cache
from workflows.data_model import definitions, schema
from workflows.data_model.schema import SchemaError
from workflows.models import DataField, PrivacyRule

UNIT = {
    "name": "Unit",
    "fields": [
        {"name": "unit_name", "type": "text", "bubble_name": "Unit name"},
        {"name": "price", "type": "number", "bubble_name": "Price"},
    ],
}


@pytest.fixture
def unit_type(data_model):
    made = schema.create_data_type(UNIT)
    PrivacyRule.objects.create(
        data_type="Unit",
        everyone_else=True,
        view_all=True,
        find_in_searches=True,
        create_via_api=True,
        modify_via_api=True,
    )
    return made


def test_the_data_api_reads_writes_and_searches_by_the_bubble_key(unit_type, send):
    created = send("post", "unit", {"Unit name": "Loft", "Price": 12})
    assert created.status_code == 201, created.content
    thing = send("get", f"unit/{created.json()['id']}").json()["response"]
    assert thing["Unit name"] == "Loft" and thing["Price"] == 12
    assert "unit_name" not in thing

    assert send("patch", f"unit/{created.json()['id']}", {"Price": 15}).status_code == 204
    constraints = json.dumps([{"key": "Unit name", "constraint_type": "equals", "value": "Loft"}])
    found = send("get", "unit", constraints=constraints).json()["response"]["results"]
    assert [t["Price"] for t in found] == [15]
    # the field's own name is taken too (a generated client, a workflow's author)
    assert send("post", "unit", {"unit_name": "Barn"}).status_code == 201


def test_a_field_given_by_both_keys_is_refused_naming_it(unit_type, send):
    response = send("post", "unit", {"Unit name": "Loft", "unit_name": "Barn"})
    assert response.status_code == 400
    assert "given twice" in response.json()["body"]["message"]


def test_the_openapi_document_names_the_bubble_keys(unit_type, api):
    cache.clear()
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200, response.content
    document = response.json()
    schemas = document["components"]["schemas"]
    thing = next(s for n, s in schemas.items() if "Unit name" in s.get("properties", {}))
    assert "unit_name" not in thing["properties"]
    written = [s for s in schemas.values() if s.get("additionalProperties") is False]
    assert any("Unit name" in s.get("properties", {}) for s in written)


def test_a_key_taken_by_another_field_is_refused(unit_type):
    with pytest.raises(SchemaError, match="Data API key is 'unit_name'"):
        schema.add_field(unit_type, {"name": "other", "type": "text", "bubble_name": "unit_name"})
    with pytest.raises(SchemaError, match="Data API key is 'price'"):
        schema.add_field(unit_type, {"name": "price2", "type": "text", "bubble_name": "price"})
    with pytest.raises(SchemaError, match="built-in keys"):
        schema.add_field(unit_type, {"name": "made", "type": "date", "bubble_name": "Created Date"})
    with pytest.raises(SchemaError, match="without spaces around"):
        schema.add_field(unit_type, {"name": "x", "type": "text", "bubble_name": " Unit "})
    assert list(DataField.objects.values_list("name", flat=True)) == ["unit_name", "price"]


def test_a_key_is_changed_and_kept_in_the_definition_file(unit_type):
    field = DataField.objects.get(name="price")
    schema.change_field(field, {"bubble_name": "Price (EUR)"})
    field.refresh_from_db()
    assert definitions.field_definition(field)["bubble_name"] == "Price (EUR)"
    schema.change_field(field, {"bubble_name": ""})
    field.refresh_from_db()
    assert "bubble_name" not in definitions.field_definition(field)
