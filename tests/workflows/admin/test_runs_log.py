"""The Runs log: read-only, filterable, steps in order, user data escaped."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from workflows.choices import RunSource, RunStatus, StepStatus
from workflows.models import Run, StepRun

CHANGELIST = "/admin/workflows/run/"


@pytest.fixture
def wf(make_workflow):
    return make_workflow("process-order", actions=[{"type": "log", "message": "x"}])


@pytest.fixture
def run(make_run, wf, user):
    parent = make_run(wf, source=RunSource.API)
    run = make_run(
        wf,
        actor=user,
        parent=parent,
        source=RunSource.SCHEDULED,
        params={"note": "<script>alert('p')</script>"},
        result={"ok": True},
        steps=[
            {"step_id": "first", "inputs": {"html": "<b>bold</b>"}, "output": {"n": 1}},
            {"action_type": "return_data", "status": StepStatus.SKIPPED, "condition_result": False},
        ],
    )
    make_run(wf, parent=run, source=RunSource.CUSTOM_EVENT)
    return run


def change_url(run) -> str:
    return f"/admin/workflows/run/{run.pk}/change/"


def test_changelist_shows_runs_and_filters(root_client, run, make_run):
    make_run(workflow_name="other", status=RunStatus.FAILED)
    response = root_client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"process-order" in response.content and b"other" in response.content
    cl = response.context["cl"]
    assert cl.show_full_result_count is False
    assert cl.date_hierarchy is None

    failed = root_client.get(CHANGELIST, {"status__exact": "failed"})
    assert list(failed.context["cl"].result_list.values_list("workflow_name", flat=True)) == [
        "other"
    ]
    by_workflow = root_client.get(CHANGELIST, {"workflow__id__exact": run.workflow_id})
    assert len(by_workflow.context["cl"].result_list) == 3
    by_source = root_client.get(CHANGELIST, {"source__exact": "scheduled"})
    assert list(by_source.context["cl"].result_list) == [run]
    # the "Today" choice of the started_at date filter
    spec = next(f for f in cl.filter_specs if getattr(f, "field_path", "") == "started_at")
    today = next(c for c in spec.choices(cl) if c["display"] == "Today")
    response = root_client.get(CHANGELIST + today["query_string"])
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 4


def test_search_by_workflow_name_and_by_run_id(root_client, run, make_run):
    make_run(workflow_name="other")
    by_name = root_client.get(CHANGELIST, {"q": "other"})
    assert [r.workflow_name for r in by_name.context["cl"].result_list] == ["other"]
    by_id = root_client.get(CHANGELIST, {"q": str(run.pk)})
    assert list(by_id.context["cl"].result_list) == [run]


def test_detail_shows_fields_links_and_steps_escaped(root_client, run):
    response = root_client.get(change_url(run))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert('p')</script>" not in html
    assert "&lt;script&gt;alert(&#x27;p&#x27;)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert f"/admin/workflows/run/{run.parent_id}/change/" in html
    child = Run.objects.get(parent=run)
    assert f"/admin/workflows/run/{child.pk}/change/" in html
    assert f"/admin/workflows/workflow/{run.workflow_id}/change/" in html
    steps = response.context["inline_admin_formsets"][0].formset.forms
    assert [f.instance.step_id for f in steps] == ["first", ""]
    assert "Skipped (only when was false)" in html
    # read-only: no inputs to edit, no save button
    assert 'name="_save"' not in html
    assert 'name="steps-0-step_id"' not in html


def test_the_log_cannot_be_written(root_client, run):
    assert root_client.get("/admin/workflows/run/add/").status_code == 403
    assert root_client.post(change_url(run), {"status": "failed"}).status_code == 403
    assert root_client.get(f"/admin/workflows/run/{run.pk}/delete/").status_code == 403
    assert (
        root_client.post(f"/admin/workflows/run/{run.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = root_client.get(CHANGELIST)
    assert "delete_selected" not in response.content.decode()
    response = root_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [str(run.pk)], "post": "yes"}
    )
    assert Run.objects.filter(pk=run.pk).exists()
    assert StepRun.objects.filter(run=run).count() == 2
    assert Run.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED


def test_staff_with_view_permission_see_runs_and_steps(staff_user, run):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_run"))
    client = Client()
    client.force_login(staff_user)
    assert client.get(CHANGELIST).status_code == 200
    response = client.get(change_url(run))
    assert response.status_code == 200
    assert len(response.context["inline_admin_formsets"][0].formset.forms) == 2


def test_staff_without_permission_cannot_see_runs(staff_user, run):
    client = Client()
    client.force_login(staff_user)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(run)).status_code == 403


def test_durations_are_rounded_in_the_list_the_detail_and_the_steps(root_client, wf, make_run):
    run = make_run(
        wf,
        duration_ms=3.9812420000089332,
        steps=[{"step_id": "first", "duration_ms": 1234.5678}],
    )
    listing = root_client.get(CHANGELIST).content.decode()
    assert "3.98 ms" in listing and "3.9812" not in listing
    detail = root_client.get(change_url(run)).content.decode()
    assert "3.98 ms" in detail and "3.9812" not in detail
    assert "1,234.57 ms" in detail and "1234.5678" not in detail
