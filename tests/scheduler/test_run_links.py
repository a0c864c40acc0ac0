"""The Runs log links a run to the scheduled runs it created and the one it executed."""

from __future__ import annotations

from django.urls import reverse

from scheduler import services
from scheduler.models import ScheduledRun
from workflows import engine


def test_run_pages_link_to_the_scheduler(client, superuser, make_workflow, drain):
    make_workflow("later", actions=[{"type": "log", "message": "hi"}])
    parent = make_workflow("parent", actions=[{"type": "schedule_workflow", "workflow": "later"}])
    run = engine.run(parent, {}, superuser).run
    client.force_login(superuser)
    page = client.get(reverse("admin:workflows_run_change", args=[run.pk])).content.decode()
    assert "scheduled" in page and "later at" in page

    drain()
    executed = ScheduledRun.objects.get().run
    page = client.get(reverse("admin:workflows_run_change", args=[executed.pk])).content.decode()
    assert "executed scheduled run" in page
    assert services  # the scheduler's link provider is installed by its AppConfig
