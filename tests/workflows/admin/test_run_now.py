"""The "Run now" page: a form from the parameters, the run, its steps and its result."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from workflows.choices import RunSource, RunStatus
from workflows.models import Run

from .conftest import ORDER_PARAM

#: the box that says "yes, on live data"
LIVE = {"_confirm_live": "on"}


def run_url(workflow) -> str:
    return f"/admin/workflows/workflow/{workflow.pk}/run/"


@pytest.fixture
def process_order(make_workflow):
    return make_workflow(
        "process-order",
        parameters=[
            ORDER_PARAM,
            {"key": "note", "type": "text", "optional": True, "description": "<b>why</b>"},
            {"key": "count", "type": "number", "default": 2},
            {"key": "urgent", "type": "yes_no", "optional": True},
            {"key": "tags", "type": "text", "list": True, "optional": True},
            {"key": "when", "type": "date", "optional": True},
        ],
        actions=[
            {
                "id": "paid",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"status": "paid"},
            },
            {"type": "log", "message": "skipped", "only_when": "params.urgent"},
            {
                "type": "return_data",
                "data": {
                    "order": "{{ params.order.id }}",
                    "count": "{{ params.count }}",
                    "tags": "{{ params.tags }}",
                },
            },
        ],
    )


def test_the_change_form_links_to_run_now(root_client, process_order, change_url):
    html = root_client.get(change_url(process_order)).content.decode()
    assert f'href="{run_url(process_order)}"' in html


def test_get_shows_a_field_per_parameter(root_client, process_order):
    response = root_client.get(run_url(process_order))
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "order",
        "note",
        "count",
        "urgent",
        "tags",
        "when",
        "_confirm_live",
    ]
    assert form.fields["order"].required and not form.fields["note"].required
    assert not form.fields["count"].required and form.fields["count"].initial == "2"
    assert "examples.Order" in form.fields["order"].help_text
    html = response.content.decode()
    assert "&lt;b&gt;why&lt;/b&gt;" in html and "<b>why</b>" not in html
    assert "csrfmiddlewaretoken" in html


def test_post_runs_the_workflow_and_shows_steps_and_result(
    root_client, process_order, order, superuser
):
    response = root_client.post(
        run_url(process_order),
        {**LIVE, "order": str(order.pk), "tags": "a\r\n\r\nb\r\n", "urgent": "no"},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and result.response == {"order": order.pk, "count": 2, "tags": ["a", "b"]}
    run = Run.objects.get()
    assert (run.source, run.actor, run.status) == (RunSource.ADMIN, superuser, RunStatus.SUCCEEDED)
    order.refresh_from_db()
    assert order.status == "paid"

    html = response.content.decode()
    assert "Succeeded" in html
    assert f"/admin/workflows/run/{run.pk}/change/" in html
    assert "&quot;count&quot;: 2" in html  # the returned data, pretty-printed and escaped
    steps = [row["step"] for row in response.context["steps"]]
    assert [(s.position, s.step_id, s.action_type, s.status) for s in steps] == [
        (1, "paid", "make_changes", "succeeded"),
        (2, "", "log", "skipped"),
        (3, "", "return_data", "succeeded"),
    ]
    assert steps[1].condition_result is False
    assert "Skipped (only when was false)" in html


def test_a_missing_required_parameter_is_shown_on_its_field(root_client, process_order):
    response = root_client.post(run_url(process_order), {**LIVE, "note": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["order"]
    assert "result" not in response.context
    assert not Run.objects.exists()


def test_engine_parameter_errors_are_shown_on_the_right_field(root_client, process_order, order):
    response = root_client.post(run_url(process_order), {**LIVE, "order": "999999"})
    assert "no examples.Order with id" in response.context["form"].errors["order"][0]

    response = root_client.post(
        run_url(process_order), {**LIVE, "order": order.pk, "count": "many"}
    )
    assert "expected a number" in response.context["form"].errors["count"][0]

    response = root_client.post(run_url(process_order), {**LIVE, "order": order.pk, "when": "soon"})
    assert "ISO 8601" in response.context["form"].errors["when"][0]
    assert not Run.objects.exists()


def test_a_failing_run_shows_its_error_and_steps(root_client, make_workflow):
    wf = make_workflow(
        "fails",
        kind="custom_event",
        parameters=[{"key": "email", "type": "text"}],
        actions=[
            {"type": "log", "message": "start"},
            {"type": "send_email", "to": "{{ params.email }}", "subject": "s", "body": "b"},
            {"type": "log", "message": "never"},
        ],
    )
    response = root_client.post(run_url(wf), {**LIVE, "email": "<not an address>"})
    result = response.context["result"]
    assert result.run.status == RunStatus.FAILED
    html = response.content.decode()
    assert "&lt;not an address&gt;" in html and "<not an address>" not in html
    statuses = [row["step"].status for row in response.context["steps"]]
    assert statuses == ["succeeded", "failed", "not_run"]


def test_custom_events_return_data(root_client, make_workflow):
    wf = make_workflow(
        "summary",
        kind="custom_event",
        actions=[{"type": "return_data", "data": {"ok": True}}],
    )
    response = root_client.post(
        run_url(wf),
        {
            **LIVE,
        },
    )
    assert response.context["result"].response == {"ok": True}


def test_triggers_cannot_be_run_from_here(root_client, make_workflow):
    wf = make_workflow(
        "on-paid",
        kind="trigger",
        data_type="examples.Order",
        on=["update"],
        actions=[{"type": "log", "message": "x"}],
    )
    response = root_client.post(
        run_url(wf),
        {
            **LIVE,
        },
    )
    assert response.status_code == 200
    assert "form" not in response.context
    assert not Run.objects.exists()


def test_staff_without_the_permission_get_403(staff_user, process_order, order):
    client = Client()
    client.force_login(staff_user)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_workflow"))
    assert client.get(run_url(process_order)).status_code == 403
    assert client.post(run_url(process_order), {**LIVE, "order": order.pk}).status_code == 403
    assert not Run.objects.exists()

    staff_user.user_permissions.add(Permission.objects.get(codename="run_workflow"))
    client.force_login(staff_user)  # fresh permission cache
    assert client.get(run_url(process_order)).status_code == 200


def test_non_staff_users_are_sent_to_the_login_page(user, process_order, order):
    client = Client()
    client.force_login(user)
    response = client.post(run_url(process_order), {**LIVE, "order": order.pk})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Run.objects.exists()


def test_the_form_is_csrf_protected(superuser, process_order, order):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.post(run_url(process_order), {**LIVE, "order": order.pk}).status_code == 403
    assert not Run.objects.exists()


@pytest.fixture
def with_file(make_workflow):
    return make_workflow(
        "with-file",
        parameters=[{"key": "doc", "type": "file"}],
        actions=[{"type": "return_data", "data": {"name": "{{ params.doc.name }}"}}],
    )


def test_a_file_parameter_takes_a_url(root_client, with_file):
    response = root_client.post(
        run_url(with_file), {**LIVE, "doc__url": "https://example.com/a/report.pdf"}
    )
    assert response.context["result"].response == {"name": "report.pdf"}


def test_a_file_parameter_takes_an_upload(root_client, with_file, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = root_client.post(run_url(with_file), {**LIVE, "doc": upload})
    assert response.context["result"].response == {"name": "notes.txt"}
    assert list(tmp_path.rglob("notes.txt"))


def test_a_missing_file_is_reported_on_its_field(root_client, with_file):
    response = root_client.post(
        run_url(with_file),
        {
            **LIVE,
        },
    )
    assert "missing required parameter 'doc'" in response.context["form"].errors["doc"][0]


def test_a_secret_parameter_is_a_password_field_never_sent_back(root_client, make_workflow):
    workflow = make_workflow(
        "login",
        parameters=[
            {"key": "password", "type": "text", "secret": True},
            {"key": "count", "type": "number"},
        ],
        actions=[{"type": "log", "message": "ok"}],
    )
    page = root_client.get(run_url(workflow)).content.decode()
    assert 'type="password"' in page
    # a failing run re-renders the form: the secret is not in the page
    response = root_client.post(
        run_url(workflow), {**LIVE, "password": "hunter2-xyz", "count": "x"}
    )
    assert response.status_code == 200
    assert "hunter2-xyz" not in response.content.decode()


def test_running_on_live_data_must_be_confirmed(root_client, process_order, order):
    response = root_client.post(run_url(process_order), {"order": str(order.pk)})
    assert "Tick this box" in str(response.context["form"].errors["_confirm_live"])
    assert "result" not in response.context and not Run.objects.exists()
    order.refresh_from_db()
    assert order.status == "new"
