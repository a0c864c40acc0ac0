"""``POST /api/1.1/obj/<type>/bulk``: Bubble's bulk create. A ``text/plain`` body of one
JSON object per line, at most 1,000; the answer is one result line per input line, in order,
``text/plain`` too. A bad line fails alone; a body refused whole creates nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from examples.models import Customer, Order, Setting
from workflows.data_api.bulk import MAX_LINES

pytestmark = pytest.mark.django_db

URL = "/api/1.1/obj/examples.order/bulk"


@pytest.fixture
def bulk(api, key):
    def send(body: str, *, url: str = URL, content_type: str = "text/plain", auth=True):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if auth else {}
        return api.generic("POST", url, body.encode(), content_type=content_type, **headers)

    return send


def lines(*objects) -> str:
    return "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objects)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return [json.loads(line) for line in response.content.decode().split("\n")]


def test_each_line_creates_a_thing_and_answers_its_id(bulk, customer):
    answer = bulk(
        lines(*({"customer": customer.pk, "total": t, "note": f"n{t}"} for t in (1, 2, 3)))
    )
    out = results(answer)
    assert [r["status"] for r in out] == ["success"] * 3
    created = Order.objects.in_bulk([r["id"] for r in out])
    assert [created[r["id"]].note for r in out] == ["n1", "n2", "n3"]
    assert [created[r["id"]].total for r in out] == [1, 2, 3]
    # the wire shape is Bubble's: compact, status then id
    assert answer.content.decode().split("\n")[0] == f'{{"status":"success","id":{out[0]["id"]}}}'


def test_a_thousand_lines_with_a_bad_one_among_them(bulk, customer):
    objects = [{"customer": customer.pk, "total": i, "note": f"line {i}"} for i in range(MAX_LINES)]
    objects[417] = {"customer": customer.pk, "total": "lots", "note": "bad"}
    out = results(bulk(lines(*objects)))
    assert len(out) == MAX_LINES
    bad = [i for i, r in enumerate(out) if r["status"] != "success"]
    assert bad == [417]
    assert out[417]["parameter"] == "total" and out[417]["code"] == "INVALID_PARAMETER"
    assert "total" in out[417]["message"]
    assert Order.objects.count() == MAX_LINES - 1
    assert not Order.objects.filter(note="bad").exists()
    # each success is the thing of its own line
    ids = [r["id"] for r in out if r["status"] == "success"]
    notes = dict(Order.objects.filter(pk__in=ids).values_list("pk", "note"))
    assert [notes[r["id"]] for r in out[:3]] == ["line 0", "line 1", "line 2"]
    assert len(set(ids)) == MAX_LINES - 1


def test_more_than_a_thousand_lines_creates_nothing(bulk, customer):
    body = lines(*({"customer": customer.pk, "total": 1} for _ in range(MAX_LINES + 1)))
    response = bulk(body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "INVALID_PARAMETER"
    assert "1,001 lines; at most 1,000 things" in error["message"]
    assert error["body"]["status"] == "INVALID_DATA"
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "could not parse as JSON"),
        ("[1, 2]", "expected a JSON object of field names to values, got a list"),
        ('"text"', "got a text"),
        ("42", "got a number"),
        ("null", "got null"),
        ("   ", "an empty line"),
        ('{"customer": CUSTOMER, "total": 1, "colour": "red"}', "has no field 'colour'"),
        ('{"customer": 999999, "total": 1}', "no examples.Customer with id 999999"),
        ('{"customer": CUSTOMER, "total": 1, "created_at": "2020-01-01"}', "set automatically"),
        ('{"total": 1}', "customer"),
        ('{"customer": CUSTOMER, "total": 1, "note": "\\ud800"}', "lone surrogate"),
        ('{"customer": CUSTOMER, "total": 1, "note": "a\\u0000b"}', "NUL"),
        ('{"customer": CUSTOMER, "total": 1e999}', "the number at $.total is not finite"),
        ('{"customer": CUSTOMER, "total": 1, "note": -1e999}', "at $.note is not finite"),
        ('{"customer": CUSTOMER, "total": ' + "9" * 5000 + "}", "longer than 4,300 digits"),
    ],
)
def test_a_bad_line_fails_alone(bulk, customer, line, message):
    good = json.dumps({"customer": customer.pk, "total": 5})
    out = results(bulk(lines(good, line.replace("CUSTOMER", str(customer.pk)), good)))
    assert [r["status"] for r in out] == ["success", "error", "success"]
    assert message in out[1]["message"]
    assert set(out[1]) <= {"status", "message", "code", "parameter"}
    assert Order.objects.count() == 2


def test_line_endings_and_a_final_newline(bulk, customer):
    one = json.dumps({"customer": customer.pk, "total": 1})
    out = results(bulk(f"{one}\r\n{one}\r\n\n"))
    assert [r["status"] for r in out] == ["success", "success"]


def test_an_empty_line_inside_keeps_its_place(bulk, customer):
    one = json.dumps({"customer": customer.pk, "total": 1})
    out = results(bulk(f"{one}\n\n{one}"))
    assert [r["status"] for r in out] == ["success", "error", "success"]


@pytest.mark.parametrize("body", ["", "\n\n", "  \n"])
def test_an_empty_body_is_refused(bulk, body):
    response = bulk(body)
    assert response.status_code == 400
    assert "the body is empty" in response.json()["message"]


def test_only_text_plain(bulk, customer):
    body = json.dumps({"customer": customer.pk, "total": 1})
    response = bulk(body, content_type="application/json")
    assert response.status_code == 415
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert Order.objects.count() == 0


def test_the_body_in_its_charset(api, key, customer):
    body = json.dumps({"customer": customer.pk, "total": 1, "note": "Zoë"}, ensure_ascii=False)
    for charset in ("utf-8", "latin-1"):
        response = api.generic(
            "POST",
            URL,
            body.encode(charset),
            content_type=f"text/plain; charset={charset}",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        out = results(response)
        assert Order.objects.get(pk=out[0]["id"]).note == "Zoë"


def test_not_utf8_is_refused(api, key):
    response = api.generic(
        "POST",
        URL,
        b'{"note": "\xff"}',
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


def test_only_post(api, key):
    response = api.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 405


def test_the_body_size_limit_holds(bulk, customer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = lines(*({"customer": customer.pk, "total": 1} for _ in range(50)))
    response = bulk(body)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert Order.objects.count() == 0


def test_a_bulk_request_is_one_request_of_the_throttle(bulk, customer, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": "2/min", "address": "2/min"},
    }
    body = lines(*({"customer": customer.pk, "total": 1} for _ in range(10)))
    assert bulk(body).status_code == 200
    assert bulk(body).status_code == 200
    refused = bulk(body)
    assert refused.status_code == 429 and "Retry-After" in refused
    assert Order.objects.count() == 20


def test_a_key_without_the_data_api_is_refused(api, user, customer):
    from workflows.services import api_key_create

    _, raw = api_key_create(user=user, name="wf-only", allow_data_api=False)
    body = json.dumps({"customer": customer.pk, "total": 1})
    response = api.generic(
        "POST", URL, body.encode(), content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_another_data_type_by_its_short_name(bulk):
    out = results(
        bulk(lines({"name": "a"}, {"name": "a"}, {"name": "b"}), url="/api/1.1/obj/setting/bulk")
    )
    assert [r["status"] for r in out] == ["success", "error", "success"]
    assert "already exists" in out[1]["message"]
    assert sorted(Setting.objects.values_list("name", flat=True)) == ["a", "b"]


def test_lists_of_things_per_line(bulk, customer):
    from examples.models import Product

    tea = Product.objects.create(name="Tea", price=Decimal("4.50"))
    out = results(bulk(lines({"customer": customer.pk, "total": 1, "products": [tea.pk]})))
    assert list(Order.objects.get(pk=out[0]["id"]).products.all()) == [tea]


def test_a_customer_line_can_make_a_customer(bulk, user):
    out = results(
        bulk(
            lines({"name": "Ann", "email": "ann@example.com"}),
            url="/api/1.1/obj/examples.customer/bulk",
        )
    )
    assert Customer.objects.get(pk=out[0]["id"]).name == "Ann"


# --- privacy: "create via API" is checked for each line's thing ------------------------


@pytest.fixture
def private_rules(db):
    """Customers reachable by everybody; an order may be created through the API only for
    one's own customer, and only under 100."""
    from workflows.models import PrivacyRule

    PrivacyRule.objects.create(
        data_type="examples.Customer", everyone_else=True, name="", view_all=True
    )
    PrivacyRule.objects.create(
        data_type="examples.Order",
        name="own-small-orders",
        condition="thing.customer.user == current_user and thing.total < 100",
        view_all=True,
        find_in_searches=True,
        create_via_api=True,
    )


@pytest.mark.privacy
def test_privacy_refuses_lines_one_by_one(bulk, private_rules, user, other_user):
    mine = Customer.objects.create(name="Ann", email="ann@example.com", user=user)
    theirs = Customer.objects.create(name="Bob", email="bob@example.com", user=other_user)
    out = results(
        bulk(
            lines(
                {"customer": mine.pk, "total": 10, "note": "ok 1"},
                {"customer": theirs.pk, "total": 10, "note": "someone else's"},
                {"customer": mine.pk, "total": 500, "note": "too large"},
                {"customer": mine.pk, "total": 20, "note": "ok 2"},
            )
        )
    )
    assert [r["status"] for r in out] == ["success", "error", "error", "success"]
    for refused in (out[1], out[2]):
        assert refused["code"] == "FORBIDDEN"
        assert refused["message"] == (
            "no privacy rule lets you create this examples.Order through the API"
        )
    assert sorted(Order.objects.values_list("note", flat=True)) == ["ok 1", "ok 2"]


@pytest.mark.privacy
def test_a_caller_no_rule_lets_create_is_refused_whole(api, user, make_key, customer):
    from workflows.models import PrivacyRule

    PrivacyRule.objects.create(
        data_type="examples.Order", everyone_else=True, name="", view_all=True
    )
    body = json.dumps({"customer": customer.pk, "total": 1})
    response = api.generic(
        "POST",
        URL,
        f"{body}\n{{not json".encode(),
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {make_key(user)}",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert Order.objects.count() == 0


def test_anonymous_callers_under_an_everyone_else_rule(bulk, customer):
    out = results(bulk(lines({"customer": customer.pk, "total": 1}), auth=False))
    assert out[0]["status"] == "success"


# --- database triggers fire for each created thing, as for single creates -----------------


@pytest.mark.django_db(transaction=True)
def test_triggers_fire_once_per_created_thing(bulk, make_workflow, customer, user, drain):
    from scheduler.models import Origin, ScheduledRun, Status

    make_workflow(
        "on-order-created",
        kind="trigger",
        data_type="examples.Order",
        on=["create"],
        actions=[
            {
                "type": "make_changes",
                "thing": "{{ thing }}",
                "changes": {"note": "seen by {{ current_user.username }}"},
            }
        ],
    )
    out = results(
        bulk(
            lines(
                {"customer": customer.pk, "total": 1},
                {"customer": customer.pk, "total": "x"},
                {"customer": customer.pk, "total": 2},
            )
        )
    )
    created = [r["id"] for r in out if r["status"] == "success"]
    assert len(created) == 2
    fired = ScheduledRun.objects.filter(origin=Origin.TRIGGER)
    assert sorted(r.context["thing"] for r in fired) == sorted(created)
    assert {r.actor_id for r in fired} == {user.pk}
    assert drain() == [Status.SUCCEEDED, Status.SUCCEEDED]
    assert set(Order.objects.values_list("note", flat=True)) == {"seen by alice"}


def test_a_fault_of_ours_on_one_line_fails_that_line_alone(bulk, customer, monkeypatch, caplog):
    """An unexpected error is that line's error (and logged): a 500 would hide which lines
    were created before it, and a retry would create them twice."""
    from workflows.data_api import bulk as bulk_module

    real = bulk_module.thing_create

    def flaky(*, access, model, data):
        if data.get("note") == "boom":
            raise RuntimeError("a bug")
        return real(access=access, model=model, data=data)

    monkeypatch.setattr(bulk_module, "thing_create", flaky)
    out = results(
        bulk(lines(*({"customer": customer.pk, "total": 1, "note": n} for n in ("a", "boom", "c"))))
    )
    assert [r["status"] for r in out] == ["success", "error", "success"]
    assert out[1] == {"status": "error", "message": "internal error", "code": "SERVER_ERROR"}
    assert sorted(Order.objects.values_list("note", flat=True)) == ["a", "c"]
    assert "a line failed" in caplog.text
