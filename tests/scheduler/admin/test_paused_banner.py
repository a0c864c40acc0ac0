"""While the scheduler or a workflow is paused, every admin page says so, for one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduler.models import Pause

from .conftest import CHANGELIST

PAGES = [
    "/admin/",
    "/admin/workflows/workflow/",
    "/admin/workflows/run/",
    "/admin/workflows/datatype/",
    "/admin/auth/user/",
    CHANGELIST,
    "/admin/scheduler/recurringevent/",
    "/admin/scheduler/scheduledrun/add/",
    "/admin/password_change/",
]


def pause_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if '"scheduler_pause"' in q["sql"]]


@pytest.mark.parametrize("url", PAGES)
def test_every_admin_page_says_the_scheduler_is_paused(root_client, superuser, url):
    assert 'id="sched-paused-banner"' not in root_client.get(url).content.decode()
    Pause.objects.create(key=Pause.key_for(None), paused_by=superuser)
    with CaptureQueriesContext(connection) as ctx:
        response = root_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sched-scheduler-paused"' in html
    assert "The scheduler is paused by root since" in html
    assert f'href="{reverse("admin:scheduler_scheduledrun_resume")}?next=' in html
    assert len(pause_queries(ctx.captured_queries)) == 1  # read once per request


def test_a_paused_workflow_is_named_on_every_page(root_client, wf):
    Pause.objects.create(key=Pause.key_for(wf), workflow=wf)
    html = root_client.get("/admin/workflows/workflow/").content.decode()
    assert "Workflow <strong>send-reminder</strong> is paused since" in html
    assert f"workflow={wf.pk}" in html  # its own Resume link
    assert 'id="sched-scheduler-paused"' not in html


def test_no_banner_and_no_query_on_the_login_page(superuser):
    Pause.objects.create(key=Pause.key_for(None))
    with CaptureQueriesContext(connection) as ctx:
        response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert "sched-paused-banner" not in response.content.decode()
    assert pause_queries(ctx.captured_queries) == []


def test_resume_is_offered_only_to_who_may_resume(staff_client):
    Pause.objects.create(key=Pause.key_for(None))
    viewer = staff_client("workflows.view_workflow")
    html = viewer.get("/admin/workflows/workflow/").content.decode()
    assert 'id="sched-scheduler-paused"' in html  # everyone is told
    assert "Resume…" not in html
    assert reverse("admin:scheduler_scheduledrun_changelist") not in html  # may not see it

    resumer = staff_client("workflows.view_workflow", "scheduler.delete_pause")
    assert "Resume…" in resumer.get("/admin/workflows/workflow/").content.decode()
