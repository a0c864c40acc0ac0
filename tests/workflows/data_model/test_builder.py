"""Building the models of the data types while other threads use them."""

from __future__ import annotations

import pytest
from django.apps import apps

from workflows import data_types
from workflows.data_model import builder, registry, schema


def test_a_rebuild_never_shows_a_half_built_set_of_models(data_model, monkeypatch):
    """While the models are being built again, a thread listing Django's models (as an
    admin page or a privacy check does) sees the whole live set, never a part of the new
    one; the new set replaces it at once."""
    schema.create_data_type({"name": "Lead", "fields": [{"name": "email", "type": "text"}]})
    schema.create_data_type({"name": "Deal", "fields": [{"name": "title", "type": "text"}]})
    live = {data_types.get_model("Lead"), data_types.get_model("Deal")}
    seen_meanwhile: list[set] = []
    plain_class = builder._plain_class

    def watching(data_type):
        seen_meanwhile.append({m for m in apps.get_models() if m._meta.app_label == "things"})
        return plain_class(data_type)

    monkeypatch.setattr(builder, "_plain_class", watching)
    registry.rebuild()
    assert seen_meanwhile and all(seen == live for seen in seen_meanwhile)
    rebuilt = {m for m in apps.get_models() if m._meta.app_label == "things"}
    assert len(rebuilt) == 2 and not rebuilt & live
    assert rebuilt == {data_types.get_model("Lead"), data_types.get_model("Deal")}


def test_a_failed_build_leaves_the_live_models(data_model, monkeypatch):
    schema.create_data_type({"name": "Lead", "fields": [{"name": "email", "type": "text"}]})
    live = data_types.get_model("Lead")

    def failing(data_type):
        raise RuntimeError("boom")

    monkeypatch.setattr(builder, "_plain_class", failing)
    with pytest.raises(RuntimeError):
        registry.rebuild()
    assert apps.get_model("things", live._meta.model_name) is live
    assert {m for m in apps.get_models() if m._meta.app_label == "things"} == {live}
