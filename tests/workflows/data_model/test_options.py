"""Option fields in workflows: ``thing.stage`` is the option (its ``display`` and
``attributes`` readable), equal to its display text; workflows set, search and compare
options by display, an unknown one refused naming the field; what the editor and the
OpenAPI document know of the new field types (docs/data-types.md#options-in-expressions)."""

from __future__ import annotations

import pytest

from workflows import data_types, engine
from workflows.api.schema.returns import returned_schema
from workflows.data_model import schema
from workflows.editor.catalog import editor_catalog
from workflows.engine import kinds
from workflows.engine.cache import get_compiled
from workflows.exceptions import DefinitionError
from workflows.models import DataType, Option, PrivacyRule

LEAD = [{"key": "lead", "type": "thing", "data_type": "Lead"}]


@pytest.fixture
def lead(lead_type):
    schema.save_option_set(
        {
            "name": "Stage",
            "options": [
                "New",
                "Qualified",
                {"display": "Won", "color": "green", "rank": 3},
                "Lost",
            ],
        }
    )
    model = data_types.get_model("Lead")
    return model.objects.create(email="ann@example.com", stage=Option.objects.get(display="Won"))


@pytest.fixture
def returns(make_workflow, user):
    """Run a workflow given ``lead`` returning ``data``; its response."""

    def run(data, lead=None, **definition):
        wf = make_workflow(
            parameters=LEAD,
            actions=[{"type": "return_data", "data": data}],
            ignore_privacy=True,
            **definition,
        )
        result = engine.run(wf, {"lead": lead.pk}, user)
        assert result.ok, result.error
        return result.response

    return run


def test_an_option_reads_as_its_display_and_attributes(lead, returns):
    got = returns(
        {
            "display": "{{ params.lead.stage.display }}",
            "text": "Stage: {{ params.lead.stage }}",
            "whole": "{{ params.lead.stage }}",
            "color": "{{ params.lead.stage.attributes.color }}",
            "rank": "{{ params.lead.stage.attributes.rank + 1 }}",
        },
        lead,
    )
    assert got == {
        "display": "Won",
        "text": "Stage: Won",
        "whole": "Won",  # an option returned whole is its display, as in the Data API
        "color": "green",
        "rank": 4,
    }


def test_an_option_reads_each_attribute_by_its_name_as_bubble(lead, returns):
    """Bubble's "stage's color": ``stage.color`` is ``stage.attributes.color``; an attribute
    the option lacks is empty, and ``display`` stays the option's own."""
    got = returns(
        {
            "color": "{{ params.lead.stage.color }}",
            "rank": "{{ params.lead.stage.rank * 2 }}",
            "missing": "{{ params.lead.stage.size is none }}",
            "display": "{{ params.lead.stage.display }}",
        },
        lead,
    )
    assert got == {"color": "green", "rank": 6, "missing": True, "display": "Won"}


def test_an_option_attribute_by_name_is_known_to_the_checker(lead):
    from workflows.engine import kinds

    kind = kinds.option_kind(data_types.get_model("Lead")._meta.get_field("stage"))
    assert kind.key("color") == kinds.TEXT
    assert kind.key("rank") == kinds.NUMBER
    assert kind.key("display") == kinds.TEXT


def test_an_option_hides_the_internals_of_its_row(lead, returns, make_workflow, user):
    wf = make_workflow(
        parameters=LEAD,
        actions=[{"type": "return_data", "data": {"x": "{{ params.lead.stage._meta }}"}}],
        ignore_privacy=True,
    )
    result = engine.run(wf, {"lead": lead.pk}, user)
    assert not result.ok


def test_an_option_equals_its_display_text(lead, returns):
    got = returns(
        {
            "won": "{{ params.lead.stage == 'Won' }}",
            "any_case": "{{ 'won' == params.lead.stage }}",
            "not_lost": "{{ params.lead.stage != 'Lost' }}",
            "lost": "{{ params.lead.stage == 'Lost' }}",
            "among": "{{ params.lead.stage in ['Lost', 'Won'] }}",
            "not_among": "{{ params.lead.stage not in ['New'] }}",
        },
        lead,
    )
    assert got == {
        "won": True,
        "any_case": True,
        "not_lost": True,
        "lost": False,
        "among": True,
        "not_among": True,
    }


def test_a_list_of_options_holds_displays(lead, returns):
    schema.add_field(
        DataType.objects.get(name="Lead"),
        {"name": "history", "type": "option", "option_set": "Stage", "list": True},
    )
    lead = data_types.get_model("Lead").objects.get(pk=lead.pk)
    lead.history.set(Option.objects.filter(display__in=["New", "Won"]))
    got = returns(
        {
            "all": "{{ params.lead.history }}",
            "has_won": "{{ 'Won' in params.lead.history }}",
            "has_lost": "{{ 'Lost' in params.lead.history }}",
            "count": "{{ params.lead.history | count }}",
        },
        lead,
    )
    assert got == {"all": ["New", "Won"], "has_won": True, "has_lost": False, "count": 2}


def test_workflows_set_options_by_display(lead_type, make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "stage", "type": "text"}],
        ignore_privacy=True,
        actions=[
            {
                "id": "made",
                "type": "create_thing",
                "data_type": "Lead",
                "fields": {"email": "bob@example.com", "stage": "New"},
            },
            {
                "type": "make_changes",
                "thing": "{{ steps.made }}",
                "changes": {"stage": "qualified"},
            },
            {
                "id": "again",
                "type": "make_changes",
                "thing": "{{ steps.made }}",
                "changes": {"stage": "{{ params.stage }}"},
            },
            {"type": "return_data", "data": {"stage": "{{ steps.again.stage.display }}"}},
        ],
    )
    assert engine.run(wf, {"stage": "Lost"}, user).response == {"stage": "Lost"}
    data_types.get_model("Lead").objects.all().delete()
    failed = engine.run(wf, {"stage": "Maybe"}, user)
    assert not failed.ok
    assert "stage" in failed.error.message and "'Maybe' is not an option of Stage" in (
        failed.error.message
    )
    assert "New, Qualified, Won, Lost" in failed.error.message


def test_an_unknown_constant_option_is_refused_when_saved(lead_type, make_workflow):
    with pytest.raises(DefinitionError) as refused:
        make_workflow(
            actions=[
                {
                    "type": "create_thing",
                    "data_type": "Lead",
                    "fields": {"email": "x@example.com", "stage": "Someday"},
                }
            ]
        )
    assert "stage: 'Someday' is not an option of Stage" in str(refused.value)


def test_searches_filter_options_by_display(lead, make_workflow, user):
    model = data_types.get_model("Lead")
    model.objects.create(email="bob@example.com", stage=Option.objects.get(display="New"))
    # the set reordered: Won first now, though made after New (ids keep their order)
    schema.save_option_set({"name": "Stage", "options": ["Won", "New", "Qualified", "Lost"]})
    wf = make_workflow(
        ignore_privacy=True,
        actions=[
            {
                "type": "return_data",
                "data": {
                    "won": "{{ search('Lead', stage='Won') | map(attribute='email') | list }}",
                    "some": "{{ search('Lead', stage__in=['won', 'New']) | count }}",
                    "none": "{{ search('Lead', stage=none) | count }}",
                    "ordered": "{{ search('Lead', sort_by='stage') | map(attribute='email') "
                    "| list }}",
                },
            }
        ],
    )
    assert engine.run(wf, {}, user).response == {
        "won": ["ann@example.com"],
        "some": 2,
        "none": 0,
        "ordered": ["ann@example.com", "bob@example.com"],  # in the set's order
    }
    bad = make_workflow(
        "bad",
        ignore_privacy=True,
        actions=[{"type": "return_data", "data": {"n": "{{ search('Lead', stage='X') | count }}"}}],
    )
    failed = engine.run(bad, {}, user)
    assert not failed.ok and "'X' is not an option of Stage" in failed.error.message


@pytest.mark.privacy
def test_privacy_rules_compare_options_by_display(lead, make_workflow, user):
    data_types.get_model("Lead").objects.create(
        email="bob@example.com", stage=Option.objects.get(display="Lost")
    )
    PrivacyRule.objects.create(
        data_type="Lead",
        name="won",
        condition="thing.stage == 'won'",
        view_all=True,
        find_in_searches=True,
    )
    PrivacyRule.objects.create(
        data_type="Lead",
        name="lost",
        condition="thing.stage.display == 'Lost' and thing.stage in ['Lost', 'Nope']",
        view_all=True,
        find_in_searches=True,
    )
    PrivacyRule.objects.create(
        data_type="Lead", name="never", condition="thing.stage == 'Unknown'", view_all=True
    )
    wf = make_workflow(
        actions=[
            {
                "type": "return_data",
                "data": {"emails": "{{ search('Lead') | map(attribute='email') | list }}"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert sorted(result.response["emails"]) == ["ann@example.com", "bob@example.com"]
    PrivacyRule.objects.filter(name="lost").delete()
    assert engine.run(wf, {}, user).response == {"emails": ["ann@example.com"]}


# --- what the editor and the document know of the field types -------------------------------

EVERY = {
    "name": "Visit",
    "fields": [
        {"name": "stage", "type": "option", "option_set": "Stage"},
        {"name": "stages", "type": "option", "option_set": "Stage", "list": True},
        {"name": "site", "type": "geographic_address"},
        {"name": "report", "type": "file"},
        {"name": "photo", "type": "image"},
        {"name": "calls", "type": "date", "list": True},
        {"name": "counts", "type": "number", "list": True},
        {"name": "lead", "type": "thing", "data_type": "Lead"},
    ],
}


def test_the_kinds_of_the_new_field_types(lead):
    schema.create_data_type(EVERY)
    found = kinds.field_kinds("Visit")
    stage = found["stage"]
    assert stage.name == "option" and stage.option_set == "Stage" and stage.nullable
    assert stage.key("display") == kinds.TEXT
    assert dict(stage.key("attributes").keys) == {"color": kinds.TEXT, "rank": kinds.NUMBER}
    assert stage.describe() == "Stage option"
    assert found["stages"].name == "list" and found["stages"].item.name == "option"
    assert dict(found["site"].keys) == {
        "address": kinds.TEXT,
        "lat": kinds.NUMBER,
        "lng": kinds.NUMBER,
    }
    assert found["report"].name == found["photo"].name == "text"  # their URL
    assert found["calls"].item == kinds.DATE and found["counts"].item == kinds.NUMBER
    assert found["lead"].name == "thing" and found["lead"].data_type == "Lead"
    assert found["Created Date".lower().replace(" ", "_")].name == "date"


def test_the_editor_catalog_offers_an_option_s_parts_and_displays(lead):
    lead_fields = {f["name"]: f for f in editor_catalog()["data_types"]["Lead"]["fields"]}
    assert {"email", "phone", "score", "owner", "tags", "stage"} <= set(lead_fields)
    stage = lead_fields["stage"]
    assert stage["kind"] == "option" and stage["label"] == "Stage option"
    # each attribute by its own name too, as a Bubble builder picks "stage's color"
    assert set(stage["keys"]) == {"display", "attributes", "color", "rank"}
    assert [c["value"] for c in stage["choices"]] == ["New", "Qualified", "Won", "Lost"]
    assert stage["writable"] is True
    assert editor_catalog()["operations"]["option"]


def test_returned_options_addresses_and_dates_in_the_document(lead, make_workflow):
    schema.create_data_type(EVERY)
    wf = make_workflow(
        "visit-report",
        expose=True,
        parameters=[{"key": "visit", "type": "thing", "data_type": "Visit"}],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "stage": "{{ params.visit.stage }}",
                    "display": "{{ params.visit.stage.display }}",
                    "site": "{{ params.visit.site }}",
                    "calls": "{{ params.visit.calls }}",
                },
            }
        ],
    )
    out = returned_schema(get_compiled(wf), lambda label: {"$ref": label})["properties"]
    assert out["stage"]["type"] == "string" and "Won" in out["stage"]["enum"]
    assert out["display"]["type"] == "string"
    assert out["site"]["type"] == "object" and "lat" in out["site"]["properties"]
    assert out["calls"]["items"] == {"type": "string", "format": "date-time"}
