"""The admin: staff only, CSRF on, editing workflows apart from reading runs, ready-made groups."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from scheduler.models import ScheduledRun, Status
from tests.workflows.admin.conftest import edited, send_definition
from workflows.groups import GROUPS, create_missing_groups
from workflows.models import Run, Workflow

LOG = [{"type": "log", "message": "hi"}]
WORKFLOWS = "/admin/workflows/workflow/"
RUNS = "/admin/workflows/run/"
SCHEDULER = "/admin/scheduler/scheduledrun/"
ADMIN_PAGES = [
    "/admin/",
    WORKFLOWS,
    WORKFLOWS + "add/",
    RUNS,
    SCHEDULER,
    "/admin/workflows/apikey/",
    "/admin/workflows/definitionchange/",
]


@pytest.fixture
def wf(make_workflow) -> Workflow:
    return make_workflow("greet", expose=True, actions=LOG)


@pytest.fixture
def run(wf) -> Run:
    return Run.objects.create(workflow=wf, workflow_name=wf.name, status="succeeded")


@pytest.fixture
def staff(db) -> Callable[..., Client]:
    """A client logged in as a staff user with these permissions (or in these groups)."""

    def make(*perms: str, groups: tuple[str, ...] = ()) -> Client:
        user = get_user_model().objects.create_user(
            f"staff{get_user_model().objects.count()}", password="pw-x-123", is_staff=True
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        client = Client()
        client.force_login(user)
        return client

    return make


def login_redirect(response) -> bool:
    return response.status_code == 302 and "/admin/login/" in response["Location"]


# --- staff only ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "active, not staff"])
def test_outsiders_get_the_login_page(user, wf, run, who):
    client = Client()
    if who != "anonymous":
        client.force_login(user)
    for page in [*ADMIN_PAGES, f"{WORKFLOWS}{wf.pk}/change/", f"{RUNS}{run.pk}/change/"]:
        assert login_redirect(client.get(page)), page
    assert login_redirect(client.post(f"{WORKFLOWS}{wf.pk}/delete/", {"post": "yes"}))
    assert Workflow.objects.filter(pk=wf.pk).exists()


def test_a_superuser_sees_every_page(superuser, wf):
    client = Client()
    client.force_login(superuser)
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == 200, page


def test_an_admin_session_does_not_authenticate_api_calls(superuser, make_workflow):
    make_workflow("admins-only", expose=True, auth="admin", actions=LOG)
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = client.post("/api/1.1/wf/admins-only", {}, content_type="application/json")
    assert response.status_code == 401  # keys only: a cookie cannot be ridden (no CSRF hole)
    assert not Run.objects.exists()


# --- CSRF ------------------------------------------------------------------------------------


def test_admin_posts_without_a_csrf_token_are_refused(superuser, wf):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    delete = f"{WORKFLOWS}{wf.pk}/delete/"
    assert client.get(delete).status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Workflow.objects.filter(pk=wf.pk).exists()
    # with the token the page gave, the same post goes through
    token = client.cookies["csrftoken"].value
    response = client.post(delete, {"post": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not Workflow.objects.filter(pk=wf.pk).exists()


def test_the_login_form_needs_a_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "staff", "password": "pw-staff-123"})
    assert response.status_code == 403


# --- editing workflows apart from reading runs -------------------------------------------------


def test_viewing_runs_does_not_let_anyone_edit_workflows(staff, wf, run):
    client = staff("workflows.view_run")
    assert client.get(RUNS).status_code == 200
    assert client.get(f"{RUNS}{run.pk}/change/").status_code == 200
    assert client.get(WORKFLOWS).status_code == 403
    assert client.get(f"{WORKFLOWS}{wf.pk}/change/").status_code == 403
    assert client.get(WORKFLOWS + "add/").status_code == 403
    assert client.post(f"{WORKFLOWS}{wf.pk}/change/", {"name": "renamed"}).status_code == 403
    assert client.post(f"{WORKFLOWS}{wf.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Workflow.objects.get(pk=wf.pk).name == "greet"


def test_viewing_workflows_is_read_only(staff, superuser, wf):
    client = staff("workflows.view_workflow")
    page = client.get(f"{WORKFLOWS}{wf.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(f"{WORKFLOWS}{wf.pk}/change/", {"name": "renamed"}).status_code == 403
    assert client.get(RUNS).status_code == 403


def test_change_permission_edits_workflows_but_does_not_read_runs(staff, superuser, wf, run):
    client = staff("workflows.view_workflow", "workflows.change_workflow")
    page = client.get(f"{WORKFLOWS}{wf.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' in page.content
    definition = edited(client, f"{WORKFLOWS}{wf.pk}/change/")
    definition["description"] = "edited by an editor"
    assert send_definition(client, f"{WORKFLOWS}{wf.pk}/change/", definition).status_code == 302
    assert Workflow.objects.get(pk=wf.pk).description == "edited by an editor"
    assert client.get(RUNS).status_code == 403
    assert client.get(f"{RUNS}{run.pk}/change/").status_code == 403
    assert client.post(f"{WORKFLOWS}{wf.pk}/delete/", {"post": "yes"}).status_code == 403


# --- the ready-made groups ----------------------------------------------------------------------


def perms_of(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_migrate_creates_the_groups_with_their_documented_permissions(db):
    assert perms_of("Workflow editors") == {
        "workflows.add_workflow",
        "workflows.change_workflow",
        "workflows.delete_workflow",
        "workflows.view_workflow",
        "workflows.run_workflow",
        "workflows.view_run",
        "workflows.view_definitionchange",
        "workflows.add_privacyrule",
        "workflows.change_privacyrule",
        "workflows.delete_privacyrule",
        "workflows.view_privacyrule",
        "workflows.view_version",
    }
    assert perms_of("Deployers") == {
        "workflows.view_version",
        "workflows.deploy_version",
        "workflows.view_workflow",
        "workflows.view_definitionchange",
    }
    assert perms_of("Run viewers") == {
        "workflows.view_run",
        "scheduler.view_scheduledrun",
        "scheduler.view_recurringevent",
    }
    assert perms_of("Schedulers") == {
        "scheduler.view_scheduledrun",
        "scheduler.add_scheduledrun",
        "scheduler.change_scheduledrun",
        "scheduler.view_recurringevent",
        "scheduler.change_recurringevent",
    }
    assert perms_of("Data model editors") == {
        "workflows.change_data_model",
        "workflows.view_datatype",
        "workflows.view_optionset",
        "workflows.view_definitionchange",
    }
    assert set(GROUPS) == {
        "Workflow editors",
        "Deployers",
        "Run viewers",
        "Schedulers",
        "Data model editors",
    }


def test_run_viewers_read_runs_and_the_scheduler_only(staff, wf, run):
    client = staff(groups=("Run viewers",))
    assert client.get(RUNS).status_code == 200
    assert client.get(SCHEDULER).status_code == 200
    assert client.get(WORKFLOWS).status_code == 403
    assert client.post(f"{WORKFLOWS}{wf.pk}/change/", {"name": "x"}).status_code == 403


def test_workflow_editors_edit_run_and_read_history(staff, wf):
    client = staff(groups=("Workflow editors",))
    page = client.get(f"{WORKFLOWS}{wf.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Run now" in html and "Definition history" in html
    definition = edited(client, f"{WORKFLOWS}{wf.pk}/change/")
    definition["description"] = "edited"
    assert send_definition(client, f"{WORKFLOWS}{wf.pk}/change/", definition).status_code == 302
    assert client.get(RUNS).status_code == 200
    assert client.get("/admin/workflows/definitionchange/").status_code == 200
    assert client.get(SCHEDULER).status_code == 403


def test_schedulers_cancel_scheduled_runs(staff, wf, later):
    row = ScheduledRun.objects.create(workflow=wf, due_at=later(hours=1))
    client = staff(groups=("Schedulers",))
    data = {"action": "cancel_selected", "index": "0", "_selected_action": [str(row.pk)]}
    assert client.post(SCHEDULER, data).status_code == 200  # asks first
    response = client.post(SCHEDULER, {**data, "confirm": "yes"})
    assert response.status_code == 302
    assert ScheduledRun.objects.get(pk=row.pk).status == Status.CANCELLED
    assert client.get(WORKFLOWS).status_code == 403


def test_after_migrate_existing_groups_are_left_as_the_operator_made_them(db):
    editors = Group.objects.get(name="Workflow editors")
    editors.permissions.remove(Permission.objects.get(codename="delete_workflow"))
    Group.objects.get(name="Run viewers").delete()
    create_missing_groups(sender=None)
    assert "workflows.delete_workflow" not in perms_of("Workflow editors")
    assert "workflows.view_run" in perms_of("Run viewers")  # recreated


def test_ensure_groups_adds_what_is_missing_and_reset_removes_the_rest(db, capsys):
    editors = Group.objects.get(name="Workflow editors")
    editors.permissions.remove(Permission.objects.get(codename="delete_workflow"))
    editors.permissions.add(
        Permission.objects.get(content_type__app_label="workflows", codename="add_apikey")
    )
    call_command("ensure_groups")
    assert "+workflows.delete_workflow" in capsys.readouterr().out
    assert {"workflows.delete_workflow", "workflows.add_apikey"} <= perms_of("Workflow editors")
    call_command("ensure_groups", "--reset")
    assert "-workflows.add_apikey" in capsys.readouterr().out
    assert "workflows.add_apikey" not in perms_of("Workflow editors")
    assert perms_of("Workflow editors") == GROUPS["Workflow editors"]
