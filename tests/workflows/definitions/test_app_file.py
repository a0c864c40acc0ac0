"""One file holds a small app's whole backend — an option set, two data types that point at
each other and at User, a privacy rule and workflows that use them — and imports into an
empty project with ``import_workflows``: all of it or nothing, the second time nothing.
Then its exposed workflow is called over HTTP with an API key (docs/import-export.md)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.workflows.data_model.conftest import data_model  # noqa: F401
from workflows import data_types
from workflows.models import (
    DataField,
    DataType,
    DefinitionChange,
    OptionSet,
    PrivacyRule,
    SchemaVersion,
    Workflow,
)

from .conftest import line_of

pytestmark = pytest.mark.usefixtures("data_model")

APP = """\
version: 2
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
      - {name: company, type: thing, data_type: Company}
      - {name: tags, type: text, list: true}
      - {name: stage, type: option, option_set: Stage}
  - name: Company
    plural: Companies
    display_field: name
    fields:
      - {name: name, type: text, required: true}
      - {name: first_lead, type: thing, data_type: Lead}
      - {name: leads, type: thing, data_type: Lead, list: true}
privacy_rules:
  - data_type: Lead
    name: owner-sees-own
    when: thing.owner == current_user
    view: all
    find_in_searches: true
  - data_type: Company
    everyone_else: true
    view: all
    find_in_searches: true
workflows:
  - name: new-lead
    expose: true
    auth: user
    parameters:
      - {key: email, type: text}
      - {key: company, type: text}
      - {key: score, type: number, optional: true, default: 1}
    actions:
      - id: company
        type: trigger_custom_event
        workflow: company-named
        params: {name: "{{ params.company }}"}
      - id: lead
        type: create_thing
        data_type: Lead
        fields:
          email: "{{ params.email }}"
          score: "{{ params.score }}"
          owner: "{{ current_user }}"
          company: "{{ steps.company.company }}"
          tags: [web]
      - type: make_changes
        thing: "{{ steps.company.company }}"
        changes:
          first_lead: "{{ steps.lead }}"
          leads: "{{ [steps.lead] }}"
      - type: return_data
        data:
          id: "{{ steps.lead.id }}"
          email: "{{ steps.lead.email }}"
          score: "{{ steps.lead.score }}"
          owner: "{{ steps.lead.owner.username }}"
          company: "{{ steps.lead.company.name }}"
          mine: "{{ search('Lead', owner=current_user) | count }}"
  - name: company-named
    kind: custom_event
    parameters:
      - {key: name, type: text}
    actions:
      - id: made
        type: create_thing
        data_type: Company
        fields: {name: "{{ params.name }}"}
      - type: return_data
        data: {company: "{{ steps.made }}"}
"""


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def thing_tables() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return [t for t in names if t.startswith("things_")]


def test_the_file_imports_into_an_empty_project_and_its_workflow_answers_over_http(
    write, call, user, key
):
    path = write("app.yaml", APP)
    out = run("import_workflows", str(path))
    assert f"created  option set Stage  ({path})" in out
    assert f"created  data type Lead  ({path})" in out
    assert f"created  data type Company  ({path})" in out
    assert f"created  new-lead  ({path})" in out
    assert (
        "option sets: 1 created, 0 updated, 0 unchanged; "
        "data types: 2 created, 0 updated, 0 unchanged; "
        "workflows: 2 created, 0 updated, 0 unchanged; "
        "privacy rules: 2 created, 0 updated, 0 unchanged." in out
    )
    lead, company = DataType.objects.get(name="Lead"), DataType.objects.get(name="Company")
    assert DataField.objects.get(data_type=lead, name="company").target_type == company
    assert DataField.objects.get(data_type=company, name="leads").target_type == lead
    assert len(thing_tables()) >= 2  # the tables, and the join table of Company.leads
    # one change of the data model: one version, its audit records named "import"
    assert SchemaVersion.objects.get().version == 1
    sources = set(DefinitionChange.objects.values_list("kind", "source"))
    assert ("data_type", "import") in sources and ("option_set", "import") in sources

    answer = call("new-lead", {"email": "ann@example.com", "company": "Acme"}, key=key)
    assert answer.status_code == 200, answer.content
    response = answer.json()["response"]
    assert response == {
        "id": response["id"],
        "email": "ann@example.com",
        "score": 1,
        "owner": user.username,
        "company": "Acme",
        "mine": 1,
    }
    stored = data_types.get_model("Lead").objects.get(pk=response["id"])
    assert stored.owner == user and stored.tags == ["web"] and stored.score == 1
    acme = data_types.get_model("Company").objects.get(name="Acme")
    assert acme.first_lead == stored and list(acme.leads.all()) == [stored]
    assert stored.company == acme and stored.created_by == user

    out = run("import_workflows", str(path))
    statuses = {line.split()[0] for line in out.splitlines()[:-1]}
    assert statuses == {"unchanged"}, out
    assert (
        "option sets: 0 created, 0 updated, 1 unchanged; "
        "data types: 0 created, 0 updated, 2 unchanged; "
        "workflows: 0 created, 0 updated, 2 unchanged; "
        "privacy rules: 0 created, 0 updated, 2 unchanged." in out
    )
    assert SchemaVersion.objects.get().version == 1  # the data model was not touched


def test_the_export_of_the_imported_app_imports_back_unchanged(write):
    run("import_workflows", str(write("app.yaml", APP)))
    exported = write("exported.yaml", run("export_workflows"))
    text = exported.read_text()
    assert text.index("option_sets:") < text.index("data_types:") < text.index("workflows:")
    out = run("import_workflows", str(exported))
    assert "option sets: 0 created, 0 updated, 1 unchanged" in out
    assert "data types: 0 created, 0 updated, 2 unchanged" in out


@pytest.mark.parametrize(
    ("broken", "needle", "words"),
    [
        (
            APP.replace('score: "{{ params.score }}"', 'scor: "{{ params.score }}"'),
            "scor:",  # the problem is the step's fields, two lines up
            "workflow 'new-lead', step 2, fields: Lead has no field 'scor'",
        ),
        (
            APP.replace(
                "data_type: Company\n        fields: {name:",
                "data_type: Compny\n        fields: {name:",
            ),
            "data_type: Compny",
            "workflow 'company-named', step 1, data_type: unknown data type 'Compny'",
        ),
        (
            APP.replace("{name: phone, type: text}", "{name: phone, type: phone_number}"),
            "name: phone",
            "data type 'Lead', field 'phone', type: unknown field type 'phone_number'; known: "
            "text, number",
        ),
    ],
    ids=["unknown-field", "unknown-type", "unknown-field-type"],
)
def test_a_broken_file_imports_nothing_and_says_where(write, broken, needle, words):
    path = write("app.yaml", broken)
    with pytest.raises(CommandError) as caught:
        run("import_workflows", str(path))
    message = str(caught.value)
    line = line_of(broken, needle) - (2 if needle == "scor:" else 0)
    assert f"{path}:{line}: {words}" in message, message
    assert message.endswith("nothing was imported.")
    assert thing_tables() == []
    assert not DataType.objects.exists() and not DataField.objects.exists()
    assert not OptionSet.objects.exists() and not Workflow.objects.exists()
    assert not PrivacyRule.objects.filter(data_type__in=["Lead", "Company"]).exists()
    assert not DefinitionChange.objects.exists()
    assert "Lead" not in data_types.allowed_labels()  # the models were built again
    # and the good file still imports after the refusal, in the same process
    out = run("import_workflows", str(write("good.yaml", APP)))
    assert "data types: 2 created" in out


def test_a_dry_run_prints_the_plan_and_delete_missing_fields_deletes(write):
    path = write("app.yaml", APP)
    run("import_workflows", str(path))
    changed = write(
        "changed.yaml",
        APP.replace("      - {name: phone, type: text}\n", "").replace(
            "{name: name, type: text, required: true}",
            "{name: name, type: text, required: true, unique: true}\n"
            "      - {name: website, type: text}",
        ),
    )
    out = run("import_workflows", "--dry-run", "--delete-missing-fields", str(changed))
    assert out.splitlines()[:6] == [
        f"unchanged  option set Stage  ({changed})",
        f"updated    data type Lead  ({changed})",
        "             fields not in the file, deleted (restorable): phone",
        f"updated    data type Company  ({changed})",
        "             new fields: website",
        "             changed field name: unique",
    ]
    assert "data types: 0 created, 2 updated, 0 unchanged;" in out
    assert out.endswith(
        "privacy rules: 0 created, 0 updated, 2 unchanged (dry run: nothing written).\n"
    )
    assert not DataField.objects.filter(name="website").exists()
    assert DataField.objects.get(name="phone").deleted_at is None
    out = run("import_workflows", "--delete-missing-fields", str(changed))
    assert "data types: 0 created, 2 updated, 0 unchanged;" in out
    assert DataField.objects.get(name="phone").is_deleted
    assert DataField.objects.get(name="name").unique


def test_export_to_a_file_counts_what_it_wrote(write, tmp_path):
    run("import_workflows", str(write("app.yaml", APP)))
    target = tmp_path / "out.yaml"
    err = StringIO()
    call_command("export_workflows", "-o", str(target), stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == (
        f"Exported 1 option set, 2 data types, 2 workflows to {target}."
    )
