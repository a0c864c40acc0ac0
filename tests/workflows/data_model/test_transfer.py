"""``option_sets:`` and ``data_types:`` in definition files (workflows/data_model/transfer.py
through ``import_definitions``): checked with their lines, compared with what is stored,
applied through the schema services, all or nothing, and exported."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from workflows import data_types, engine, yaml_loader
from workflows.data_model import definitions, schema
from workflows.models import DataField, DataType, Option, OptionSet, SchemaVersion, Workflow
from workflows.transfer import ImportRefused, WorkflowFile, export_definitions, import_definitions

from .conftest import STAGE

pytestmark = pytest.mark.usefixtures("data_model")

FILE = """\
option_sets:
  - name: Stage
    options: [New, Qualified, Won, Lost]
data_types:
  - name: Lead
    display_field: email
    fields:
      - {name: email, type: text, required: true, unique: true}
      - {name: phone, type: text}
      - {name: score, type: number, default: 0, indexed: true}
      - {name: owner, type: thing, data_type: User}
      - {name: tags, type: text, list: true}
      - {name: stage, type: option, option_set: Stage}
"""


def imported(text: str, **options):
    return import_definitions([WorkflowFile("app.yaml", text)], **options)


def refused(text: str, **options) -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        imported(text, **options)
    return [str(p) for p in caught.value.problems]


def line(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def version() -> int:
    return SchemaVersion.objects.values_list("version", flat=True).first() or 0


def statuses(report) -> dict[str, str]:
    return {r.name: r.status for r in (*report.option_sets, *report.data_types)}


def tables() -> set[str]:
    with connection.cursor() as cursor:
        return {t for t in connection.introspection.table_names(cursor) if t.startswith("things_")}


def test_the_issue_s_example_makes_the_type_and_its_option_set():
    report = imported(FILE)
    assert statuses(report) == {"Stage": "created", "Lead": "created"}
    lead = DataType.objects.get(name="Lead")
    assert definitions.type_definition(lead) == {
        "name": "Lead",
        "display_field": "email",
        "fields": [
            {"name": "email", "type": "text", "required": True, "unique": True},
            {"name": "phone", "type": "text"},
            {"name": "score", "type": "number", "indexed": True, "default": 0.0},
            {"name": "owner", "type": "thing", "data_type": "User"},
            {"name": "tags", "type": "text", "list": True},
            {"name": "stage", "type": "option", "option_set": "Stage"},
        ],
    }
    assert [o.display for o in Option.objects.order_by("position")] == STAGE["options"]
    assert data_types.get_model("Lead").objects.count() == 0


def test_a_second_import_is_unchanged_and_touches_nothing():
    imported(FILE)
    before = version()
    report = imported(
        FILE.replace(
            "{name: phone, type: text}",
            "{name: phone, type: text, required: false, help_text: null}",
        )
    )
    assert statuses(report) == {"Stage": "unchanged", "Lead": "unchanged"}
    assert not report.changed
    assert version() == before


def test_an_existing_type_is_changed_through_the_schema_services(lead_type):
    model = data_types.get_model("Lead")
    kept = model.objects.create(email="ann@example.com", phone="123")
    text = (
        FILE.replace("display_field: email", "display_field: email\n    plural: Leads")
        .replace(
            "{name: score, type: number, default: 0, indexed: true}",
            "{name: score, type: number, default: 5, help_text: Out of 10}",
        )
        .replace("      - {name: phone, type: text}\n", "")
        + "      - {name: notes, type: text, help_text: Anything}\n"
    )
    report = imported(text)
    assert statuses(report) == {"Stage": "unchanged", "Lead": "updated"}
    notes = next(r.notes for r in report.data_types)
    assert notes == (
        "changed: plural",
        "new fields: notes",
        "changed field score: indexed, default, help_text",
        "fields not in the file, kept: phone (an import deletes no field unless "
        "--delete-missing-fields is given)",
    )
    lead = DataType.objects.get(name="Lead")
    score = lead.fields.get(name="score")
    assert (lead.plural, score.default, score.indexed, score.help_text) == (
        "Leads",
        5.0,
        False,
        "Out of 10",
    )
    assert lead.fields.get(name="phone").deleted_at is None  # kept
    model = data_types.get_model("Lead")
    assert model.objects.get(pk=kept.pk).phone == "123"
    assert model.objects.create(email="bo@example.com").score == 5
    assert statuses(imported(text)) == {"Stage": "unchanged", "Lead": "unchanged"}


def test_delete_missing_fields_deletes_them_restorably(lead_type):
    lead = data_types.get_model("Lead").objects.create(email="ann@example.com", phone="123")
    text = FILE.replace("      - {name: phone, type: text}\n", "")
    report = imported(text, delete_missing_fields=True)
    assert statuses(report)["Lead"] == "updated"
    assert report.data_types[0].notes == ("fields not in the file, deleted (restorable): phone",)
    phone = DataField.objects.get(name="phone")
    assert phone.is_deleted
    assert "phone" not in data_types.field_names(data_types.get_model("Lead"))
    assert statuses(imported(text, delete_missing_fields=True))["Lead"] == "unchanged"
    schema.restore_field(phone)
    assert data_types.get_model("Lead").objects.get(pk=lead.pk).phone == "123"


def test_a_field_s_type_cannot_change(lead_type):
    text = FILE.replace("{name: score, type: number", "{name: score, type: text")
    assert refused(text) == [
        f"app.yaml:{line(text, 'name: score')}: data type 'Lead', field 'score', type: a "
        "field's type cannot change: Lead.score is a number, the file makes it a text; add a "
        "new field (under another name) instead"
    ]
    text = FILE.replace(
        "{name: owner, type: thing, data_type: User}",
        "{name: owner, type: thing, data_type: User, list: true}",
    )
    assert (
        "Lead.owner is a thing of User, the file makes it a list of thing of User"
        in refused(text)[0]
    )
    assert not DataType.objects.get(name="Lead").fields.get(name="owner").is_list


def test_an_option_set_is_saved_as_save_option_set_does(lead_type):
    won = Option.objects.get(display="Won")
    text = FILE.replace(
        "[New, Qualified, Won, Lost]", "[New, {display: Won, color: green}, Lost, Parked]"
    )
    report = imported(text)
    assert statuses(report) == {"Stage": "updated", "Lead": "unchanged"}
    assert report.option_sets[0].notes == (
        "new options: Parked",
        "options removed: Qualified (things that picked them read empty)",
        "options reordered, respelled or given other attributes",
    )
    assert Option.objects.get(display="Won").pk == won.pk
    assert Option.objects.get(display="Won").attributes == {"color": "green"}
    assert statuses(imported(text))["Stage"] == "unchanged"


def test_every_shape_problem_is_listed_at_once_with_its_line():
    text = """\
option_sets:
  - name: Stage
    options: [New, New]
  - {name: Size, option: [S, M]}
data_types:
  - name: Lead
    colour: blue
    fields:
      - {name: email, type: text, requred: true}
      - {name: owner, type: thing, data_type: Usr}
      - {name: stage, type: option, option_set: Stages}
      - {name: score, type: number, default: lots}
      - {name: tags, type: yes_no, list: true}
      - {name: created_date, type: date}
      - {name: old, type: text, deleted: true}
      - {name: email, type: text}
  - name: User
  - name: Company
    plural: 3
    fields: {name: text}
  - name: lead
"""
    assert refused(text) == [
        f"app.yaml:{line(text, '- name: lead')}: data type 'lead', name: a data type of this "
        f"name is also at app.yaml:{line(text, '- name: Lead')}",
        "app.yaml:3: option set 'Stage', options: option 'New' is listed twice",
        "app.yaml:4: option set 'Size', option: unknown key (keys: name, description, options)",
        "app.yaml:7: data type 'Lead', colour: unknown key (keys: name, plural, display_field, "
        "description, fields)",
        f"app.yaml:{line(text, '- name: User')}: data type 'User', name: User is the user "
        "model (Bubble's built-in User type): choose another",
        f"app.yaml:{line(text, 'plural: 3')}: data type 'Company', plural: plural must be text",
    ]
    # the first data type's fields, once its keys are right
    fields_only = text.replace("    colour: blue\n", "").split("  - name: User")[0]
    fields_only = fields_only.replace("  - {name: Size, option: [S, M]}\n", "").replace(
        "[New, New]", "[New]"
    )

    def at(needle: str) -> str:
        return f"app.yaml:{line(fields_only, needle)}: data type 'Lead', "

    assert refused(fields_only) == [
        at("requred")
        + "field 'email': unknown key(s) requred; known: bubble_name, data_type, default, "
        "help_text, indexed, list, name, option_set, required, type, unique",
        at("Usr") + "field 'owner', data_type: unknown data type 'Usr'",
        at("Stages") + "field 'stage', option_set: unknown option set 'Stages'",
        at("lots") + "field 'score', default: the default of a number field is a number",
        at("yes_no") + "field 'tags', list: a yes / no field cannot be a list",
        at("created_date") + "field 'created_date', name: 'created_date' is a built-in name; "
        "choose another",
        at("deleted") + "field 'old', deleted: a file holds live fields only: leave a deleted "
        "field out",
        at("{name: email, type: text}") + "field 'email', name: this field is listed twice",
    ]
    assert not DataType.objects.exists() and not OptionSet.objects.exists()


def test_a_problem_only_the_change_finds_names_its_line_and_rolls_everything_back():
    text = FILE + "      - {name: owner_id, type: text}\n"
    assert refused(text) == [
        f"app.yaml:{line(text, 'owner_id')}: data type 'Lead', field 'owner_id', name: "
        "'owner_id' is taken by a reference's id column"
    ]
    assert not OptionSet.objects.exists() and not DataType.objects.exists()
    assert tables() == set() and version() == 0


def test_a_dry_run_plans_changes_nothing_and_still_checks_the_workflows():
    workflow = """\
workflows:
  - name: add-lead
    parameters: [{key: email, type: text}]
    actions:
      - {type: create_thing, data_type: Lead, fields: {email: "{{ params.email }}"}}
"""
    report = imported(FILE + workflow, dry_run=True)
    assert statuses(report) == {"Stage": "created", "Lead": "created"}
    assert report.results[0].status == "created" and report.dry_run
    assert not DataType.objects.exists() and not OptionSet.objects.exists()
    assert not Workflow.objects.exists() and tables() == set() and version() == 0
    assert "lead" not in data_types.allowed_labels()
    bad = workflow.replace("{email:", "{mail:")
    problems = refused(FILE + bad, dry_run=True)
    assert "workflow 'add-lead', step 1, fields: Lead has no field 'mail'" in problems[0]
    assert statuses(imported(FILE + workflow)) == {"Stage": "created", "Lead": "created"}


def test_kept_as_edited_with_keep_existing(lead_type):
    text = FILE.replace("      - {name: phone, type: text}\n", "      - {name: fax, type: text}\n")
    report = imported(text, keep_existing=True)
    assert statuses(report)["Lead"] == "kept"
    assert not DataField.objects.filter(name="fax").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's schema editor only")
def test_inside_another_transaction_on_sqlite_it_is_refused_with_the_reason():
    with pytest.raises(ImportRefused) as caught, transaction.atomic():
        imported(FILE)
    assert "cannot run inside another transaction on SQLite" in str(caught.value)


def test_export_writes_the_sections_and_nothing_when_there_is_no_data_type(lead_type):
    document = export_definitions()
    assert list(document) == ["version", "option_sets", "data_types", "workflows", "privacy_rules"]
    assert document["option_sets"] == [STAGE]
    assert [t["name"] for t in document["data_types"]] == ["Lead"]
    schema.delete_field(DataField.objects.get(name="phone"))
    exported = export_definitions()["data_types"][0]["fields"]
    assert "phone" not in [f["name"] for f in exported]
    Workflow.objects.create(name="hello")
    assert list(export_definitions(["hello"])) == ["version", "workflows"]  # named: only them


def test_export_without_data_types_is_what_it_always_was():
    assert list(export_definitions()) == ["version", "workflows", "privacy_rules"]


def test_a_change_the_database_refuses_rolls_back_the_whole_import(lead_type):
    model = data_types.get_model("Lead")
    model.objects.create(email="ann@example.com", phone="123")
    model.objects.create(email="bo@example.com", phone="123")
    text = FILE.replace("{name: phone, type: text}", "{name: phone, type: text, unique: true}")
    text = text.replace("[New, Qualified, Won, Lost]", "[New, Qualified, Won, Lost, Parked]")
    before = version()
    (problem,) = refused(text)
    assert problem.startswith(
        f"app.yaml:{line(text, '- name: Lead')}: data type 'Lead': the database refused the "
        "change: "
    ), problem
    assert not DataField.objects.get(name="phone").unique
    assert not Option.objects.filter(display="Parked").exists()  # saved before, rolled back
    assert version() == before
    assert model.objects.count() == 2


def every_field_type() -> str:
    """A type with a field of every registered field type (and a list of each listable
    one), each with a default where its type takes one: what a file may say of a field."""
    from workflows.data_model import field_types

    defaults = {"text": "none", "number": 2.5, "yes_no": True, "date": "2025-03-01T09:30:00Z"}
    rows = []
    for name, kind in field_types.FIELD_TYPES.items():
        target = (
            ", data_type: Lead"
            if kind.needs_target
            else ", option_set: Stage"
            if kind.needs_option_set
            else ""
        )
        default = f", default: {defaults[name]!r}" if name in defaults else ""
        rows.append(f"      - {{name: one_{name}, type: {name}{target}{default}}}")
        if kind.listable:
            rows.append(f"      - {{name: many_{name}, type: {name}{target}, list: true}}")
    return (
        "option_sets:\n  - name: Stage\n    description: Where a lead is\n"
        "    options: [New, {display: Won, color: green, rank: 2}]\n"
        "data_types:\n  - name: Lead\n    plural: Leads\n    display_field: one_text\n"
        "    description: Someone who may buy\n    fields:\n" + "\n".join(rows) + "\n"
    )


def test_every_field_type_exports_and_imports_back_unchanged():
    text = every_field_type()
    assert statuses(imported(text)) == {"Stage": "created", "Lead": "created"}
    before = version()
    assert statuses(imported(text)) == {"Stage": "unchanged", "Lead": "unchanged"}
    exported = yaml_loader.dump_yaml(export_definitions())
    assert statuses(imported(exported)) == {"Stage": "unchanged", "Lead": "unchanged"}
    assert version() == before
    thing = data_types.get_model("Lead").objects.create()
    assert (thing.one_text, thing.one_number, thing.one_yes_no) == ("none", 2.5, True)
    assert thing.one_date.isoformat() == "2025-03-01T09:30:00+00:00"


def test_new_and_existing_types_of_one_file_point_at_each_other(lead_type):
    text = (
        FILE
        + "      - {name: company, type: thing, data_type: company}\n"
        + "  - name: Company\n    fields:\n"
        + "      - {name: name, type: text}\n"
        + "      - {name: leads, type: thing, data_type: Lead, list: true}\n"
    )
    report = imported(text)
    assert statuses(report) == {"Stage": "unchanged", "Lead": "updated", "Company": "created"}
    assert report.data_types[0].notes == ("new fields: company",)
    lead_model, company_model = data_types.get_model("Lead"), data_types.get_model("Company")
    acme = company_model.objects.create(name="Acme")
    ann = lead_model.objects.create(email="ann@example.com", company=acme)
    acme.leads.add(ann)
    assert list(company_model.objects.get(pk=acme.pk).leads.all()) == [ann]
    assert statuses(imported(text))["Lead"] == "unchanged"


def test_what_a_field_points_at_cannot_change(lead_type):
    schema.save_option_set({"name": "Size", "options": ["S", "M"]})
    schema.create_data_type({"name": "Company", "fields": [{"name": "name", "type": "text"}]})
    text = FILE.replace("data_type: User}", "data_type: Company}").replace(
        "option_set: Stage}", "option_set: Size}"
    )
    assert refused(text) == [
        f"app.yaml:{line(text, 'name: owner')}: data type 'Lead', field 'owner', data_type: "
        "a field's type cannot change: Lead.owner is a thing of User, the file makes it a "
        "thing of Company; add a new field (under another name) instead",
        f"app.yaml:{line(text, 'name: stage')}: data type 'Lead', field 'stage', option_set: "
        "a field's type cannot change: Lead.stage is an option of Stage, the file makes it an "
        "option of Size; add a new field (under another name) instead",
    ]


@pytest.mark.parametrize(
    ("text", "needle", "message"),
    [
        ("data_types: {name: Lead}\n", "data_types", "data_types must be a list"),
        ("option_sets: Stage\n", "option_sets", "option_sets must be a list"),
        (
            "data_types:\n  - Lead\n",
            "- Lead",
            "data type #1: a data type is a mapping {name, plural, display_field, "
            "description, fields}",
        ),
        (
            "data_types:\n  - {plural: Leads}\n",
            "plural: Leads",
            "data type #1, name: data type None is not a valid name: use letters, digits and "
            "underscores, starting with a letter",
        ),
        (
            "data_types:\n  - name: 2nd lead\n",
            "2nd lead",
            "data type '2nd lead', name: data type '2nd lead' is not a valid name: use "
            "letters, digits and underscores, starting with a letter",
        ),
        (
            "data_types:\n  - name: Lead\n    fields: {email: text}\n",
            "fields:",
            "data type 'Lead', fields: fields must be a list of fields {name, type, ...}",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n      - email\n",
            "- email",
            "data type 'Lead', fields[0]: a field is a mapping {name, type, ...}",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n      - {name: e-mail, type: text}\n",
            "e-mail",
            "data type 'Lead', field 'e-mail', name: field 'e-mail' is not a valid name: use "
            "letters, digits and underscores, starting with a letter",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n      - {name: email}\n",
            "{name: email}",
            "data type 'Lead', field 'email': unknown field type 'None'; known: text, number",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n"
            "      - {name: email, type: text, required: yes}\n",
            "required: yes",
            "data type 'Lead', field 'email', required: required must be true or false, not 'yes'",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n      - {name: owner, type: thing}\n",
            "name: owner",
            "data type 'Lead', field 'owner': a thing field needs data_type: the type it points to",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n"
            "      - {name: stage, type: option, option_set: Stage, list: true, default: New}\n",
            "name: stage",
            "data type 'Lead', field 'stage', option_set: unknown option set 'Stage'",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n"
            "      - {name: tags, type: text, list: true, unique: true}\n",
            "name: tags",
            "data type 'Lead', field 'tags', list: a list cannot be unique or indexed",
        ),
        (
            "data_types:\n  - name: Lead\n    fields:\n"
            "      - {name: when, type: date, default: tomorrow}\n",
            "tomorrow",
            "data type 'Lead', field 'when', default: the default of a date field is an ISO "
            "8601 date and time",
        ),
        (
            "data_types:\n  - name: Lead\n    display_field: phone\n    fields:\n"
            "      - {name: email, type: text}\n",
            "display_field: phone",
            "data type 'Lead', display_field: display_field 'phone' is not a text, number or "
            "date field of Lead",
        ),
        (
            "option_sets:\n  - name: Stage\n",
            "name: Stage",
            "option set 'Stage', options: options must be a non-empty list",
        ),
        (
            "option_sets:\n  - {name: Stage, options: [New], description: [a]}\n",
            "name: Stage",
            "option set 'Stage', description: description must be text",
        ),
        (
            "option_sets:\n  - {name: Stage, options: [New, {colour: red}]}\n",
            "name: Stage",
            "option set 'Stage', options: ",
        ),
        (
            "data_type:\n  - name: Lead\n",
            "data_type:",
            "unknown key 'data_type' (keys: version, option_sets, data_types, workflows, "
            "privacy_rules)",
        ),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else str(value),
)
def test_each_problem_of_the_sections_is_said_at_its_line(text, needle, message):
    (problem,) = refused(text)
    assert problem.startswith(f"app.yaml:{line(text, needle)}: {message}"), problem
    assert not DataType.objects.exists() and not OptionSet.objects.exists()


def test_a_workflow_of_the_file_may_use_a_field_the_same_file_adds(lead_type):
    text = (
        FILE
        + "      - {name: notes, type: text}\n"
        + """\
workflows:
  - name: note-lead
    parameters: [{key: email, type: text}, {key: notes, type: text}]
    actions:
      - id: lead
        type: create_thing
        data_type: Lead
        fields: {email: "{{ params.email }}", notes: "{{ params.notes }}"}
      - {type: return_data, data: {notes: "{{ steps.lead.notes }}"}}
"""
    )
    (problem,) = refused(text.replace('notes: "{{ params', 'note: "{{ params'))
    assert "workflow 'note-lead', step 1, fields: Lead has no field 'note'" in problem
    assert not DataField.objects.filter(name="notes").exists()  # rolled back with the workflow
    report = imported(text)
    assert statuses(report)["Lead"] == "updated" and report.results[0].status == "created"
    workflow = Workflow.objects.get(name="note-lead")
    result = engine.run(
        workflow, {"email": "ann@example.com", "notes": "called"}, None, ignore_privacy=True
    )
    assert result.ok, result.error
    assert result.response == {"notes": "called"}
    assert data_types.get_model("Lead").objects.get().notes == "called"


def test_a_field_deleted_in_the_admin_comes_back_new_and_empty(lead_type):
    model = data_types.get_model("Lead")
    model.objects.create(email="ann@example.com", phone="123")
    schema.delete_field(DataField.objects.get(name="phone"))
    report = imported(FILE)
    assert report.data_types[0].notes == ("new fields: phone",)
    live, deleted = (
        DataField.objects.get(name="phone", deleted_at__isnull=True),
        DataField.objects.get(name="phone", deleted_at__isnull=False),
    )
    assert live.pk != deleted.pk
    assert data_types.get_model("Lead").objects.get().phone is None  # the old data stays hidden


def test_the_report_says_what_a_change_costs_a_large_table_before_it_runs(lead_type, monkeypatch):
    model = data_types.get_model("Lead")
    model.objects.create(email="ann@example.com")
    model.objects.create(email="bo@example.com")
    monkeypatch.setattr(schema, "LARGE_TABLE", 2)  # two things are a large table here
    text = FILE.replace("{name: phone, type: text}", "{name: phone, type: text, indexed: true}")
    report = imported(text, dry_run=True)
    (notes,) = [r.notes for r in report.data_types]
    assert notes[0] == "changed field phone: indexed"
    assert notes[1].startswith(
        "Lead has about 2 things: making phone indexed for searches builds an index by reading "
        "all of them"
    )
    assert not DataField.objects.get(name="phone").indexed


def test_a_file_adding_many_fields_to_a_type_builds_the_models_once(lead_type, monkeypatch):
    from workflows.data_model import registry

    rebuilds = []
    real = registry.rebuild
    monkeypatch.setattr(registry, "rebuild", lambda *a, **k: rebuilds.append(1) or real(*a, **k))
    fields = "\n".join(f"      - {{name: extra{n}, type: number}}" for n in range(40))
    report = imported(
        f"data_types:\n  - name: Lead\n    display_field: email\n    fields:\n{fields}\n"
    )
    assert statuses(report) == {"Lead": "updated"}
    assert len(rebuilds) == 1
    assert "extra39" in data_types.field_names(data_types.get_model("Lead"))
