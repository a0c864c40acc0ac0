"""The Data API on a data type defined without code, in full and in Bubble's shapes: search
with constraints and sorts, create, modify, replace, delete, bulk create, lists of things
and of values, and options by their display text both ways (docs/api.md#the-data-api-api11obj)."""

from __future__ import annotations

import json

import pytest

from workflows import data_types
from workflows.data_model import schema
from workflows.models import DataType, Option, OptionSet, PrivacyRule

DEAL = {
    "name": "Deal",
    "fields": [
        {"name": "title", "type": "text"},
        {"name": "leads", "type": "thing", "data_type": "Lead", "list": True},
        {"name": "stages", "type": "option", "option_set": "Stage", "list": True},
        {"name": "amounts", "type": "number", "list": True},
        {"name": "calls", "type": "date", "list": True},
        {"name": "closes", "type": "date"},
        {"name": "won", "type": "yes_no"},
        {"name": "site", "type": "geographic_address"},
        {"name": "contract", "type": "file"},
        {"name": "logo", "type": "image"},
        {"name": "photos", "type": "image", "list": True},
    ],
}


@pytest.fixture
def types(lead_type):
    """Lead (the fixture's) and Deal, open to everyone through the Data API (the suite's
    rule for every data type was made before these types existed)."""
    schema.create_data_type(DEAL)
    for name in ("Lead", "Deal"):
        PrivacyRule.objects.create(
            data_type=name,
            everyone_else=True,
            view_all=True,
            find_in_searches=True,
            create_via_api=True,
            modify_via_api=True,
            delete_via_api=True,
        )
    return lead_type


def made(send, path: str, data: dict) -> int:
    response = send("post", path, data)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def read(send, path: str) -> dict:
    response = send("get", path)
    assert response.status_code == 200, response.content
    return response.json()["response"]


def search(send, path: str, constraints=None, **query) -> list[dict]:
    if constraints is not None:
        query["constraints"] = json.dumps(constraints)
    response = send("get", path, **query)
    assert response.status_code == 200, response.content
    return response.json()["response"]["results"]


def emails(results: list[dict]) -> list[str]:
    return [r["email"] for r in results]


@pytest.fixture
def leads(types, send, user):
    """Three leads, made in this order."""
    rows = [
        {"email": "ann@example.com", "phone": "+44 20 7946 0000", "score": 9, "stage": "Won"},
        {"email": "bob@example.com", "phone": "555 0100", "score": 3, "stage": "New"},
        {"email": "cat@example.org", "score": 5, "stage": "Qualified", "tags": ["vip", "eu"]},
    ]
    rows[0]["owner"] = user.pk
    return [made(send, "lead", row) for row in rows]


# --- create and read ------------------------------------------------------------------


def test_a_thing_is_created_and_read_back_in_bubble_s_shape(leads, send, user):
    got = read(send, f"lead/{leads[0]}")
    assert got["_type"] == "Lead" and got["_id"] == leads[0]
    assert got["email"] == "ann@example.com" and got["score"] == 9
    assert got["stage"] == "Won"  # an option by its display, as Bubble's Data API
    assert got["owner"] == user.pk and got["tags"] == []
    assert got["Created By"] == user.pk
    assert got["Created Date"] == got["Modified Date"]
    assert isinstance(got["unique_id"], str) and "x" in got["unique_id"]
    assert read(send, f"lead/{got['unique_id']}")["_id"] == leads[0]  # by Bubble's id too
    third = read(send, f"lead/{leads[2]}")
    assert third["tags"] == ["vip", "eu"] and third["owner"] is None


def test_an_option_is_written_by_its_display_in_any_case(types, send):
    thing = made(send, "lead", {"email": "dee@example.com", "stage": "qualified"})
    assert read(send, f"lead/{thing}")["stage"] == "Qualified"
    stored = data_types.get_model("Lead").objects.get(unique_id=thing).stage
    assert stored == Option.objects.get(display="Qualified")


def test_an_unknown_option_is_refused_naming_the_field_and_the_options(types, send):
    for value in ("Maybe", 3, ["Won"]):
        answer = send("post", "lead", {"email": "eve@example.com", "stage": value})
        assert answer.status_code == 400, answer.content
        body = answer.json()
        assert body["code"] == "INVALID_PARAMETER" and body["parameter"] == "stage"
        assert "Stage" in body["message"] and "Won" in body["message"]
    assert not data_types.get_model("Lead").objects.exists()


def test_a_required_field_and_a_bad_value_are_refused_naming_the_field(types, send):
    missing = send("post", "lead", {"score": 1})
    assert missing.status_code == 400 and missing.json()["parameter"] == "email"
    wrong = send("post", "lead", {"email": "x@example.com", "score": "lots"})
    assert wrong.status_code == 400 and wrong.json()["parameter"] == "score"
    unknown = send("post", "lead", {"email": "x@example.com", "budget": 1})
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "budget"
    assert not data_types.get_model("Lead").objects.exists()


# --- search ---------------------------------------------------------------------------


def test_constraints_on_text_numbers_and_options(leads, send):
    text = {"key": "phone", "constraint_type": "text contains", "value": "7946"}
    assert emails(search(send, "lead", [text])) == ["ann@example.com"]
    same = {"key": "email", "constraint_type": "equals", "value": "bob@example.com"}
    assert emails(search(send, "lead", [same])) == ["bob@example.com"]
    more = {"key": "score", "constraint_type": "greater than", "value": 4}
    assert emails(search(send, "lead", [more])) == ["ann@example.com", "cat@example.org"]
    won = {"key": "stage", "constraint_type": "equals", "value": "Won"}
    assert emails(search(send, "lead", [won])) == ["ann@example.com"]
    not_won = {"key": "stage", "constraint_type": "not equal", "value": "won"}
    assert emails(search(send, "lead", [not_won])) == ["bob@example.com", "cat@example.org"]
    some = {"key": "stage", "constraint_type": "in", "value": ["New", "Qualified"]}
    assert emails(search(send, "lead", [some, more])) == ["cat@example.org"]
    tagged = {"key": "tags", "constraint_type": "contains", "value": "vip"}
    assert emails(search(send, "lead", [tagged])) == ["cat@example.org"]
    owned = {"key": "owner", "constraint_type": "is_empty"}
    assert emails(search(send, "lead", [owned])) == ["bob@example.com", "cat@example.org"]


def test_a_constraint_on_an_unknown_option_is_refused_naming_the_field(leads, send):
    answer = send(
        "get",
        "lead",
        constraints=json.dumps([{"key": "stage", "constraint_type": "equals", "value": "Maybe"}]),
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["parameter"] == "constraints"
    assert "stage" in body["message"] and "'Maybe' is not an option of Stage" in body["message"]


def test_sorted_by_created_date_a_field_or_an_option_s_order(leads, send):
    assert emails(search(send, "lead")) == [  # Bubble's default: Created Date
        "ann@example.com",
        "bob@example.com",
        "cat@example.org",
    ]
    newest = search(send, "lead", sort_field="Created Date", descending="true")
    assert emails(newest) == ["cat@example.org", "bob@example.com", "ann@example.com"]
    by_score = search(send, "lead", sort_field="score")
    assert emails(by_score) == ["bob@example.com", "cat@example.org", "ann@example.com"]
    # an option field sorts in its set's order, not by when its options were made
    schema.save_option_set({"name": "Stage", "options": ["Won", "Qualified", "New", "Lost"]})
    by_stage = search(send, "lead", sort_field="stage")
    assert [r["stage"] for r in by_stage] == ["Won", "Qualified", "New"]
    page = send("get", "lead", limit=2, cursor=1).json()["response"]
    assert page["count"] == 2 and page["remaining"] == 0 and page["cursor"] == 1


# --- change and delete ------------------------------------------------------------------


def test_patch_changes_some_fields_and_put_replaces_all(leads, send):
    lead = leads[1]
    assert send("patch", f"lead/{lead}", {"stage": "Lost", "score": 4}).status_code == 204
    got = read(send, f"lead/{lead}")
    assert got["stage"] == "Lost" and got["score"] == 4 and got["phone"] == "555 0100"
    assert send("patch", f"lead/{lead}", {"stage": None}).status_code == 204
    assert read(send, f"lead/{lead}")["stage"] is None
    refused = send("patch", f"lead/{lead}", {"stage": "Maybe"})
    assert refused.status_code == 400 and refused.json()["parameter"] == "stage"
    replaced = send("put", f"lead/{lead}", {"email": "bob@example.net", "stage": "Won"})
    assert replaced.status_code == 204, replaced.content
    got = read(send, f"lead/{lead}")
    assert got["email"] == "bob@example.net" and got["stage"] == "Won"
    assert got["phone"] is None and got["score"] == 0  # back to their defaults


def test_delete(leads, send):
    assert send("delete", f"lead/{leads[0]}").status_code == 204
    assert send("get", f"lead/{leads[0]}").status_code == 404
    assert len(search(send, "lead")) == 2


def test_bulk_create_takes_options_by_display_and_fails_a_bad_line_alone(types, send):
    answer = send(
        "bulk",
        "lead",
        [
            {"email": "one@example.com", "stage": "New", "tags": ["a"]},
            {"email": "two@example.com", "stage": "Someday"},
            {"email": "three@example.com", "score": 7},
        ],
    )
    assert answer.status_code == 200, answer.content
    out = [json.loads(line) for line in answer.content.decode().splitlines()]
    assert [r["status"] for r in out] == ["success", "error", "success"]
    assert out[1]["parameter"] == "stage" and "Someday" in out[1]["message"]
    assert read(send, f"lead/{out[0]['id']}")["stage"] == "New"
    assert read(send, f"lead/{out[2]['id']}")["score"] == 7


# --- lists and the other field types ------------------------------------------------------


def test_lists_of_things_options_numbers_dates_and_files(leads, send):
    deal = made(
        send,
        "deal",
        {
            "title": "Big one",
            "leads": leads[:2],
            "stages": ["won", "New"],
            "amounts": [1.5, 2],
            "calls": ["2026-03-01T10:00:00Z", "2026-03-02T11:30:00+01:00"],
            "closes": "2026-04-01T09:00:00Z",
            "won": True,
            "site": {"address": "10 Downing St, London", "lat": 51.5034, "lng": -0.1276},
            "contract": "https://files.example.com/contract.pdf",
            "logo": "//cdn.example.com/logo.png",
            "photos": ["https://files.example.com/1.jpg"],
        },
    )
    got = read(send, f"deal/{deal}")
    assert sorted(got["leads"]) == sorted(leads[:2])
    assert got["stages"] == ["New", "Won"]  # in the set's order
    assert got["amounts"] == [1.5, 2]
    assert got["calls"] == ["2026-03-01T10:00:00+00:00", "2026-03-02T10:30:00+00:00"]
    assert got["closes"].startswith("2026-04-01T09:00:00")
    assert got["won"] is True
    assert got["site"] == {"address": "10 Downing St, London", "lat": 51.5034, "lng": -0.1276}
    assert got["contract"] == "https://files.example.com/contract.pdf"
    assert got["logo"] == "//cdn.example.com/logo.png"
    assert got["photos"] == ["https://files.example.com/1.jpg"]

    has_lead = {"key": "leads", "constraint_type": "contains", "value": leads[1]}
    assert [d["_id"] for d in search(send, "deal", [has_lead])] == [deal]
    has_stage = {"key": "stages", "constraint_type": "contains", "value": "Won"}
    assert [d["_id"] for d in search(send, "deal", [has_stage])] == [deal]
    lost = {"key": "stages", "constraint_type": "contains", "value": "Lost"}
    assert search(send, "deal", [lost]) == []

    assert send("patch", f"deal/{deal}", {"stages": ["Lost"], "leads": []}).status_code == 204
    got = read(send, f"deal/{deal}")
    assert got["stages"] == ["Lost"] and got["leads"] == []
    bad = send("patch", f"deal/{deal}", {"stages": ["Won", "Maybe"]})
    assert bad.status_code == 400 and bad.json()["parameter"] == "stages"
    address = send("patch", f"deal/{deal}", {"site": {"address": "x", "lat": 200}})
    assert address.status_code == 400 and "site" in address.json()["message"]


def test_an_option_s_new_display_shows_and_a_removed_one_reads_empty(leads, send):
    won = Option.objects.get(display="Won")
    won.display = "Closed won"  # the set's page keeps ids when a display changes
    won.save()
    schema.save_option_set({"name": "Stage", "options": ["New", "Closed won", "Lost"]})
    assert read(send, f"lead/{leads[0]}")["stage"] == "Closed won"
    assert read(send, f"lead/{leads[2]}")["stage"] is None  # Qualified was removed
    assert OptionSet.objects.get(name="Stage").options.count() == 3
    assert DataType.objects.get(name="Lead").fields.get(name="stage").option_set.name == "Stage"
