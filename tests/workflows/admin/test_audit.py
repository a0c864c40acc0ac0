"""The audit trail: every add, change and delete of a workflow in the admin is recorded (who,
when, before and after), nothing for a save that changes nothing; the read-only page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from workflows import audit
from workflows.admin.audit import definition_diff
from workflows.models import DefinitionChange, Workflow

from .conftest import edited, editor_data, send_definition

ADD_URL = "/admin/workflows/workflow/add/"
CHANGES = "/admin/workflows/definitionchange/"
LOG = [{"id": "hello", "type": "log", "message": "hello"}]


@pytest.fixture
def wf(make_workflow) -> Workflow:
    return make_workflow("greet", expose=True, actions=LOG)


def only_change() -> DefinitionChange:
    changes = list(DefinitionChange.objects.all())
    assert len(changes) == 1, changes
    return changes[0]


def test_adding_a_workflow_records_its_definition(root_client, superuser):
    definition = {
        "name": "welcome",
        "kind": "api",
        "auth": "user",
        "timeout": 60,
        "parameters": [{"key": "who", "type": "text"}],
        "actions": [{"type": "log", "message": "hi {{ params.who }}"}],
    }
    response = send_definition(root_client, ADD_URL, definition)
    assert response.status_code == 302, editor_data(response)["issues"]

    change = only_change()
    assert (change.kind, change.name, change.action, change.source) == (
        "workflow",
        "welcome",
        "created",
        "admin",
    )
    assert (change.user, change.username) == (superuser, "root")
    assert change.before is None
    # "after" is the saved definition, parameters and actions included
    assert change.after["name"] == "welcome" and change.after["timeout"] == 60
    assert change.after["parameters"] == [{"key": "who", "type": "text"}]
    assert change.after["actions"] == [{"type": "log", "message": "hi {{ params.who }}"}]


def test_changing_a_workflow_records_before_and_after(root_client, superuser, wf, change_url):
    definition = edited(root_client, change_url(wf))
    definition["description"] = "now described"
    definition["actions"][0]["message"] = "hello again"
    response = send_definition(root_client, change_url(wf), definition)
    assert response.status_code == 302, editor_data(response)["issues"]

    change = only_change()
    assert (change.action, change.name, change.username) == ("changed", "greet", "root")
    assert "description" not in change.before
    assert change.before["actions"][0]["message"] == "hello"
    assert change.after["description"] == "now described"
    assert change.after["actions"][0]["message"] == "hello again"


def test_adding_a_step_is_recorded(root_client, wf, change_url):
    definition = edited(root_client, change_url(wf))
    definition["actions"].append({"type": "log", "message": "second"})
    assert send_definition(root_client, change_url(wf), definition).status_code == 302
    change = only_change()
    assert len(change.before["actions"]) == 1 and len(change.after["actions"]) == 2


def test_saving_without_changes_records_nothing(root_client, wf, change_url):
    definition = edited(root_client, change_url(wf))
    assert send_definition(root_client, change_url(wf), definition).status_code == 302
    assert not DefinitionChange.objects.exists()


def test_a_refused_save_records_nothing(root_client, wf, change_url):
    definition = edited(root_client, change_url(wf))
    definition["only_when"] = "params.nope > 1"  # an unknown parameter: refused at save
    response = send_definition(root_client, change_url(wf), definition)
    assert response.status_code == 200
    assert not DefinitionChange.objects.exists()


def test_deleting_records_the_last_definition(root_client, wf):
    response = root_client.post(f"/admin/workflows/workflow/{wf.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    change = only_change()
    assert (change.action, change.name, change.after) == ("deleted", "greet", None)
    assert change.before["actions"] == [{"id": "hello", "type": "log", "message": "hello"}]


def test_deleting_several_records_each(root_client, make_workflow):
    ids = [make_workflow(name, actions=LOG).pk for name in ("one", "two")]
    response = root_client.post(
        "/admin/workflows/workflow/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Workflow.objects.exists()
    assert sorted(DefinitionChange.objects.values_list("name", "action")) == [
        ("one", "deleted"),
        ("two", "deleted"),
    ]


def test_the_username_outlives_the_user(superuser, wf):
    audit.record_change(
        kind="workflow",
        name="greet",
        action="changed",
        before={"a": 1},
        after={"a": 2},
        user=superuser,
        source="code",
    )
    superuser.delete()
    change = only_change()
    assert (change.user, change.username) == (None, "root")


def test_record_change_without_a_user_and_with_nothing_changed(db):
    assert (
        audit.record_change(
            kind="workflow",
            name="x",
            action="changed",
            before={"a": 1},
            after={"a": 1},
            user=None,
            source="code",
        )
        is None
    )
    change = audit.record_change(
        kind="privacy_rule",
        name="owner",
        action="created",
        before=None,
        after={"a": 1},
        user=None,
        source="import",
    )
    assert (change.user, change.username, change.kind) == (None, "", "privacy_rule")


# --- the "Definition changes" page -------------------------------------------------------------


def test_the_page_lists_filters_and_shows_a_diff(root_client, wf, change_url):
    definition = edited(root_client, change_url(wf))
    definition["description"] = "described"
    send_definition(root_client, change_url(wf), definition)
    audit.record_change(
        kind="privacy_rule",
        name="owner",
        action="created",
        before=None,
        after={"view": "all"},
        user=None,
        source="import",
    )
    listing = root_client.get(CHANGES)
    assert listing.status_code == 200
    assert [c.name for c in listing.context["cl"].result_list] == ["owner", "greet"]
    rules = root_client.get(CHANGES, {"kind__exact": "privacy_rule"})
    assert [c.name for c in rules.context["cl"].result_list] == ["owner"]
    by_user = root_client.get(CHANGES, {"q": "root"})
    assert [c.name for c in by_user.context["cl"].result_list] == ["greet"]

    change = DefinitionChange.objects.get(name="greet")
    detail = root_client.get(f"{CHANGES}{change.pk}/change/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert '<span class="diff-added">+description: described</span>' in html
    assert 'name="_save"' not in html


def test_the_diff_is_of_yaml_dumps(db):
    change = DefinitionChange(
        before={"name": "a", "timeout": 300}, after={"name": "a", "timeout": 60}
    )
    assert "-timeout: 300" in definition_diff(change)
    assert "+timeout: 60" in definition_diff(change)
    created = DefinitionChange(before=None, after={"name": "a"})
    assert "+name: a" in definition_diff(created)


def test_the_page_is_read_only(root_client, wf):
    change = audit.record_change(
        kind="workflow",
        name="greet",
        action="deleted",
        before={"a": 1},
        after=None,
        user=None,
        source="code",
    )
    assert root_client.get(CHANGES + "add/").status_code == 403
    url = f"{CHANGES}{change.pk}/change/"
    root_client.post(url, {"name": "forged"})
    assert root_client.post(f"{CHANGES}{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DefinitionChange.objects.get(pk=change.pk).name == "greet"


def test_a_workflows_page_links_to_its_history_for_those_who_may_read_it(
    root_client, wf, change_url, staff_user
):
    html = root_client.get(change_url(wf)).content.decode()
    assert f"{CHANGES}?kind__exact=workflow&amp;name=greet" in html
    history = root_client.get(CHANGES, {"kind__exact": "workflow", "name": "greet"})
    assert history.status_code == 200

    for codename in ("view_workflow", "change_workflow"):
        staff_user.user_permissions.add(
            Permission.objects.get(content_type__app_label="workflows", codename=codename)
        )
    client = Client()
    client.force_login(staff_user)
    page = client.get(change_url(wf))
    assert page.status_code == 200 and "Definition history" not in page.content.decode()
    assert client.get(CHANGES).status_code == 403
