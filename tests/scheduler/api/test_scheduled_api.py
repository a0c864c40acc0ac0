"""REST: POST /api/1.1/wf/<name>/schedule, GET /api/1.1/scheduled[/<id>], POST .../cancel."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from scheduler.models import ScheduledRun, Status


@pytest.fixture
def pay(make_workflow):
    return make_workflow(
        "pay",
        expose=True,
        auth="user",
        parameters=[
            {"key": "order", "type": "thing", "data_type": "examples.Order"},
            {"key": "note", "type": "text", "optional": True},
        ],
        actions=[
            {"type": "make_changes", "thing": "{{ params.order }}", "changes": {"status": "paid"}}
        ],
    )


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def schedule(api, key, body, name="pay", **kw):
    return api.post(
        f"/api/1.1/wf/{name}/schedule",
        body,
        format=kw.pop("fmt", "json"),
        **(auth(key) if key else {}),
        **kw,
    )


def test_schedule_returns_201_with_id_due_at_status(api, key, pay, order, user):
    at = timezone.now() + datetime.timedelta(hours=2)
    response = schedule(api, key, {"at": at.isoformat(), "params": {"order": order.pk}})
    assert response.status_code == 201, response.json()
    body = response.json()
    row = ScheduledRun.objects.get()
    assert body == {"id": str(row.pk), "due_at": at.isoformat(), "status": "scheduled"}
    assert row.actor == user and row.origin == "api"
    assert row.params["order"]["_id"] == order.pk


def test_schedule_accepts_form_fields_and_epoch_ms(api, key, pay, order):
    at = timezone.now() + datetime.timedelta(minutes=5)
    response = schedule(
        api, key, {"at": str(int(at.timestamp() * 1000)), "order": order.pk}, fmt="multipart"
    )
    assert response.status_code == 201, response.json()
    assert abs((ScheduledRun.objects.get().due_at - at).total_seconds()) < 0.01


@pytest.mark.parametrize(
    "body, code, parameter",
    [
        ({"params": {}}, "MISSING_PARAMETER", "order"),
        ({"params": {"order": 999999}}, "NOT_FOUND", "order"),
        ({"params": {"order": "x"}}, "INVALID_PARAMETER", "order"),
        ({"at": "next tuesday", "params": {"order": 1}}, "INVALID_PARAMETER", "at"),
        ({"params": [1]}, "INVALID_PARAMETER", None),
    ],
)
def test_bad_schedules_are_refused_and_change_nothing(api, key, pay, body, code, parameter):
    response = schedule(api, key, body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json().get("parameter") == parameter
    assert not ScheduledRun.objects.exists()


def test_schedule_follows_the_workflows_access_rules(
    api, key, make_key, pay, order, user, make_workflow
):
    assert schedule(api, None, {"params": {"order": order.pk}}).status_code == 401
    assert schedule(api, "nope", {"params": {"order": order.pk}}).status_code == 401
    assert schedule(api, key, {}, name="missing").status_code == 404
    make_workflow("hidden", expose=False)
    assert schedule(api, key, {}, name="hidden").status_code == 404
    make_workflow("admins", expose=True, auth="admin")
    assert schedule(api, key, {}, name="admins").json()["code"] == "FORBIDDEN"
    make_workflow("open", expose=True, auth="none")
    response = schedule(api, None, {}, name="open")
    assert response.status_code == 201
    assert ScheduledRun.objects.get(workflow__name="open").actor is None


def test_a_caller_sees_and_cancels_only_its_own(
    api, key, make_key, pay, order, other_user, staff_user
):
    mine = schedule(api, key, {"params": {"order": order.pk}}).json()["id"]
    theirs = schedule(api, make_key(other_user), {"params": {"order": order.pk}}).json()["id"]
    listing = api.get("/api/1.1/scheduled", **auth(key)).json()["response"]
    assert [r["id"] for r in listing["results"]] == [mine]
    assert listing["count"] == 1 and listing["remaining"] == 0
    assert api.get(f"/api/1.1/scheduled/{theirs}", **auth(key)).status_code == 404
    assert api.post(f"/api/1.1/scheduled/{theirs}/cancel", **auth(key)).status_code == 404
    detail = api.get(f"/api/1.1/scheduled/{mine}", **auth(key)).json()["response"]
    assert detail["workflow"] == "pay" and detail["status"] == "scheduled"

    cancelled = api.post(f"/api/1.1/scheduled/{mine}/cancel", **auth(key))
    assert cancelled.status_code == 200 and cancelled.json()["response"]["status"] == "cancelled"
    again = api.post(f"/api/1.1/scheduled/{mine}/cancel", **auth(key))
    assert again.status_code == 409 and again.json()["code"] == "NOT_CANCELLABLE"

    staff = make_key(staff_user)
    everything = api.get("/api/1.1/scheduled", **auth(staff)).json()["response"]
    assert {r["id"] for r in everything["results"]} == {mine, theirs}
    assert api.post(f"/api/1.1/scheduled/{theirs}/cancel", **auth(staff)).status_code == 200
    assert ScheduledRun.objects.get(pk=theirs).status == Status.CANCELLED


def test_listing_filters_and_pages(api, key, pay, order):
    now = timezone.now()
    for hours in (1, 2, 3, 4):
        schedule(
            api,
            key,
            {
                "at": (now + datetime.timedelta(hours=hours)).isoformat(),
                "params": {"order": order.pk},
            },
        )
    ScheduledRun.objects.filter(due_at__gt=now + datetime.timedelta(hours=3)).update(
        status=Status.CANCELLED
    )

    def get(**query):
        response = api.get("/api/1.1/scheduled", query, **auth(key))
        assert response.status_code == 200, response.json()
        return response.json()["response"]

    assert get(status="scheduled")["count"] == 3
    assert get(status="scheduled,cancelled", limit=2) | {"results": None} == {
        "cursor": 0,
        "results": None,
        "count": 2,
        "remaining": 2,
    }
    assert get(cursor=2, limit=2)["remaining"] == 0
    window = get(
        due_after=(now + datetime.timedelta(minutes=90)).isoformat(),
        due_before=(now + datetime.timedelta(minutes=150)).isoformat(),
    )
    assert window["count"] == 1
    assert get(workflow="other")["count"] == 0
    for bad in ({"status": "done"}, {"limit": "0"}, {"cursor": "-1"}, {"due_after": "soon"}):
        response = api.get("/api/1.1/scheduled", bad, **auth(key))
        assert response.status_code == 400 and response.json()["code"] == "INVALID_PARAMETER"


def test_listing_needs_a_key(api):
    response = api.get("/api/1.1/scheduled")
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


@pytest.fixture
def shop(make_workflow):
    return make_workflow(
        "shop",
        expose=True,
        auth="user",
        parameters=[{"key": "shop", "type": "text", "querystring": True}],
        actions=[{"type": "log", "message": "{{ params.shop }}"}],
    )


def test_params_carry_a_querystring_parameter_like_any_other(api, key, shop):
    response = schedule(api, key, {"params": {"shop": "lyon"}}, name="shop")
    assert response.status_code == 201, response.json()
    assert ScheduledRun.objects.get().params == {"shop": "lyon"}


def test_with_form_fields_a_querystring_parameter_is_read_from_the_url(api, key, shop):
    response = api.post(
        "/api/1.1/wf/shop/schedule?shop=lyon", {"shop": "paris"}, format="multipart", **auth(key)
    )
    assert response.status_code == 201, response.json()
    assert ScheduledRun.objects.get().params == {"shop": "lyon"}
    missing = schedule(api, key, {"shop": "paris"}, name="shop", fmt="multipart").json()
    assert missing["code"] == "MISSING_PARAMETER" and missing["parameter"] == "shop"
    assert "read from the URL's query string (?shop=...)" in missing["message"]
    empty = schedule(api, key, {"params": {}}, name="shop").json()
    assert empty["message"] == "missing required parameter 'shop'"  # params: no word of the URL
