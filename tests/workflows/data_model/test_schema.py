"""Defining data types without code: real tables and columns named by ids, renames that
keep data, deleted fields that come back, and refusals that name what is wrong and change
nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from workflows import data_types
from workflows.data_model import registry, schema
from workflows.models import DataField, DataType, DefinitionChange, OptionSet


def columns(table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_a_data_type_is_a_table_with_a_column_per_field(lead_type):
    fields = {f.name: f for f in lead_type.fields.all()}
    assert lead_type.table_name in tables()
    cols = columns(lead_type.table_name)
    for name in ("email", "phone", "score", "owner", "stage"):
        assert fields[name].column in cols  # f<id>: no builder's name reaches SQL
    assert "email" not in cols
    assert {"id", "unique_id", "created_date", "modified_date", "created_by_id"} <= set(cols)
    model = data_types.get_model("Lead")
    assert data_types.label_of(model) == "Lead" and data_types.get_model("lead") is model
    assert "Lead" in data_types.allowed_labels()
    change = DefinitionChange.objects.get(kind="data_type", name="Lead")
    assert change.action == "created" and change.after["fields"][0]["name"] == "email"


def test_things_are_stored_read_and_shown_by_their_display_field(lead_type, user):
    model = data_types.get_model("Lead")
    stage = OptionSet.objects.get(name="Stage").options.get(display="Won")
    lead = model.objects.create(email="ann@example.com", owner=user, tags=["vip"], stage=stage)
    lead = model.objects.get(pk=lead.pk)
    assert (lead.email, lead.score, lead.owner, lead.tags) == (
        "ann@example.com",
        0.0,
        user,
        ["vip"],
    )
    assert lead.stage.display == "Won" and str(lead) == "ann@example.com"
    assert lead.unique_id and lead.created_date == lead.modified_date
    assert model.objects.filter(score__gte=0, tags__has_item="vip").count() == 1


def test_a_reference_to_a_deleted_thing_reads_as_empty(lead_type, user):
    model = data_types.get_model("Lead")
    lead = model.objects.create(email="ann@example.com", owner=user)
    user.delete()  # no constraint refuses it, nothing cascades
    assert model.objects.get(pk=lead.pk).owner is None


def test_a_field_added_later_is_a_new_column_and_usable_at_once(lead_type):
    model = data_types.get_model("Lead")
    model.objects.create(email="ann@example.com")
    field = schema.add_field(lead_type, {"name": "company", "type": "text"})
    assert field.column in columns(lead_type.table_name)
    model = data_types.get_model("Lead")
    lead = model.objects.get()
    assert lead.company is None
    lead.company = "Acme"
    lead.save()
    assert model.objects.filter(company="Acme").count() == 1


def test_renaming_a_field_or_a_type_keeps_the_data(lead_type):
    data_types.get_model("Lead").objects.create(email="ann@example.com", phone="123")
    phone = lead_type.fields.get(name="phone")
    schema.change_field(phone, {"name": "mobile"})
    schema.change_data_type(lead_type, {"name": "Prospect"})
    model = data_types.get_model("Prospect")
    assert model.objects.get().mobile == "123"
    with pytest.raises(data_types.UnknownDataType):
        data_types.get_model("Lead")
    assert columns(lead_type.table_name)  # the same table


def test_the_display_field_follows_its_rename(lead_type):
    schema.change_field(lead_type.fields.get(name="email"), {"name": "mail"})
    assert DataType.objects.get(pk=lead_type.pk).display_field == "mail"


def test_a_deleted_field_is_hidden_then_restored_with_its_data_until_purged(lead_type):
    data_types.get_model("Lead").objects.create(email="ann@example.com", phone="123")
    phone = lead_type.fields.get(name="phone")
    schema.delete_field(phone)
    model = data_types.get_model("Lead")
    assert "phone" not in data_types.field_names(model)
    assert phone.column in columns(lead_type.table_name)  # kept
    schema.restore_field(phone)
    assert data_types.get_model("Lead").objects.get().phone == "123"
    schema.delete_field(phone)
    schema.purge_field(phone)
    assert phone.column not in columns(lead_type.table_name)
    assert not DataField.objects.filter(pk=phone.pk).exists()


def test_a_deleted_field_s_name_is_free_and_restoring_can_rename(lead_type):
    phone = lead_type.fields.get(name="phone")
    schema.delete_field(phone)
    schema.add_field(lead_type, {"name": "phone", "type": "number"})
    with pytest.raises(schema.SchemaError, match="already has a field named 'phone'"):
        schema.restore_field(phone)
    schema.restore_field(phone, name="old_phone")
    assert data_types.get_model("Lead")._meta.get_field("old_phone").column == phone.column


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "lead"}, "lead: there is already a data type named 'lead'"),
        ({"name": "2fast"}, "is not a valid name"),
        ({"name": "User"}, "there is already a data type named 'User'"),
        (
            {"name": "T", "fields": [{"name": "x", "type": "colour"}]},
            "T.x: unknown field type 'colour'",
        ),
        (
            {"name": "T", "fields": [{"name": "id", "type": "text"}]},
            "T.id: 'id' is a built-in name",
        ),
        ({"name": "T", "fields": [{"name": "save", "type": "text"}]}, "'save' is a built-in name"),
        ({"name": "T", "fields": [{"name": "a__b", "type": "text"}]}, "cannot be used as a name"),
        (
            {"name": "T", "fields": [{"name": "x", "type": "thing"}]},
            "T.x: a thing field needs data_type",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "thing", "data_type": "Nope"}]},
            "T.x: unknown data type 'Nope'",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "option", "option_set": "Nope"}]},
            "T.x: unknown option set 'Nope'",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "text", "list": True, "unique": True}]},
            "T.x: a list cannot be unique or indexed",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "number", "default": "ten"}]},
            "T.x: the default of a number field is a number",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "yes_no", "list": True}]},
            "T.x: a yes / no field cannot be a list",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "text", "colour": "red"}]},
            "T.x: unknown key(s) colour",
        ),
        (
            {"name": "T", "fields": [{"name": "x", "type": "text"}, {"name": "X", "type": "text"}]},
            "T already has a field named 'X'",
        ),
        ({"name": "T", "display_field": "nope"}, "display_field 'nope' is not a text"),
    ],
)
def test_a_bad_definition_names_what_is_wrong_and_changes_nothing(lead_type, raw, message):
    before_tables, before_types = tables(), DataType.objects.count()
    version = registry.stored_version()
    with pytest.raises(schema.SchemaError) as refused:
        schema.create_data_type(raw)
    assert message in str(refused.value)
    assert tables() == before_tables and DataType.objects.count() == before_types
    assert registry.stored_version() == version


def test_types_made_together_may_point_at_each_other(data_model):
    company, person = schema.create_data_types(
        [
            {
                "name": "Company",
                "fields": [{"name": "boss", "type": "thing", "data_type": "Person"}],
            },
            {
                "name": "Person",
                "fields": [
                    {"name": "employer", "type": "thing", "data_type": "Company"},
                    {"name": "friends", "type": "thing", "data_type": "Person", "list": True},
                ],
            },
        ]
    )
    Company, Person = data_types.get_model("Company"), data_types.get_model("Person")
    ann = Person.objects.create()
    acme = Company.objects.create(boss=ann)
    bob = Person.objects.create(employer=acme)
    bob.friends.set([ann])
    assert Person.objects.get(pk=bob.pk).employer.boss == ann
    assert list(Person.objects.get(pk=bob.pk).friends.all()) == [ann]
    ann.delete()  # its place in lists goes with it
    assert list(Person.objects.get(pk=bob.pk).friends.all()) == []


def test_a_type_others_point_at_cannot_be_deleted(data_model):
    schema.create_data_types(
        [
            {"name": "Company"},
            {
                "name": "Person",
                "fields": [{"name": "employer", "type": "thing", "data_type": "Company"}],
            },
        ]
    )
    with pytest.raises(schema.SchemaError, match="fields point at it: Person.employer"):
        schema.delete_data_type(DataType.objects.get(name="Company"))
    person = DataType.objects.get(name="Person")
    schema.delete_data_type(person)
    assert person.table_name not in tables()
    with pytest.raises(data_types.UnknownDataType):
        data_types.get_model("Person")


def test_an_option_set_keeps_option_ids_when_changed(lead_type):
    stage = OptionSet.objects.get(name="Stage")
    won = stage.options.get(display="Won")
    model = data_types.get_model("Lead")
    lead = model.objects.create(email="a@example.com", stage=won)
    schema.save_option_set(
        {"name": "Stage", "options": ["New", {"display": "Won", "color": "green"}]}
    )
    assert [o.display for o in stage.options.all()] == ["New", "Won"]
    assert stage.options.get(display="Won").pk == won.pk
    assert model.objects.get(pk=lead.pk).stage.attributes == {"color": "green"}
    with pytest.raises(schema.SchemaError, match="fields use it: Lead.stage"):
        schema.delete_option_set(stage)


def test_another_process_s_change_is_seen_before_the_next_use(lead_type):
    # as another process would: the version moved, this process still has the old models
    from workflows.models import SchemaVersion

    old = data_types.get_model("Lead")
    # what another process's add_field wrote
    extra = DataField.objects.create(data_type=lead_type, name="extra", type="text", position=99)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {lead_type.table_name} ADD COLUMN {extra.column} text")
    SchemaVersion.objects.update(version=registry.stored_version() + 1)
    assert data_types.get_model("Lead") is old  # outside a request or run: as built
    with registry.scope():  # a request or a run: it looks once, when it first asks
        new = data_types.get_model("Lead")
        assert new is not old and "extra" in data_types.field_names(new)
        SchemaVersion.objects.update(version=registry.stored_version() + 1)
        assert data_types.get_model("Lead") is new  # once per unit of work


def test_changes_inside_one_change_are_one_transaction(data_model):
    from workflows.models import SchemaVersion

    with schema.schema_change(source="import") as _:
        schema.save_option_set({"name": "Stage", "options": ["New"]})
        schema.create_data_type(
            {"name": "Lead", "fields": [{"name": "stage", "type": "option", "option_set": "Stage"}]}
        )
        assert data_types.get_model("Lead")  # usable inside, before the commit
    assert SchemaVersion.objects.get().version == 1
    assert DefinitionChange.objects.filter(source="import").count() == 2

    refused = pytest.raises(schema.SchemaError, match="unknown data type 'Nope'")
    with refused, schema.schema_change():
        schema.create_data_type({"name": "Company"})
        schema.create_data_type(
            {"name": "Person", "fields": [{"name": "x", "type": "thing", "data_type": "Nope"}]}
        )
    assert not DataType.objects.filter(name="Company").exists()
    assert "things_" + str(DataType.objects.get(name="Lead").pk) in tables()
    with pytest.raises(data_types.UnknownDataType):
        data_types.get_model("Company")  # built again from what is committed


def test_a_change_that_reads_a_large_table_says_so_before_it_runs(lead_type, monkeypatch):
    model = data_types.get_model("Lead")
    for n in range(3):
        model.objects.create(email=f"{n}@example.com")
    assert (
        schema.plan_add_field(lead_type, {"name": "rank", "type": "number", "indexed": True}) == []
    )
    monkeypatch.setattr(schema, "LARGE_TABLE", 3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {lead_type.table_name}")
    [index] = schema.plan_add_field(lead_type, {"name": "rank", "type": "number", "indexed": True})
    assert index.startswith("Lead has about 3 things: making rank indexed for searches builds")
    [_, *copy] = schema.plan_add_field(lead_type, {"name": "code", "type": "text", "unique": True})
    assert bool(copy) == (connection.vendor == "sqlite")  # SQLite copies the table for it
    plain = schema.plan_add_field(lead_type, {"name": "note", "type": "text"})
    assert plain == []  # a nullable column: nothing to say on either database
    email = lead_type.fields.get(name="email")
    assert schema.plan_change_field(email, {"help_text": "x"}) == []
    assert "making email indexed" not in " ".join(
        schema.plan_change_field(email, {"unique": False})
    )
    phone = lead_type.fields.get(name="phone")
    assert "making phone unique" in schema.plan_change_field(phone, {"unique": True})[0]


# --- one change, one build of the models -----------------------------------------------------


@pytest.fixture
def rebuilds(monkeypatch) -> list[int]:
    """Each build of this process's models (``registry.rebuild``), as it happens."""
    calls: list[int] = []
    real = registry.rebuild

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(registry, "rebuild", counted)
    return calls


def test_a_save_adding_many_fields_builds_the_models_once(lead_type, rebuilds):
    with schema.schema_change(source="admin"):
        for n in range(40):
            schema.add_field(lead_type, {"name": f"extra{n}", "type": "text"})
        schema.change_field(lead_type.fields.get(name="phone"), {"help_text": "Work"})
        schema.delete_field(lead_type.fields.get(name="tags"))
        schema.change_data_type(lead_type, {"description": "Many fields"})
    assert len(rebuilds) == 1  # when the change ended, not once per step
    names = data_types.field_names(data_types.get_model("Lead"))
    assert {"extra0", "extra39"} <= set(names) and "tags" not in names
    # one record of the type, from before the first step to after the last
    [record] = DefinitionChange.objects.filter(kind="data_type", action="changed")
    assert record.name == "Lead" and record.source == "admin"
    assert len(record.after["fields"]) == len(record.before["fields"]) + 40 - 1
    assert record.after["description"] == "Many fields"


def test_a_step_inside_a_change_that_asks_about_data_types_sees_what_it_made(lead_type, rebuilds):
    with schema.schema_change():
        schema.add_field(lead_type, {"name": "first", "type": "text"})
        schema.add_field(lead_type, {"name": "second", "type": "text"})
        assert rebuilds == []
        assert {"first", "second"} <= set(data_types.field_names(data_types.get_model("Lead")))
        assert len(rebuilds) == 1  # built when asked, with both fields
        data_types.get_model("Lead")
        assert len(rebuilds) == 1
        schema.add_field(lead_type, {"name": "third", "type": "text"})
        assert "third" in data_types.field_names(data_types.get_model("Lead"))
    assert len(rebuilds) == 3  # the third step's, and the end's


def test_a_change_that_copies_the_table_keeps_every_column_deleted_ones_too(lead_type, user):
    """SQLite adds a unique field, or one with a default, changes a field and drops an
    indexed one by copying the table: the copy has every column, the hidden columns of
    deleted fields (restorable) among them."""
    model = data_types.get_model("Lead")
    model.objects.create(email="ann@example.com", phone="555", score=3, owner=user)
    phone = lead_type.fields.get(name="phone")
    schema.delete_field(phone)
    schema.add_field(lead_type, {"name": "code", "type": "text", "unique": True})
    schema.add_field(lead_type, {"name": "rank", "type": "number", "default": 1})
    schema.change_field(lead_type.fields.get(name="score"), {"unique": True})
    owner = lead_type.fields.get(name="owner")
    schema.delete_field(owner)
    schema.purge_field(owner)  # a reference: an indexed column
    schema.restore_field(phone)
    ann = data_types.get_model("Lead").objects.get()
    assert (ann.email, ann.phone, ann.score, ann.rank) == ("ann@example.com", "555", 3, 1)
    assert owner.column not in columns(lead_type.table_name)


def test_adding_fields_builds_each_one_not_the_whole_type_again(lead_type, monkeypatch):
    """Counted, not timed: the fields the builder makes for a change adding N fields grow
    with N, not with N² (each step once built the whole type)."""
    from workflows.data_model import builder

    built: list[int] = []
    real = builder.build

    def counted(types, fields, **kwargs):
        fields = list(fields)
        built.append(len(fields))
        return real(types, fields, **kwargs)

    monkeypatch.setattr(builder, "build", counted)
    with schema.schema_change():
        for n in range(60):
            schema.add_field(lead_type, {"name": f"extra{n}", "type": "number"})
    assert len(built) == 61  # a field each, and the models once at the end
    assert sum(built) <= 60 + (6 + 60)  # one field each, then the type's 66 once
