"""Scheduler admin helpers: a logged-in client, workflows, and scheduled runs made directly."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from scheduler.models import ScheduledRun, Status
from workflows.choices import RunStatus
from workflows.models import Run

CHANGELIST = "/admin/scheduler/scheduledrun/"
#: what the button of a confirmation page adds to its form (scheduler/admin_confirm.py)
CONFIRM = {"confirm": "yes"}


@pytest.fixture(autouse=True)
def _fresh_django_cache():
    cache.clear()  # the Scheduler caches its counts by status
    yield
    cache.clear()


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_client(db) -> Callable[..., Client]:
    """A client logged in as a staff user holding only these permissions."""

    def make(*perms: str) -> Client:
        user = get_user_model().objects.create_user(
            f"staff-{len(perms)}-{'-'.join(perms)}"[:150], password="pw-x-123", is_staff=True
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def wf(make_workflow):
    return make_workflow("send-reminder", actions=[{"type": "log", "message": "x"}])


@pytest.fixture
def other_wf(make_workflow):
    return make_workflow("nightly-report", actions=[{"type": "log", "message": "x"}])


def at(**delta: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(**delta)


@pytest.fixture
def sched(wf) -> Callable[..., ScheduledRun]:
    """A scheduled run of ``wf`` (or ``workflow=``), due in an hour unless told."""

    def make(**fields: Any) -> ScheduledRun:
        fields.setdefault("workflow", wf)
        fields.setdefault("due_at", at(hours=1))
        fields.setdefault("status", Status.SCHEDULED)
        return ScheduledRun.objects.create(**fields)

    return make


@pytest.fixture
def make_log(db) -> Callable[..., Run]:
    def make(workflow, **fields: Any) -> Run:
        fields.setdefault("status", RunStatus.SUCCEEDED)
        return Run.objects.create(workflow=workflow, workflow_name=workflow.name, **fields)

    return make


def shown(response) -> list[ScheduledRun]:
    """The scheduled runs listed on a changelist page, in order."""
    assert response.status_code == 200, response.status_code
    return list(response.context["cl"].result_list)


def message_texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def asked(response) -> str:
    """The question of a confirmation page ("Cancel 3 scheduled runs of ...?")."""
    assert response.status_code == 200, response.status_code
    assert response.templates[0].name == "admin/scheduler/confirm.html"
    return response.context["question"]


def confirm_data(response) -> dict[str, Any]:
    """What the confirmation page's button posts: its hidden fields and ``confirm=yes``."""
    data: dict[str, Any] = {}
    for name, value in response.context["hidden"]:
        data.setdefault(name, []).append(str(value))
    return {**{k: v[0] if len(v) == 1 else v for k, v in data.items()}, **CONFIRM}
