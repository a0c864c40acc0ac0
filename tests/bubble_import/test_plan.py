"""The plan read from each of a Bubble app's descriptions (bubble_import/plan.py)."""

from __future__ import annotations

import pytest

from bubble_import.plan import field_name, from_meta, from_rows, from_swagger, type_name

from .stand_in import META, SWAGGER, _rows


def fields(plan, bubble_name: str) -> dict[str, tuple[str, str, bool, str]]:
    typed = plan.type_named(bubble_name)
    return {f.key: (f.name, f.type, f.list, f.data_type) for f in typed.fields}


def test_the_swagger_file_gives_each_field_a_type_and_a_reason():
    plan = from_swagger(SWAGGER)
    assert plan.source == "swagger"
    assert [t.bubble_name for t in plan.types] == ["user", "unit", "order", "review"]
    assert fields(plan, "unit") == {
        "Unit name": ("unit_name", "text", False, ""),
        "Price": ("price", "number", False, ""),
        "Active": ("active", "yes_no", False, ""),
        "Status": ("status", "text", False, ""),
        "Location": ("location", "geographic_address", False, ""),
        "Photo": ("photo", "text", False, ""),
        "Owner": ("owner", "thing", False, "user"),
    }
    assert fields(plan, "order")["Units"] == ("units", "thing", True, "unit")
    assert fields(plan, "order")["Placed"] == ("placed", "date", False, "")
    assert all(f.why for t in plan.types for f in t.fields)
    unit = plan.type_named("unit")
    assert (unit.name, unit.path) == ("Unit", "/api/1.1/obj/unit")


def test_built_in_fields_and_the_users_email_are_not_fields():
    plan = from_swagger(SWAGGER)
    assert "_id" not in fields(plan, "unit") and "Created By" not in fields(plan, "unit")
    user = plan.type_named("user")
    assert user.users and list(fields(plan, "user")) == ["Name"]


def test_a_link_to_a_type_not_exposed_keeps_its_ids_as_text_and_says_so():
    supplier = next(
        f for f in from_swagger(SWAGGER).type_named("order").fields if f.key == "Supplier"
    )
    assert (supplier.type, supplier.data_type) == ("text", "")
    assert "'Supplier', a type the Swagger file does not expose" in supplier.why
    listed = [(n.where, n.why) for n in from_swagger(SWAGGER).not_mapped]
    assert listed == [
        ("order.Supplier", "links to 'Supplier', a type not exposed: its ids kept as text")
    ]


def test_workflows_become_shells_with_their_parameters():
    shells = {w.name: w for w in from_swagger(SWAGGER).workflows}
    assert list(shells) == ["process-order", "send-digest"]
    order = [(p.key, p.type, p.data_type, p.required) for p in shells["process-order"].parameters]
    assert order == [
        ("order", "thing", "order", True),
        ("rush", "yes_no", "", False),
        ("note", "text", "", False),
    ]
    assert [(p.key, p.type, p.querystring) for p in shells["send-digest"].parameters] == [
        ("since", "date", True),
        ("for", "thing", True),
    ]


def test_a_document_that_is_not_swagger_2_is_refused():
    with pytest.raises(ValueError, match="not a Swagger 2.0 document"):
        from_swagger({"openapi": "3.0.0"})


def test_meta_is_read_defensively():
    plan = from_meta(META)
    assert plan.source == "meta"
    assert fields(plan, "order")["Units"] == ("units", "thing", True, "unit")
    assert fields(plan, "unit")["Owner"] == ("owner", "thing", False, "user")
    assert fields(plan, "unit")["Photo"] == ("photo", "image", False, "")
    assert fields(plan, "unit")["Status"][1] == "text"  # an option set: its displays
    assert fields(plan, "order")["Supplier"][1:] == ("text", False, "")
    assert [n.where for n in plan.not_mapped] == ["order.Supplier"]  # not the option set
    assert fields(plan, "review")["Odd"][1] == "text"  # a type it cannot read
    with pytest.raises(ValueError, match='no "types"'):
        from_meta({"get": []})


def test_the_rows_tell_each_fields_type():
    plan = from_rows(_rows())
    assert plan.source == "rows"
    unit = fields(plan, "unit")
    assert unit["Price"][1] == "number" and unit["Active"][1] == "yes_no"
    assert unit["Location"][1] == "geographic_address" and unit["Photo"][1] == "image"
    assert unit["Owner"][1:] == ("thing", False, "user")
    order = fields(plan, "order")
    assert order["Units"][1:] == ("thing", True, "unit")
    assert order["Placed"][1] == "date"
    assert order["Supplier"][1] == "text"  # ids of rows that were not read
    review = plan.type_named("review").fields[0]
    assert (review.key, review.type, review.data_type) == ("Unit", "thing", "unit")
    assert "1 of no row read" in review.why  # a link to a deleted unit


@pytest.mark.parametrize(
    ("key", "taken", "expected"),
    [
        ("Unit name", [], "unit_name"),
        ("Created Date", [], "created_date_field"),
        ("2nd phone", [], "f_2nd_phone"),
        ("Name", ["name"], "name_2"),
        ("é!!", [], "field"),
    ],
)
def test_field_names(key, taken, expected):
    assert field_name(key, taken) == expected


def test_type_names_answer_at_bubbles_path():
    assert type_name("orderitem", "Order Item") == "OrderItem"
    assert type_name("orderitem") == "Orderitem"
    assert type_name("unit", "Something else") == "Unit"


def test_the_rows_show_files_and_option_set_candidates():
    from bubble_import.plan import refine_from_rows

    plan = from_swagger(SWAGGER)
    refine_from_rows(plan, _rows())
    assert fields(plan, "unit")["Photo"][1] == "image"
    assert [(c.data_type, c.key, c.values) for c in plan.option_candidates] == [
        ("unit", "Status", ["closed", "open"])
    ]  # not the supplier's ids, not the unit names (each held once)


def test_a_huge_swagger_file_is_read_in_time_and_capped():
    """A hostile or enormous file: the first MAX_TYPES types read, the rest said."""
    from bubble_import.plan import MAX_TYPES

    count = MAX_TYPES + 500
    document = {
        "swagger": "2.0",
        "paths": {f"/obj/t{n}": {"get": {}} for n in range(count)},
        "definitions": {f"T{n}": {"properties": {"x": {"type": "number"}}} for n in range(count)},
    }
    plan = from_swagger(document)
    assert len(plan.types) == MAX_TYPES
    assert f"only the first {MAX_TYPES} of {count} types are read" in plan.notes


def test_a_type_name_no_url_would_hold_is_left_out():
    document = {
        "swagger": "2.0",
        "paths": {"/obj/..": {"get": {}}, "/obj/ok": {"get": {}}, "/obj/\x1b]52": {"get": {}}},
        "definitions": {"ok": {"properties": {}}},
    }
    assert [t.bubble_name for t in from_swagger(document).types] == ["ok"]
