"""import_definitions / export_definitions: round trips, idempotency, all-or-nothing, errors."""

from __future__ import annotations

import json

import pytest

from workflows import yaml_loader
from workflows.exceptions import WorkflowNotFound
from workflows.models import Action, Parameter, Workflow
from workflows.transfer import (
    ImportRefused,
    ImportStatus,
    WorkflowFile,
    export_definitions,
    import_definitions,
    workflow_definition,
)

from .conftest import line_of

pytestmark = pytest.mark.django_db

ORDER = {"key": "order", "type": "thing", "data_type": "examples.Order"}

SHOP = """\
version: 1
workflows:
  - name: process-order
    expose: true
    only_when: params.order.total > 0
    parameters:
      - {key: order, type: thing, data_type: examples.Order}
    actions:
      - id: summary
        type: trigger_custom_event
        workflow: order-summary
        params: {order: "{{ params.order }}"}
      - type: return_data
        data: {summary: "{{ steps.summary.text }}"}
  - name: order-summary
    kind: custom_event
    parameters:
      - {key: order, type: thing, data_type: examples.Order}
    actions:
      - type: return_data
        data: {text: "Order {{ params.order.id }}"}
"""


@pytest.fixture
def several(make_workflow):
    """Workflows using most of the format: a trigger, defaults, conditions, multi-line text."""
    make_workflow(
        "notify",
        kind="custom_event",
        description="Tell someone.\nTwo lines.",
        parameters=[
            {"key": "to", "type": "text", "description": "Où ?"},
            {"key": "count", "type": "number", "optional": True, "default": 3},
            {"key": "tags", "type": "text", "list": True, "optional": True},
        ],
        actions=[
            {
                "id": "mail",
                "type": "send_email",
                "label": "The email",
                "only_when": "params.count > 0",
                "to": "{{ params.to }}",
                "subject": "yes",
                "body": "Hello,\n\n{{ params.tags|join(', ') }}\n",
            },
            {"type": "return_data", "data": {"to": "{{ steps.mail.to }}", "n": 1.5}},
        ],
    )
    make_workflow(
        "on-paid",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        only_when="thing.status == 'paid'",
        actions=[
            {
                "type": "trigger_custom_event",
                "workflow": "notify",
                "params": {"to": "{{ thing.customer.email }}"},
            }
        ],
    )
    make_workflow(
        "api-one",
        expose=True,
        auth="none",
        ignore_privacy=True,
        condition_not_met=200,
        timeout=30,
        parameters=[ORDER, {"key": "shop", "type": "text", "querystring": True}],
        actions=[{"type": "log", "message": "12:30", "level": "warning"}],
    )


def dump(document) -> str:
    return yaml_loader.dump_yaml(document)


def snapshot() -> list[tuple]:
    return list(Workflow.objects.values_list("name", "revision", "updated_at"))


def test_export_then_import_into_an_empty_database_gives_the_same_export(several):
    before = dump(export_definitions())
    Workflow.objects.all().delete()
    report = import_definitions([WorkflowFile("all.yaml", before)])
    assert [r.status for r in report.results] == [ImportStatus.CREATED] * 3
    assert dump(export_definitions()) == before
    assert Parameter.objects.count() == 5 and Action.objects.count() == 4
    assert list(Parameter.objects.filter(querystring=True).values_list("key", flat=True)) == [
        "shop"
    ]


def test_the_json_export_round_trips_too(several):
    before = export_definitions()
    text = yaml_loader.dump_json(before)
    Workflow.objects.all().delete()
    import_definitions([WorkflowFile("all.json", text)])
    assert export_definitions() == before == json.loads(text)


def test_export_names_and_order(several):
    document = export_definitions(["on-paid", "api-one"])
    assert document["version"] == 2
    assert [w["name"] for w in document["workflows"]] == ["api-one", "on-paid"]
    assert list(document["workflows"][1])[:4] == ["name", "kind", "expose", "auth"]
    with pytest.raises(WorkflowNotFound, match="'nope'"):
        export_definitions(["api-one", "nope"])


def test_querystring_is_written_only_where_it_is_true(several):
    (api_one,) = export_definitions(["api-one"])["workflows"]
    assert api_one["parameters"] == [ORDER, {"key": "shop", "type": "text", "querystring": True}]
    (notify,) = export_definitions(["notify"])["workflows"]
    assert not any("querystring" in p for p in notify["parameters"])


def test_querystring_on_a_custom_events_parameter_is_refused_where_it_is_written(write):
    text = """\
version: 2
workflows:
  - name: tell
    kind: custom_event
    parameters:
      - key: to
        querystring: true
    actions:
      - {type: log, message: "{{ params.to }}"}
"""
    with pytest.raises(ImportRefused) as caught:
        import_definitions([write("tell.yaml", text)])
    [problem] = caught.value.problems
    assert (problem.workflow, problem.where, problem.line) == (
        "tell",
        "parameters[0].querystring",
        line_of(text, "querystring"),
    )
    assert "only an API workflow is called with a query string" in str(problem)
    assert not Workflow.objects.exists()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(write):
    path = write("shop.yaml", SHOP)
    first = import_definitions([path])
    assert [(r.name, r.status) for r in first.results] == [
        ("process-order", ImportStatus.CREATED),
        ("order-summary", ImportStatus.CREATED),
    ]
    before = snapshot()
    second = import_definitions([path])
    assert [r.status for r in second.results] == [ImportStatus.UNCHANGED] * 2
    assert not second.changed and "0 created, 0 updated, 2 unchanged" in second.summary()
    assert snapshot() == before


def test_a_hand_written_file_with_defaults_left_out_is_idempotent_too():
    text = """\
- name: watcher
  kind: trigger
  data_type: examples.order
  "on": update
  description: null
  actions:
    - {type: log, message: changed, label: null, id: null}
- name: plain
  parameters:
    - key: note
      querystring: false
  actions:
    - {type: log, message: "{{ params.note }}"}
"""
    import_definitions([WorkflowFile("hand.yaml", text)])
    assert Workflow.objects.get(name="watcher").trigger_on == ["update"]
    before = snapshot()
    report = import_definitions([WorkflowFile("hand.yaml", text)])
    assert [r.status for r in report.results] == [ImportStatus.UNCHANGED] * 2
    assert snapshot() == before


def test_a_changed_workflow_is_updated_and_its_revision_moves(write):
    import_definitions([write("shop.yaml", SHOP)])
    revision = Workflow.objects.get(name="order-summary").revision
    changed = SHOP.replace('"Order {{ params.order.id }}"', '"Commande {{ params.order.id }}"')
    report = import_definitions([write("shop.yaml", changed)])
    assert {r.name: r.status for r in report.results} == {
        "process-order": ImportStatus.UNCHANGED,
        "order-summary": ImportStatus.UPDATED,
    }
    updated = Workflow.objects.get(name="order-summary")
    assert updated.revision > revision
    assert workflow_definition(updated)["actions"][0]["data"] == {
        "text": "Commande {{ params.order.id }}"
    }


def test_one_bad_workflow_changes_nothing_and_is_named_with_file_line_and_field(write, several):
    before = dump(export_definitions())
    revisions = snapshot()
    bad = SHOP.replace(
        '      - type: return_data\n        data: {summary: "{{ steps.summary.text }}"}',
        '      - type: send_email\n        to: "{{ params.ordr.customer.email }}"\n'
        "        subject: Hi\n        body: Hi\n"
        '      - type: return_data\n        data: {summary: "{{ steps.summary.text }}"}',
    )
    # A valid change to a stored workflow, in the same file: not applied either.
    bad += '  - name: api-one\n    expose: true\n    actions: [{type: log, message: "x"}]\n'
    path = write("shop.yaml", bad)
    with pytest.raises(ImportRefused) as caught:
        import_definitions([path])
    [problem] = caught.value.problems
    expected_line = line_of(bad, "params.ordr")
    assert str(problem).startswith(
        f"{path}:{expected_line}: workflow 'process-order', step 2, to: unknown parameter 'ordr'"
    )
    assert (problem.workflow, problem.where, problem.line) == (
        "process-order",
        "step 2, to",
        expected_line,
    )
    assert not Workflow.objects.filter(name__in=["process-order", "order-summary"]).exists()
    assert dump(export_definitions()) == before and snapshot() == revisions


def test_every_problem_is_reported_at_once_and_missing_keys_point_at_their_action(write):
    text = """\
version: 1
workflows:
  - name: a
    kind: apii
    actions:
      - type: send_email
        subject: no recipient
        body: x
  - name: b
    actions:
      - type: nope
"""
    with pytest.raises(ImportRefused) as caught:
        import_definitions([write("many.yaml", text)])
    got = {(p.workflow, p.where, p.line) for p in caught.value.problems}
    assert got == {("a", "kind", 4), ("a", "step 1, to", 6), ("b", "step 1, type", 11)}


def test_workflows_of_the_files_may_refer_to_each_other_in_any_order(write):
    report = import_definitions([write("shop.yaml", SHOP)])  # process-order comes first
    assert report.count(ImportStatus.CREATED) == 2
    Workflow.objects.all().delete()
    caller, event = SHOP.split("  - name: order-summary")
    files = [
        write("caller.yaml", caller),
        write("event.yaml", "workflows:\n  - name: order-summary" + event),
    ]
    assert import_definitions(files).count(ImportStatus.CREATED) == 2


def test_a_reference_to_a_workflow_nowhere_is_refused(write):
    caller = SHOP.split("  - name: order-summary")[0]
    with pytest.raises(ImportRefused, match="no workflow named 'order-summary'") as caught:
        import_definitions([write("caller.yaml", caller)])
    assert caught.value.problems[0].line == line_of(caller, "workflow: order-summary")


def test_a_stored_workflow_may_be_referred_to(write, make_workflow):
    make_workflow(
        "order-summary",
        kind="custom_event",
        parameters=[ORDER],
        actions=[{"type": "return_data", "data": {"text": "stored"}}],
    )
    caller = SHOP.split("  - name: order-summary")[0]
    assert import_definitions([write("caller.yaml", caller)]).count(ImportStatus.CREATED) == 1


def test_a_change_that_would_break_a_stored_workflow_is_refused(write, make_workflow):
    import_definitions([write("shop.yaml", SHOP)])
    event_only = "workflows:\n  - name: order-summary" + SHOP.split("  - name: order-summary")[1]
    renamed = event_only.replace("{key: order,", "{key: the_order,").replace(
        "params.order.id", "params.the_order.id"
    )
    with pytest.raises(ImportRefused) as caught:
        import_definitions([write("event.yaml", renamed)])
    [problem] = caught.value.problems
    assert problem.workflow == "process-order" and problem.where == "step 1, params"
    assert "has no parameter 'order'" in problem.message
    assert "would stop working" in problem.message


@pytest.mark.parametrize("split", [False, True])
def test_duplicate_names_are_refused_with_both_places(write, split):
    twice = SHOP + SHOP.split("workflows:\n")[1]
    if split:
        paths = [write("one.yaml", SHOP), write("two.yaml", SHOP)]
    else:
        paths = [write("one.yaml", twice)]
    with pytest.raises(ImportRefused) as caught:
        import_definitions(paths)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 2
    first, second = paths[0], paths[-1]
    second_line = 3 if split else line_of(twice, "name: process-order") + SHOP.count("\n") - 2
    assert messages[0] == (
        f"{second}:{second_line}: workflow 'process-order', name: "
        f"a workflow of this name is also defined at {first}:3"
    )
    assert not Workflow.objects.exists()


def test_json_files_are_read_with_their_lines(write):
    document = yaml_loader.load(SHOP)[0]
    document["workflows"][1]["actions"][0]["data"] = {"text": "{{ params.nope }}"}
    text = json.dumps(document, indent=2)
    for name in ("shop.json", "shop-without-extension"):
        with pytest.raises(ImportRefused) as caught:
            import_definitions([write(name, text)])
        [problem] = caught.value.problems
        assert problem.line == line_of(text, "params.nope") - 1  # the line of "data": {
        assert problem.where == "step 1, data" and problem.workflow == "order-summary"
    document["workflows"][1]["actions"][0]["data"] = {"text": "fine"}
    report = import_definitions([write("shop.json", json.dumps(document))])
    assert report.count(ImportStatus.CREATED) == 2


def test_dry_run_validates_and_reports_but_writes_nothing(write, several):
    before = snapshot()
    report = import_definitions([write("shop.yaml", SHOP)], dry_run=True)
    assert report.dry_run and report.count(ImportStatus.CREATED) == 2
    assert "dry run" in report.summary()
    assert snapshot() == before
    with pytest.raises(ImportRefused):
        import_definitions(
            [write("bad.yaml", SHOP.replace("kind: custom_event", "kind: x"))], dry_run=True
        )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("version: 3\nworkflows: []\n", "version 3 is not supported (this reads 1 and 2)", 1),
        ("version: 1\nworkflow: []\n", "unknown key 'workflow'", 2),
        ("version: 1\nworkflows: {}\n", "workflows must be a list", 2),
        ("just text\n", "expected {version: 2, workflows: [...]}", 1),
        ("version: 1\nworkflows:\n  - name: [\n", "not valid YAML", 4),
        ("workflows:\n  - 3\n", "a workflow must be a mapping", 2),
    ],
)
def test_malformed_files(write, text, message, line):
    with pytest.raises(ImportRefused) as caught:
        import_definitions([write("bad.yaml", text)])
    [problem] = caught.value.problems
    assert message in problem.message and problem.line == line


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(ImportRefused, match="cannot read the file"):
        import_definitions([tmp_path / "missing.yaml"])


def test_keep_existing_leaves_an_edited_workflow_alone(write):
    path = write("shop.yaml", SHOP)
    import_definitions([path])
    Workflow.objects.filter(name="process-order").update(description="edited in the admin")
    report = import_definitions([path], keep_existing=True)
    assert {r.name: r.status for r in report.results} == {
        "process-order": ImportStatus.KEPT,
        "order-summary": ImportStatus.UNCHANGED,
    }
    assert Workflow.objects.get(name="process-order").description == "edited in the admin"
    import_definitions([path])
    assert Workflow.objects.get(name="process-order").description == ""


def test_a_bad_kind_is_reported_once_where_it_is_written(write):
    """Callers of a workflow whose kind is misspelt were also refused, confusingly:
    "'summary' is a custom-event, not a custom event"."""
    text = """\
workflows:
  - name: summary
    kind: custom-event
  - name: caller
    actions:
      - {type: trigger_custom_event, workflow: summary}
      - {type: schedule_workflow, workflow: summary, at: "{{ now }}"}
"""
    with pytest.raises(ImportRefused) as caught:
        import_definitions([write("kinds.yaml", text)])
    assert [(p.workflow, p.where) for p in caught.value.problems] == [("summary", "kind")]
