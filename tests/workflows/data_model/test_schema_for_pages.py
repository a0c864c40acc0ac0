"""What the admin's pages need of ``schema``: a new type pointing at one that exists, a
name clash named as the field's name, and an option set edited by ids (its rename, and an
option's, keep what things picked)."""

from __future__ import annotations

import pytest

from workflows.data_model import registry, schema
from workflows.models.data_model import OptionSet

from .conftest import LEAD, STAGE

pytestmark = pytest.mark.usefixtures("data_model")


def test_a_new_type_can_point_at_a_type_that_exists():
    schema.save_option_set(STAGE)
    schema.create_data_type(LEAD)
    deal = schema.create_data_type(
        {
            "name": "Deal",
            "fields": [
                {"name": "lead", "type": "thing", "data_type": "Lead"},
                {"name": "leads", "type": "thing", "data_type": "Lead", "list": True},
            ],
        }
    )
    lead = registry.built_models()["lead"].objects.create(email="a@example.com")
    made = registry.built_models()["deal"].objects.create(lead=lead)
    made.leads.set([lead])
    assert made.lead == lead and list(made.leads.all()) == [lead]
    assert deal.fields.get(name="lead").target_type.name == "Lead"


def test_a_taken_field_name_is_an_error_of_the_name():
    schema.save_option_set(STAGE)
    lead = schema.create_data_type(LEAD)
    with pytest.raises(schema.SchemaError) as raised:
        schema.add_field(lead, {"name": "Email", "type": "text"})
    assert (raised.value.where, raised.value.key) == ("Lead.Email", "name")
    with pytest.raises(schema.SchemaError) as raised:
        schema.add_field(lead, {"name": "owner_id", "type": "text"})
    assert raised.value.key == "name"


def test_an_option_set_edited_by_ids_keeps_its_options_things():
    schema.save_option_set(STAGE)
    schema.create_data_type(LEAD)
    stage = OptionSet.objects.get()
    ids = {o.display: o.pk for o in stage.options.all()}
    lead = registry.built_models()["lead"].objects.create(email="a@example.com")
    lead.stage_id = ids["Won"]
    lead.save()
    # "Won" becomes "Closed won", "Lost" goes and "Won" is a new option's display
    saved = schema.save_option_set(
        {"name": "Stages", "options": ["New", "Closed won", "Won"]},
        option_set=stage,
        option_ids=[ids["New"], ids["Won"], None],
    )
    assert saved.pk == stage.pk and saved.name == "Stages"
    options = {o.display: o.pk for o in saved.options.all()}
    assert options["Closed won"] == ids["Won"] and options["Won"] not in ids.values()
    assert "Lost" not in options
    lead.refresh_from_db()
    assert lead.stage.display == "Closed won"
    schema.save_option_set({"name": "Color", "options": ["Red"]})
    with pytest.raises(schema.SchemaError) as raised:
        schema.save_option_set({"name": "color", "options": ["New"]}, option_set=saved)
    assert raised.value.key == "name"
    with pytest.raises(schema.SchemaError):
        schema.save_option_set({"name": "Stages", "options": ["New"]}, option_ids=[1, 2])
