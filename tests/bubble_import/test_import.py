"""A full import from the stand-in Bubble app: data types at Bubble's paths with Bubble's
keys, every row with its id, dates and Created By, links and lists resolved (a deleted
link reported), users as accounts, the API workflows' shells; the Data API and workflow
parameters answer to Bubble's ids afterwards (docs/coming-from-bubble.md)."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from bubble_import.models import BubbleImport, PendingLinks
from tests.workflows.data_model.conftest import data_model  # noqa: F401
from workflows import data_types
from workflows.models import PrivacyRule, Workflow

from .stand_in import TOKEN, _id, running


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("BUBBLE_SOURCE_API_TOKEN", TOKEN)


def bring_over(address: str, *args: str) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("import_bubble_app", address, *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return out.getvalue(), int(exc.code or 0)
    return out.getvalue(), 0


def model(name: str):
    return data_types.get_model(name)


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_row_arrives_with_its_id_dates_and_links(data_model, token):  # noqa: F811
    with running() as app:
        out, status = bring_over(app.address)
        rows = app.rows
    assert {method for method, _, _ in app.requests} == {"GET"}
    # the deleted unit a review points at: the import is complete, the link reported
    assert status == 0, out
    assert "Links to rows that no longer exist (left out) (1)" in out
    Unit, Order, Review = model("Unit"), model("Order"), model("Review")
    assert Unit.objects.count() == 4 and Order.objects.count() == 2 and Review.objects.count() == 2

    first = rows["unit"][0]
    unit = Unit.objects.get(unique_id=first["_id"])
    assert unit.created_date == utc(first["Created Date"])
    assert unit.modified_date == utc(first["Modified Date"])
    assert unit.unit_name == "Unit 1" and unit.price == 10.5 and unit.active is False
    assert unit.location == {"address": "1 Main St", "lat": 49.85, "lng": 2.35}
    assert unit.photo == "https://s3.amazonaws.com/appforest_uf/f1/unit1.png"
    creator = get_user_model().objects.get(bubble_unique_id__unique_id=first["Created By"])
    assert unit.created_by_id == creator.pk
    assert unit.owner.bubble_unique_id.unique_id == rows["user"][0]["_id"]

    order = Order.objects.get(unique_id=rows["order"][1]["_id"])
    assert [u.unique_id for u in order.units.order_by("pk")] == rows["order"][1]["Units"]
    assert order.supplier == _id(99)  # a type not exposed: its id kept as text
    lost = Review.objects.get(unique_id=_id(31))
    assert lost.unit is None and Review.objects.get(unique_id=_id(30)).unit == unit
    assert not PendingLinks.objects.exists()


def test_users_arrive_as_accounts_without_a_password(data_model, token):  # noqa: F811
    with running() as app:
        bring_over(app.address)
        users = app.rows["user"]
    accounts = get_user_model().objects.filter(bubble_unique_id__isnull=False).order_by("pk")
    assert [a.email for a in accounts] == ["user1@example.com", "user2@example.com"]
    assert not any(a.has_usable_password() for a in accounts)
    assert accounts[0].date_joined == utc(users[0]["Created Date"])
    profile = model("UserProfile").objects.get(unique_id=users[1]["_id"])
    assert profile.name == "User 2" and profile.user == accounts[1]


def test_the_api_workflows_arrive_as_shells_in_development(data_model, token):  # noqa: F811
    with running() as app:
        out, _ = bring_over(app.address)
    shell = Workflow.objects.get(name="process-order")
    assert shell.expose and not shell.actions.exists()
    keys = {p.key: (p.type, p.data_type, p.optional) for p in shell.parameters.all()}
    assert keys == {
        "order": ("thing", "Order", False),
        "rush": ("yes_no", "", True),
        "note": ("text", "", True),
    }
    assert "process-order" in out.split("API workflows to rebuild")[1]


def test_callers_keep_bubbles_ids(data_model, token, api, key):  # noqa: F811
    with running() as app:
        bring_over(app.address)
        rows = app.rows
    for name in ("Unit", "Order"):
        PrivacyRule.objects.create(
            data_type=name, everyone_else=True, view_all=True, find_in_searches=True
        )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    first = rows["unit"][0]
    answer = api.get(f"/api/1.1/obj/unit/{first['_id']}", **headers)
    assert answer.status_code == 200, answer.content
    thing = answer.json()["response"]
    for key_ in ("Unit name", "Price", "Active", "Location", "Created Date", "Modified Date"):
        assert key_ in thing
    assert thing["Unit name"] == first["Unit name"] and thing["Price"] == first["Price"]
    assert utc(thing["Created Date"]) == utc(first["Created Date"])


def test_the_report_counts_each_type_bubbles_against_here(data_model, token, tmp_path):  # noqa: F811
    report = tmp_path / "report.json"
    with running() as app:
        bring_over(app.address, "--report", str(report))
    written = json.loads(report.read_text())
    counts = {
        t["bubble_name"]: (t["bubble_count"], t["copied"], t["here"]) for t in written["types"]
    }
    assert counts == {"user": (2, 2, 2), "unit": (4, 4, 4), "order": (2, 2, 2), "review": (2, 2, 2)}
    assert written["workflows_to_build"] == ["process-order", "send-digest"]
    missing = written["problems"]["missing_links"]
    assert missing["count"] == 1 and missing["first"][0]["missing"] == _id(77)
    assert BubbleImport.objects.get().status == BubbleImport.Status.FINISHED
    assert TOKEN not in report.read_text()
