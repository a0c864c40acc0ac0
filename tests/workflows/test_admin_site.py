"""The admin looks like this product: its name, what a builder uses first, django-q2's
tables under "Operations" (superusers only), and a place for the dashboard."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from workflows import admin_site

BUILDER_FIRST = ["Workflows", "Runs", "Scheduler", "Privacy rules", "API keys", "Data"]


def sections(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [app["name"] for app in response.context["app_list"]]


def models_of(response, section: str) -> list[str]:
    app = next(a for a in response.context["app_list"] if a["name"] == section)
    return [m["name"] for m in app["models"]]


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def test_the_site_names_the_product(root_client):
    html = root_client.get("/admin/").content.decode()
    assert "<title>Backend workflows | bubble-backend admin</title>" in html
    assert '<div id="site-name"><a href="/admin/">bubble-backend</a></div>' in html
    assert "Django administration" not in html


def test_the_index_puts_what_a_builder_uses_first(root_client):
    response = root_client.get("/admin/")
    names = sections(response)
    assert names[: len(BUILDER_FIRST)] == BUILDER_FIRST
    assert names[-1] == "Operations"
    assert models_of(response, "Workflows") == [
        "Workflows",
        "Versions",
        "Trigger workflows",
        "Secrets",
        "Definition changes",
    ]
    assert models_of(response, "Runs") == ["Runs"]
    assert models_of(response, "Scheduler") == ["Scheduled runs", "Recurring events", "Pauses"]
    assert models_of(response, "API keys") == ["API keys", "User tokens"]
    assert models_of(response, "Data")[:2] == ["Data types", "Option sets"]
    # django-q2's tables ("Queued tasks" only with its ORM broker, not with Redis)
    assert {"Failed tasks", "Scheduled tasks", "Successful tasks"} <= set(
        models_of(response, "Operations")
    )
    operations = next(a for a in response.context["app_list"] if a["name"] == "Operations")
    assert all(m["admin_url"].startswith("/admin/django_q/") for m in operations["models"])
    # each model is listed once, and the sections link where they lead
    listed = [m["admin_url"] for app in response.context["app_list"] for m in app["models"]]
    assert len(listed) == len(set(listed))
    runs = next(a for a in response.context["app_list"] if a["name"] == "Runs")
    assert runs["app_url"] == "/admin/workflows/run/" and runs["app_label"] == "runs"
    scheduler = next(a for a in response.context["app_list"] if a["name"] == "Scheduler")
    assert scheduler["app_url"] == "/admin/scheduler/scheduledrun/"
    assert "Django Q" not in names


def test_the_navigation_follows_the_same_order(root_client):
    response = root_client.get("/admin/workflows/run/")
    assert [a["name"] for a in response.context["available_apps"]][:6] == BUILDER_FIRST


def test_operations_are_hidden_from_other_staff(db):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("ops", password="pw-ops-123", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["django_q", "workflows"], codename__startswith="view_"
        )
    )
    client = Client()
    client.force_login(staff)
    names = sections(client.get("/admin/"))
    assert "Operations" not in names and "Django Q" not in names
    assert names[:2] == ["Workflows", "Runs"]


def test_an_app_page_keeps_its_own_list(root_client):
    response = root_client.get("/admin/workflows/")
    names = sections(response)
    assert names[0] == "Backend workflows" and "Runs" not in names
    assert "Runs" in models_of(response, "Backend workflows")


def test_no_dashboard_without_one(root_client, monkeypatch):
    from workflows import admin_site

    monkeypatch.setattr(admin_site, "DASHBOARDS", [])
    response = root_client.get("/admin/")
    assert "dashboard" not in response.context


def test_the_runs_dashboard_is_registered(root_client):
    from workflows import admin_site
    from workflows.stats.dashboard import runs_dashboard

    assert [runs_dashboard] == admin_site.DASHBOARDS
    assert root_client.get("/admin/").context["dashboard"]["period"]


def _with_dashboard_template():
    engine = settings.TEMPLATES[0]
    return override_settings(
        TEMPLATES=[
            {
                **engine,
                "APP_DIRS": False,
                "OPTIONS": {
                    **engine["OPTIONS"],
                    "loaders": [
                        (
                            "django.template.loaders.locmem.Loader",
                            {"admin/dashboard.html": '<p id="dash">{{ dashboard.runs }} runs</p>'},
                        ),
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                    ],
                },
            }
        ]
    )


def test_a_registered_dashboard_is_drawn_above_the_sections(root_client, monkeypatch):
    monkeypatch.setattr(admin_site, "DASHBOARDS", [lambda request: {"runs": 42}])
    with _with_dashboard_template():
        html = root_client.get("/admin/").content.decode()
    assert '<p id="dash">42 runs</p>' in html
    assert html.index('id="dash"') < html.index('class="app-workflows')
