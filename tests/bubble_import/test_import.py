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
from django.core.management import CommandError, call_command

from bubble_import.models import BubbleImport, PendingLinks
from workflows import data_types
from workflows.bubble_fields import UNIQUE_ID
from workflows.models import PrivacyRule, UserUniqueId, Workflow

from .stand_in import TOKEN, StandIn, _id, running


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


def open_to_everyone(*names: str) -> None:
    """Privacy denies by default: the tests reading through the API open the types."""
    for name in names:
        PrivacyRule.objects.create(
            data_type=name, everyone_else=True, view_all=True, find_in_searches=True
        )


def test_every_row_arrives_with_its_id_dates_and_links(data_model, token):
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
    # Bubble's address without a scheme, read as the app's pages read it (the stand-in is
    # served over http; a Bubble app over https)
    assert unit.photo == "http://s3.amazonaws.com/appforest_uf/f1/unit1.png"
    creator = get_user_model().objects.get(bubble_unique_id__unique_id=first["Created By"])
    assert unit.created_by_id == creator.pk
    assert unit.owner.bubble_unique_id.unique_id == rows["user"][0]["_id"]

    order = Order.objects.get(unique_id=rows["order"][1]["_id"])
    assert [u.unique_id for u in order.units.order_by("pk")] == rows["order"][1]["Units"]
    assert order.supplier == _id(99)  # a type not exposed: its id kept as text
    lost = Review.objects.get(unique_id=_id(31))
    assert lost.unit is None and Review.objects.get(unique_id=_id(30)).unit == unit
    assert not PendingLinks.objects.exists()


def test_users_arrive_as_accounts_without_a_password(data_model, token):
    with running() as app:
        bring_over(app.address)
        users = app.rows["user"]
    accounts = get_user_model().objects.filter(bubble_unique_id__isnull=False).order_by("pk")
    assert [a.email for a in accounts] == ["user1@example.com", "user2@example.com"]
    assert not any(a.has_usable_password() for a in accounts)
    assert accounts[0].date_joined == utc(users[0]["Created Date"])
    profile = model("UserProfile").objects.get(unique_id=users[1]["_id"])
    assert profile.name == "User 2" and profile.user == accounts[1]


def test_the_api_workflows_arrive_as_shells_in_development(data_model, token):
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


def test_callers_keep_bubbles_ids(data_model, token, api, key):
    with running() as app:
        bring_over(app.address)
        rows = app.rows
    open_to_everyone("Unit", "Order")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    first = rows["unit"][0]
    answer = api.get(f"/api/1.1/obj/unit/{first['_id']}", **headers)
    assert answer.status_code == 200, answer.content
    thing = answer.json()["response"]
    for key_ in ("Unit name", "Price", "Active", "Location", "Created Date", "Modified Date"):
        assert key_ in thing
    assert thing["_id"] == first["_id"]
    # its users too: the accounts brought over answer with their Bubble ids
    assert thing["Created By"] == first["Created By"] and thing["Owner"] == first["Owner"]
    user = api.get(f"/api/1.1/obj/user/{first['Owner']}", **headers)
    assert user.status_code == 200 and user.json()["response"]["_id"] == first["Owner"]
    assert thing["Unit name"] == first["Unit name"] and thing["Price"] == first["Price"]
    assert utc(thing["Created Date"]) == utc(first["Created Date"])
    # links and lists by Bubble's ids, as the callers stored them
    order = rows["order"][1]
    answer = api.get(f"/api/1.1/obj/order/{order['_id']}", **headers).json()["response"]
    assert answer["_id"] == order["_id"] and answer["Units"] == order["Units"]
    constraints = json.dumps(
        [{"key": "Units", "constraint_type": "contains", "value": first["_id"]}]
    )
    found = api.get("/api/1.1/obj/order", {"constraints": constraints}, **headers).json()
    assert {t["_id"] for t in found["response"]["results"]} == {o["_id"] for o in rows["order"]}
    # a thing made here gets an id of the same shape
    rule = PrivacyRule.objects.get(data_type="Unit")
    rule.create_via_api = True
    rule.save()
    made = api.post("/api/1.1/obj/unit", {"Unit name": "New"}, format="json", **headers)
    assert made.status_code == 201, made.content
    assert UNIQUE_ID.fullmatch(made.json()["id"])


def test_the_report_counts_each_type_bubbles_against_here(data_model, token, tmp_path):
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


def test_a_shell_is_not_built_live_and_takes_bubbles_ids_in_a_test(data_model, token, api, key):
    with running() as app:
        bring_over(app.address)
        order_id = app.rows["order"][0]["_id"]
    open_to_everyone("Order")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    live = api.post("/api/1.1/wf/process-order", {"order": order_id}, format="json", **headers)
    assert live.status_code == 404, live.content
    assert live.json()["code"] == "NOT_BUILT"
    assert "has no steps yet" in live.json()["body"]["message"]
    tried = api.post(
        "/version-test/api/1.1/wf/process-order", {"order": order_id}, format="json", **headers
    )
    assert tried.status_code == 200, tried.content
    unknown = api.post(
        "/version-test/api/1.1/wf/process-order", {"order": _id(404)}, format="json", **headers
    )
    assert unknown.status_code == 400 and _id(404) in unknown.json()["body"]["message"]


def test_a_workflow_parameter_takes_a_bubble_id_of_a_user_or_a_thing(
    data_model,
    token,
    api,
    key,
    make_workflow,
):
    with running() as app:
        bring_over(app.address)
        user_id, unit_id = app.rows["user"][1]["_id"], app.rows["unit"][2]["_id"]
    open_to_everyone("Unit")
    make_workflow(
        "who",
        expose=True,
        parameters=[
            {"key": "person", "type": "thing", "data_type": "auth.User"},
            {"key": "unit", "type": "thing", "data_type": "Unit"},
        ],
        actions=[
            {
                "type": "return_data",
                "data": {
                    "email": "{{ params.person.email }}",
                    "unit": "{{ params.unit.unit_name }}",
                },
            }
        ],
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    answer = api.post(
        "/api/1.1/wf/who", {"person": user_id, "unit": unit_id}, format="json", **headers
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["response"] == {"email": "user2@example.com", "unit": "Unit 3"}


def test_files_are_copied_into_the_projects_storage(data_model, token, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    stand_in = StandIn()
    with running(stand_in) as app:
        host = app.address.removeprefix("http:")
        stand_in.files["unit1.png"] = b"\x89PNG one"
        stand_in.rows["unit"][0]["Photo"] = f"{host}/files/unit1.png"
        stand_in.rows["unit"][1]["Photo"] = f"{host}/files/gone.png"
        for row in stand_in.rows["unit"][2:]:  # no file on the internet in a test
            del row["Photo"]
        out, status = bring_over(app.address, "--download-files")
        unit = model("Unit").objects.get(unique_id=stand_in.rows["unit"][0]["_id"])
        assert unit.photo.startswith("/media/bubble/unit/")
        stored = tmp_path / unit.photo.removeprefix("/media/")
        assert stored.read_bytes() == b"\x89PNG one"
        # a file Bubble no longer has keeps its address, and is reported
        kept = model("Unit").objects.get(unique_id=stand_in.rows["unit"][1]["_id"])
        assert kept.photo.endswith("/files/gone.png")
        assert "HTTP 404" in out
        # no file is read twice
        again = [p for _, p, _ in stand_in.requests if p.startswith("/files/")]
        bring_over(app.address, "--download-files")
        assert (
            len([p for _, p, _ in stand_in.requests if p.startswith("/files/")]) == len(again) + 1
        )
    tokens = [had for _, path, had in stand_in.requests if path.startswith("/files/")]
    assert not any(tokens)  # the token never goes with a file


def test_links_to_a_type_copied_later_are_resolved_after(data_model, token):
    from .stand_in import SWAGGER

    paths = dict(reversed(list(SWAGGER["paths"].items())))  # review and order before unit
    with running(StandIn(swagger={**SWAGGER, "paths": paths})) as app:
        out, status = bring_over(app.address)
        rows = app.rows
    assert status == 0, out
    assert "Links to rows that no longer exist (left out) (1)" in out
    order = model("Order").objects.get(unique_id=rows["order"][1]["_id"])
    assert [u.unique_id for u in order.units.order_by("pk")] == rows["order"][1]["Units"]
    review = model("Review").objects.get(unique_id=rows["review"][0]["_id"])
    assert review.unit.unique_id == rows["unit"][0]["_id"]
    assert not PendingLinks.objects.exists()


def test_an_account_here_is_never_taken_over_whatever_its_email(data_model, token):
    boss = get_user_model().objects.create_superuser("boss", email="User1@Example.com")
    email = boss.email
    stand_in = StandIn()
    with running(stand_in) as app:
        out, status = bring_over(app.address)
        first = stand_in.rows["user"][0]["_id"]
        stand_in.rows["user"][0]["email"] = "attacker@evil.example"
        bring_over(app.address)  # the next import changes the user's email...
        stand_in.rows["user"].pop(0)
        bring_over(app.address, "--since-last", "--apply-deletions")
    assert status == 0, out
    assert "an account here has this email" in out
    boss.refresh_from_db()
    assert not UserUniqueId.objects.filter(user=boss).exists()
    assert boss.email == email and boss.is_active and boss.is_superuser
    theirs = get_user_model().objects.get(bubble_unique_id__unique_id=first)
    assert theirs.pk != boss.pk and not theirs.is_staff
    assert theirs.email == "attacker@evil.example"  # ...of the account the import made
    assert theirs.is_active is False  # deleted on Bubble: deactivated


def test_a_staff_account_brought_over_keeps_its_email_and_stays_active(data_model, token):
    stand_in = StandIn()
    with running(stand_in) as app:
        bring_over(app.address)
        first = stand_in.rows["user"][0]["_id"]
        account = get_user_model().objects.get(bubble_unique_id__unique_id=first)
        account.is_staff = True
        account.save()
        stand_in.rows["user"][0]["email"] = "attacker@evil.example"
        bring_over(app.address)
        stand_in.rows["user"].pop(0)
        bring_over(app.address, "--since-last", "--apply-deletions")
    account.refresh_from_db()
    assert account.email == "user1@example.com" and account.is_active


def test_the_token_is_in_no_log_and_only_gets_reached_bubble(data_model, token, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    with running() as app:
        out, status = bring_over(app.address)
    assert status == 0
    assert TOKEN not in out + caplog.text
    assert {method for method, _, _ in app.requests} == {"GET"}
    assert TOKEN not in json.dumps(BubbleImport.objects.get().report)


def test_a_data_type_of_the_same_name_made_here_is_never_written_into(data_model, token):
    from workflows.data_model import schema

    schema.create_data_type({"name": "Order", "fields": [{"name": "total", "type": "number"}]})
    mine = model("Order").objects.create(total=1)
    with running() as app, pytest.raises(CommandError, match="Order exists here and no import"):
        bring_over(app.address)
    assert list(model("Order").objects.values_list("pk", flat=True)) == [mine.pk]
    assert BubbleImport.objects.get().status == BubbleImport.Status.FAILED
    # an import of this app made its own types: the next import of it writes into them
    with running() as app:
        out, status = bring_over(app.address, "--types", "unit,review")
    assert status == 0, out


def test_an_email_that_is_no_valid_username_gets_a_made_up_one(db):
    """As a sign-up's (workflows.accounts.default_username): the username field's own
    validators decide, so the admin can later save the account."""
    from django.contrib.auth import get_user_model

    from bubble_import.users import _new_account, _set_usernames

    model = get_user_model()
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    accounts = [_new_account(model, email, when) for email in ("o'brien@x.com", "ann@x.com")]
    _set_usernames(model, accounts)
    odd, plain = (a.get_username() for a in accounts)
    assert odd.startswith("user-") and plain == "ann@x.com"
