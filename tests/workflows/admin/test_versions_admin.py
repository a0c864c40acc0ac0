"""Versions in the admin: deploy to live with what changes, the history, deploy again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from workflows.models import Version, Workflow
from workflows.versions.deploy import deploy

LIST = reverse("admin:workflows_version_changelist")
DEPLOY = reverse("admin:workflows_version_deploy")
GREET = {"actions": [{"type": "return_data", "data": {"w": "hello"}}]}


def staff(django_user_model, *codenames: str) -> Client:
    user = django_user_model.objects.create_user(
        "-".join(codenames)[:150] or "nobody", password="pw-x-123", is_staff=True
    )
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_before_the_first_deploy_the_list_says_what_it_means(root_client):
    html = root_client.get(LIST).content.decode()
    assert 'id="versions-none"' in html and 'id="deploy-to-live"' in html


def test_deploy_page_shows_the_changes_then_deploys_with_a_message(root_client, make_workflow):
    make_workflow("greet", **GREET)
    page = root_client.get(DEPLOY)
    html = page.content.decode()
    assert "Deploy development to live for the first time?" in html
    assert "Workflow greet created" in html and "+  - type: return_data" in html
    missing = root_client.post(DEPLOY, {"message": "  "})
    assert "the message is required" in missing.content.decode()
    assert not Version.objects.exists()
    done = root_client.post(DEPLOY, {"message": "first"})
    version = Version.objects.get()
    assert done["Location"] == reverse("admin:workflows_version_change", args=[version.pk])
    assert (version.message, version.author_name) == ("first", "root")
    nothing = root_client.post(DEPLOY, {"message": "again"}, follow=True)
    assert "Nothing to deploy" in nothing.content.decode() and Version.objects.count() == 1


def test_a_broken_development_version_offers_no_deploy(root_client, make_workflow):
    make_workflow("helper", kind="custom_event", **GREET)
    make_workflow("caller", actions=[{"type": "trigger_custom_event", "workflow": "helper"}])
    Workflow.objects.filter(name="helper").delete()
    html = root_client.get(DEPLOY).content.decode()
    assert 'id="deploy-problems"' in html and "workflow &#x27;caller&#x27;" in html
    assert 'id="deploy-form"' not in html
    refused = root_client.post(DEPLOY, {"message": "try"})
    assert "The deploy was refused" in refused.content.decode()
    assert not Version.objects.exists()


def test_deploying_needs_its_permission(django_user_model, make_workflow):
    make_workflow("greet", **GREET)
    editor = staff(django_user_model, "view_version", "view_workflow")
    assert 'id="deploy-to-live"' not in editor.get(LIST).content.decode()
    assert editor.get(DEPLOY).status_code == 403
    assert editor.post(DEPLOY, {"message": "sneaky"}).status_code == 403
    deployer = staff(django_user_model, "view_version", "deploy_version")
    assert deployer.post(DEPLOY, {"message": "ok"}).status_code == 302
    first = Version.objects.get()
    redeploy = reverse("admin:workflows_version_redeploy", args=[first.pk])
    assert editor.post(redeploy, {"message": "x"}).status_code == 403
    assert Version.objects.count() == 1


def test_a_version_page_shows_its_changes_and_deploys_it_again(root_client, make_workflow):
    make_workflow("greet", **GREET)
    first = deploy(message="first")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"w": "bye"}}])
    second = deploy(message="second")
    html = root_client.get(reverse("admin:workflows_version_change", args=[second.pk])).content
    html = html.decode()
    assert (
        "Workflow greet changed" in html and "-      w: hello" in html and "+      w: bye" in html
    )
    assert 'id="version-redeploy"' not in html  # the live one
    redeploy = reverse("admin:workflows_version_redeploy", args=[first.pk])
    assert root_client.get(redeploy).status_code == 405
    done = root_client.post(redeploy, {"message": "back to 1"})
    third = Version.objects.get(number=3)
    assert done["Location"] == reverse("admin:workflows_version_change", args=[third.pk])
    assert third.restored_from == 1 and third.definition == first.definition
    listing = root_client.get(LIST).content.decode()
    assert "3 <span class='version-live'>live</span>" in listing and "(version 1 again)" in listing


@pytest.mark.parametrize("url", [LIST, DEPLOY])
def test_anonymous_users_are_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_workflows_list_says_which_differ_from_live(root_client, make_workflow):
    changelist = reverse("admin:workflows_workflow_changelist")
    make_workflow("greet", **GREET)
    make_workflow("same", **GREET)
    assert "differs from live" not in root_client.get(changelist).content.decode()
    deploy(message="first")
    make_workflow("greet", actions=[{"type": "return_data", "data": {"w": "bye"}}])
    make_workflow("fresh", **GREET)
    html = root_client.get(changelist).content.decode()
    greet = Workflow.objects.get(name="greet")
    diff_url = reverse("admin:workflows_workflow_live_diff", args=[greet.pk])
    assert f'<a class="live-differs" href="{diff_url}">differs from live</a>' in html
    assert "not live yet" in html and '<span class="live-same">same as live</span>' in html
    diff = root_client.get(diff_url).content.decode()
    assert "Workflow greet changed" in diff and "+      w: bye" in diff


def test_deleting_a_live_workflow_says_live_keeps_it(root_client, make_workflow):
    greet = make_workflow("greet", **GREET)
    delete = reverse("admin:workflows_workflow_delete", args=[greet.pk])
    assert 'id="delete-live-note"' not in root_client.get(delete).content.decode()
    deploy(message="first")
    html = root_client.get(delete).content.decode()
    assert 'id="delete-live-note"' in html and "as version 1 has it" in html


def test_deleting_a_live_workflow_keeps_its_scheduled_runs(root_client, make_workflow):
    """They are not listed for deletion and outlive the row, named (docs/versions.md)."""
    from scheduler import services
    from scheduler.models import ScheduledRun

    greet = make_workflow("greet", **GREET)
    deploy(message="first")
    row = services.schedule(greet, {})
    delete = reverse("admin:workflows_workflow_delete", args=[greet.pk])
    html = root_client.get(delete).content.decode()
    assert "scheduled runs and recurring events are kept" in html
    assert "Scheduled run:" not in html  # not among what the delete takes with it
    root_client.post(delete, {"post": "yes"})
    assert not Workflow.objects.filter(pk=greet.pk).exists()
    row.refresh_from_db()
    assert (row.workflow_id, row.workflow_name) == (None, "greet")
    assert ScheduledRun.objects.count() == 1
