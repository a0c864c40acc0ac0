"""Re-running a finished run from its page: a confirmation, then one new run of the same
workflow with the same parameters, as the same user, linked to the old one."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client

from workflows import engine
from workflows.choices import RunSource, RunStatus
from workflows.models import Run

from .conftest import ORDER_PARAM


def rerun_url(run: Run) -> str:
    return f"/admin/workflows/run/{run.pk}/rerun/"


def page_url(run: Run) -> str:
    return f"/admin/workflows/run/{run.pk}/change/"


@pytest.fixture
def process_order(make_workflow):
    return make_workflow(
        "process-order",
        parameters=[
            ORDER_PARAM,
            {"key": "note", "type": "text", "optional": True},
            {"key": "tags", "type": "text", "list": True, "optional": True},
        ],
        actions=[
            {
                "id": "paid",
                "type": "make_changes",
                "thing": "{{ params.order }}",
                "changes": {"note": "{{ params.note }} by {{ current_user.username }}"},
            },
            {
                "type": "return_data",
                "data": {"order": "{{ params.order.id }}", "who": "{{ current_user.username }}"},
            },
        ],
    )


@pytest.fixture
def original(process_order, order, user) -> Run:
    """A finished run of process-order, made through the engine as an API call would."""
    result = engine.run(
        process_order,
        {"order": order.pk, "note": "first", "tags": ["a", "b"]},
        user,
        source=RunSource.API,
    )
    assert result.ok, result.error
    return result.run


def confirm(client: Client, run: Run) -> str:
    """The confirmation page's key (the new run's id), as the form would send it."""
    response = client.get(rerun_url(run))
    assert response.status_code == 200, response.status_code
    return str(response.context["key"])


def test_the_page_offers_a_rerun_and_the_confirmation_says_what_it_will_do(
    root_client, original, order
):
    html = root_client.get(page_url(original)).content.decode()
    assert f'href="{rerun_url(original)}"' in html
    response = root_client.get(rerun_url(original))
    html = response.content.decode()
    assert response.status_code == 200
    assert "as\n      <strong>alice</strong>, the user the run ran as" in html
    assert "on live data" in html
    assert (
        dict((k, v) for k, v in response.context["params"])["note"]
        == '<span class="wf-text">first</span>'
    )
    assert 'name="key"' in html and "csrfmiddlewaretoken" in html
    assert Run.objects.count() == 1  # showing the page runs nothing


def test_confirming_runs_it_again_as_the_same_user_linked_to_the_original(
    root_client, original, order, superuser
):
    key = confirm(root_client, original)
    response = root_client.post(rerun_url(original), {"key": key})
    new = Run.objects.get(pk=key)
    assert response.status_code == 302 and response["Location"] == page_url(new)
    assert new.rerun_of == original
    assert new.workflow_id == original.workflow_id
    assert new.source == RunSource.ADMIN and new.status == RunStatus.SUCCEEDED
    assert new.actor_id == original.actor_id
    assert new.params == original.params
    assert new.result == {"order": order.pk, "who": "alice"}
    assert list(new.steps.values_list("position", flat=True)) == [1, 2]
    order.refresh_from_db()
    assert order.note == "first by alice"  # the engine ran it: its effects are real
    # the admin who asked is in the new run's history, and on its page
    entry = LogEntry.objects.get(object_id=str(new.pk))
    assert entry.user == superuser and str(original.pk) in entry.change_message
    html = root_client.get(page_url(new)).content.decode()
    assert "Re-run of" in html and "asked by root" in html
    assert (
        f"/admin/workflows/run/{new.pk}/change/"
        in root_client.get(page_url(original)).content.decode()
    )


def test_sending_the_confirmation_twice_makes_one_run(root_client, original):
    key = confirm(root_client, original)
    first = root_client.post(rerun_url(original), {"key": key})
    second = root_client.post(rerun_url(original), {"key": key}, follow=True)
    assert Run.objects.filter(rerun_of=original).count() == 1
    assert second.redirect_chain[-1][0] == first["Location"]
    assert any("already made" in str(m) for m in second.context["messages"])


def test_two_confirmations_sent_at_once_make_one_run(root_client, original, monkeypatch):
    """Both pass the "already made?" look-up; the second's INSERT of the same id fails
    before it does anything, and it shows the run the first one made."""
    from workflows.admin import rerun

    key = confirm(root_client, original)
    real = rerun.rerun

    def raced(run, key):
        real(run, key)  # the other request, a moment earlier
        return real(run, key)

    monkeypatch.setattr(rerun, "rerun", raced)
    response = root_client.post(rerun_url(original), {"key": key})
    assert response.status_code == 302 and response["Location"] == page_url(Run(pk=key))
    assert Run.objects.filter(rerun_of=original).count() == 1
    assert Run.objects.get(pk=key).steps.count() == 2  # the first one's run, whole


def test_a_key_of_another_run_or_none_is_refused(root_client, original, make_run):
    other = make_run(original.workflow)
    response = root_client.post(rerun_url(original), {"key": str(other.pk)})
    assert response.status_code == 400
    assert "belongs to another run" in response.content.decode()
    response = root_client.post(rerun_url(original), {})
    assert response.status_code == 400 and "confirm again" in response.content.decode()
    assert Run.objects.filter(rerun_of=original).count() == 0


def test_the_post_needs_a_csrf_token(superuser, original):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = client.post(rerun_url(original), {"key": str(uuid.uuid4())})
    assert response.status_code == 403
    assert Run.objects.filter(rerun_of=original).count() == 0


def test_staff_without_the_permission_get_403(staff_user, original):
    staff_user.user_permissions.add(Permission.objects.get(codename="view_run"))
    client = Client()
    client.force_login(staff_user)
    assert 'id="run-rerun"' not in client.get(page_url(original)).content.decode()
    assert client.get(rerun_url(original)).status_code == 403
    assert client.post(rerun_url(original), {"key": str(uuid.uuid4())}).status_code == 403
    assert Run.objects.filter(rerun_of=original).count() == 0
    # the permission alone, without reading runs, is not enough either
    staff_user.user_permissions.set([Permission.objects.get(codename="rerun_run")])
    client.force_login(type(staff_user).objects.get(pk=staff_user.pk))
    assert client.get(rerun_url(original)).status_code == 403


def test_staff_with_the_permission_can_rerun(staff_user, original):
    staff_user.user_permissions.add(
        Permission.objects.get(codename="view_run"), Permission.objects.get(codename="rerun_run")
    )
    client = Client()
    client.force_login(staff_user)
    assert 'id="run-rerun"' in client.get(page_url(original)).content.decode()
    key = confirm(client, original)
    assert client.post(rerun_url(original), {"key": key}).status_code == 302
    assert Run.objects.get(pk=key).actor_id == original.actor_id


def test_a_running_run_cannot_be_rerun(root_client, make_run, process_order):
    running = make_run(process_order, status=RunStatus.RUNNING)
    assert 'id="run-rerun"' not in root_client.get(page_url(running)).content.decode()
    response = root_client.get(rerun_url(running))
    assert "This run cannot be re-run: This run has not finished." in response.content.decode()
    assert 'id="rerun-form"' not in response.content.decode()
    response = root_client.post(rerun_url(running), {"key": str(uuid.uuid4())})
    assert response.status_code == 400
    assert Run.objects.filter(rerun_of=running).count() == 0


def test_a_secret_parameter_is_not_replayed_from_the_masked_log(root_client, make_workflow, user):
    wf = make_workflow(
        "call-partner",
        parameters=[{"key": "api_token", "type": "text", "secret": True}],
        actions=[{"type": "log", "message": "called"}],
    )
    run = engine.run(wf, {"api_token": "s3cr3t-value-123"}, user, source=RunSource.API).run
    response = root_client.get(rerun_url(run))
    assert "Parameter &#x27;api_token&#x27; is secret" in response.content.decode()
    assert root_client.post(rerun_url(run), {"key": str(uuid.uuid4())}).status_code == 400
    assert Run.objects.filter(rerun_of=run).count() == 0


def test_a_trigger_workflow_or_a_deleted_one_cannot_be_rerun(root_client, make_run, make_workflow):
    gone = make_run(workflow_name="deleted-one")
    response = root_client.get(rerun_url(gone))
    assert "Its workflow &#x27;deleted-one&#x27; was deleted." in response.content.decode()
    trigger = make_workflow(
        "on-order",
        kind="trigger",
        data_type="examples.Order",
        on=["create"],
        actions=[{"type": "log", "message": "x"}],
    )
    run = make_run(trigger, source=RunSource.TRIGGER)
    assert "A database trigger" in root_client.get(rerun_url(run)).content.decode()


def test_a_parameter_no_longer_valid_is_shown_and_nothing_runs(root_client, original, order):
    key = confirm(root_client, original)
    order.delete()
    response = root_client.post(rerun_url(original), {"key": key})
    assert response.status_code == 400
    assert "Parameter &#x27;order&#x27;" in response.content.decode()
    assert not Run.objects.filter(pk=key).exists()


def test_a_failed_rerun_is_reported_as_failed(root_client, make_workflow, user):
    wf = make_workflow(
        "fails",
        parameters=[{"key": "n", "type": "number"}],
        actions=[{"type": "return_data", "data": {"x": "{{ 1 / params.n }}"}}],
    )
    run = engine.run(wf, {"n": 0}, user, source=RunSource.API).run
    assert run.status == RunStatus.FAILED
    key = confirm(root_client, run)
    response = root_client.post(rerun_url(run), {"key": key}, follow=True)
    new = Run.objects.get(pk=key)
    assert new.status == RunStatus.FAILED and new.rerun_of == run
    assert any("✗ Failed" in str(m) for m in response.context["messages"])
