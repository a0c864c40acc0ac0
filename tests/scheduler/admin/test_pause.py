"""Pausing and resuming the whole scheduler or one workflow from the Scheduler log."""

from __future__ import annotations

from django.urls import reverse

from scheduler.dispatch import dispatch_due, paused_workflow_ids
from scheduler.models import Pause

from .conftest import CHANGELIST, CONFIRM, asked, at, confirm_data, message_texts

PAUSE = reverse("admin:scheduler_scheduledrun_pause")
RESUME = reverse("admin:scheduler_scheduledrun_resume")


def test_pause_and_resume_the_scheduler(root_client, superuser, sched):
    due = sched(due_at=at(minutes=-1))
    sched(due_at=at(minutes=30))
    sched(due_at=at(days=2))
    page = root_client.get(CHANGELIST).content.decode()
    assert 'id="sched-pause-scheduler"' in page and "sched-scheduler-paused" not in page

    # the button asks first, saying what waits
    confirm = root_client.get(PAUSE, {"next": CHANGELIST + "?status=all"})
    assert asked(confirm) == "Pause the scheduler? 3 scheduled runs will wait."
    assert confirm.context["details"][0] == (
        "No scheduled run starts until it is resumed: 3 waiting, 1 past due now, "
        "1 due in the next hour."
    )
    assert not Pause.objects.exists()
    response = root_client.post(PAUSE, confirm_data(confirm), follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST + "?status=all"
    pause = Pause.objects.get()
    assert pause.key == "scheduler" and pause.workflow is None
    assert pause.paused_by == superuser
    assert paused_workflow_ids() is None
    assert dispatch_due(enqueue=False).queued == []  # nothing is dispatched
    html = response.content.decode()
    assert 'id="sched-scheduler-paused"' in html and "The scheduler is paused" in html
    assert 'id="sched-resume-scheduler"' in html
    assert message_texts(response) == [
        "The scheduler is paused: its scheduled runs wait until it is resumed."
    ]

    again = root_client.post(PAUSE, CONFIRM, follow=True)  # pausing twice is one pause
    assert Pause.objects.count() == 1
    assert message_texts(again) == ["The scheduler was already paused."]

    resume = root_client.get(RESUME)
    assert asked(resume) == "Resume the scheduler? 1 past-due run will start now."
    assert resume.context["details"][0].startswith("3 scheduled runs waiting; 1 of them past due")
    assert Pause.objects.exists()
    response = root_client.post(RESUME, CONFIRM, follow=True)
    assert not Pause.objects.exists()
    assert "sched-scheduler-paused" not in response.content.decode()
    assert dispatch_due(enqueue=False).queued == [str(due.pk)]


def test_pause_and_resume_one_workflow(root_client, wf, other_wf):
    page = root_client.get(CHANGELIST, {"workflow__id__exact": wf.pk}).content.decode()
    assert f'<option value="{wf.pk}" selected>' in page  # the filtered workflow is offered

    confirm = root_client.get(PAUSE, {"workflow": wf.pk})
    assert asked(confirm) == "Pause the workflow send-reminder? 0 scheduled runs will wait."
    assert confirm.context["details"][0] == (
        "No scheduled run of send-reminder starts until it is resumed: 0 waiting, "
        "0 past due now, 0 due in the next hour."
    )
    response = root_client.post(PAUSE, confirm_data(confirm), follow=True)
    pause = Pause.objects.get()
    assert pause.key == Pause.key_for(wf) == f"workflow:{wf.pk}" and pause.workflow == wf
    assert paused_workflow_ids() == {wf.pk}
    html = response.content.decode()
    assert "sched-workflow-paused" in html and "<strong>send-reminder</strong> is paused" in html
    assert "sched-scheduler-paused" not in html
    # a paused workflow is no longer offered for pausing
    assert f'<option value="{wf.pk}"' not in html and f'<option value="{other_wf.pk}"' in html

    response = root_client.post(RESUME, {"workflow": wf.pk, **CONFIRM}, follow=True)
    assert not Pause.objects.exists()
    assert "sched-workflow-paused" not in response.content.decode()
    assert message_texts(response) == [
        "Workflow send-reminder is resumed: runs that came due meanwhile run now."
    ]


def test_pause_views_ask_first_and_check_their_input(root_client, wf):
    assert asked(root_client.get(PAUSE)) and asked(root_client.post(RESUME))
    assert not Pause.objects.exists()
    assert root_client.put(PAUSE).status_code == 405
    assert root_client.post(PAUSE, {"workflow": "999999", **CONFIRM}).status_code == 404
    assert root_client.get(PAUSE, {"workflow": "x"}).status_code == 404
    response = root_client.post(PAUSE, {"next": "https://evil.example.com/", **CONFIRM})
    assert response["Location"] == CHANGELIST  # no open redirect
    assert not Pause.objects.filter(workflow=wf).exists()


def test_pause_admin_adds_and_deletes_pauses(root_client, superuser, wf):
    add = reverse("admin:scheduler_pause_add")
    assert root_client.post(add, {"workflow": wf.pk}).status_code == 302
    pause = Pause.objects.get()
    assert pause.key == f"workflow:{wf.pk}" and pause.paused_by == superuser
    duplicate = root_client.post(add, {"workflow": wf.pk})
    assert duplicate.status_code == 200 and "already paused" in duplicate.content.decode()
    assert root_client.post(add, {"workflow": ""}).status_code == 302
    assert Pause.objects.filter(key="scheduler").exists()

    listing = root_client.get(reverse("admin:scheduler_pause_changelist")).content.decode()
    assert "the whole scheduler" in listing and "workflow send-reminder" in listing
    delete = reverse("admin:scheduler_pause_delete", args=[pause.pk])
    assert root_client.post(delete, {"post": "yes"}).status_code == 302
    assert list(Pause.objects.values_list("key", flat=True)) == ["scheduler"]
