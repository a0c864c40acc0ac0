"""Bubble's built-in fields (``workflows.bubble_fields.BubbleThing``, used by
``examples.Review``): Created Date, Modified Date, Created By and a text unique id. Created
By is whoever creates the thing, on every path; the Data API shows, sorts and filters the
fields under Bubble's names (and their field names), finds a thing by its unique id, and
sorts searches by Created Date unless asked otherwise."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from examples.models import Order, Product, Review
from workflows import engine
from workflows.bubble_fields import new_unique_id

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc
LIST = "/api/1.1/obj/examples.review"


@pytest.fixture
def tea(db):
    return Product.objects.create(name="Tea", price=Decimal("4.50"))


def send(api, key, method, url, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return getattr(api, method)(url, body, format="json", **headers)


def test_a_data_api_create_is_created_by_the_keys_user(api, key, user, tea):
    response = send(api, key, "post", LIST, {"product": tea.pk, "rating": 4, "tags": ["a"]})
    assert response.status_code == 201, response.content
    review = Review.objects.get(pk=response.json()["id"])
    assert review.created_by == user
    assert re.fullmatch(r"[0-9]{13}x[0-9]{18}", review.unique_id)
    assert review.created_date == review.modified_date


def test_reads_use_bubbles_names(api, key, user, tea):
    review = Review.objects.create(product=tea, rating=5, created_by=user, tags=["green"])
    body = send(api, key, "get", f"{LIST}/{review.pk}").json()["response"]
    assert body["Created Date"] == review.created_date.isoformat()
    assert body["Modified Date"] == review.modified_date.isoformat()
    assert body["Created By"] == user.pk
    assert body["unique_id"] == review.unique_id
    assert body["tags"] == ["green"]
    assert not {"created_date", "modified_date", "created_by"} & set(body)


def test_bulk_lines_are_created_by_the_caller(api, key, user, tea):
    lines = "\n".join(json.dumps({"product": tea.pk, "rating": r}) for r in (1, 2, 3))
    response = api.generic(
        "POST", f"{LIST}/bulk", lines.encode(), "text/plain", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200
    assert list(Review.objects.values_list("created_by", flat=True)) == [user.pk] * 3
    ids = {r.unique_id for r in Review.objects.all()}
    assert len(ids) == 3


def test_a_workflow_create_is_created_by_the_runs_user(make_workflow, user, tea):
    wf = make_workflow(
        actions=[
            {
                "id": "r",
                "type": "create_thing",
                "data_type": "examples.Review",
                "fields": {"product": tea.pk, "rating": 3, "tags": ["x", "y"]},
            },
            {"type": "return_data", "data": {"review": "{{ steps.r }}"}},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    review = Review.objects.get()
    assert review.created_by == user and review.tags == ["x", "y"]
    # returned data shows the thing as the Data API does
    assert result.response["review"]["Created By"] == user.pk
    assert result.response["review"]["tags"] == ["x", "y"]


def test_a_workflow_run_by_nobody_creates_things_created_by_nobody(make_workflow, tea):
    wf = make_workflow(
        actions=[
            {
                "type": "create_thing",
                "data_type": "examples.Review",
                "fields": {"product": tea.pk, "rating": 3},
            }
        ]
    )
    assert engine.run(wf, {}, None).ok
    assert Review.objects.get().created_by is None


def test_an_admin_add_is_created_by_the_staff_user(superuser, tea):
    client = Client()
    client.force_login(superuser)
    response = client.post(
        "/admin/examples/review/add/",
        {"product": tea.pk, "rating": 5, "text": "", "tags": '["admin"]'},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    review = Review.objects.get()
    assert review.created_by == superuser and review.tags == ["admin"]


def test_the_creator_may_set_them_outside_the_data_api(user, other_user, tea):
    """Things brought over from Bubble keep their author, dates and ids."""
    then = datetime.datetime(2016, 1, 13, 10, 30, tzinfo=UTC)
    review = Review.objects.create(
        product=tea,
        rating=1,
        created_by=other_user,
        created_date=then,
        unique_id="1452681000000x100000000000000001",
    )
    review.refresh_from_db()
    assert (review.created_by, review.created_date, review.modified_date) == (
        other_user,
        then,
        then,
    )
    assert review.unique_id == "1452681000000x100000000000000001"


@pytest.mark.parametrize(
    "field", ["created_by", "Created By", "created_date", "modified_date", "unique_id"]
)
def test_the_data_api_writes_none_of_them(api, key, user, other_user, tea, field):
    value = {"created_by": other_user.pk, "Created By": other_user.pk, "unique_id": "1x1"}.get(
        field, "2020-01-01T00:00:00Z"
    )
    body = {"product": tea.pk, "rating": 2, field: value}
    created = send(api, key, "post", LIST, body)
    assert created.status_code == 400, created.content
    review = Review.objects.create(product=tea, rating=1, created_by=user)
    before = (review.unique_id, review.created_date)
    patched = send(api, key, "patch", f"{LIST}/{review.pk}", {field: value})
    assert patched.status_code == 400
    review.refresh_from_db()
    assert (review.created_by, review.unique_id, review.created_date) == (user, *before)


def test_a_change_moves_modified_date_only(api, key, user, tea, time_machine):
    time_machine.move_to(datetime.datetime(2024, 1, 1, tzinfo=UTC), tick=False)
    review = Review.objects.create(product=tea, rating=1, created_by=user)
    time_machine.move_to(datetime.datetime(2024, 2, 1, tzinfo=UTC), tick=False)
    assert send(api, key, "patch", f"{LIST}/{review.pk}", {"rating": 2}).status_code == 204
    review.refresh_from_db()
    assert review.created_date == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert review.modified_date == datetime.datetime(2024, 2, 1, tzinfo=UTC)


@pytest.fixture
def three(user, other_user, tea):
    """Reviews created in the order b, c, a (ids in the order a, b, c)."""
    made = {n: Review.objects.create(product=tea, rating=1, text=n) for n in "abc"}
    for name, day, author in (("b", 1, user), ("c", 2, other_user), ("a", 3, user)):
        Review.objects.filter(pk=made[name].pk).update(
            created_date=datetime.datetime(2024, 1, day, tzinfo=UTC),
            modified_date=datetime.datetime(2024, 6, 4 - day, tzinfo=UTC),
            created_by=author,
        )
    return made


def texts(response):
    assert response.status_code == 200, response.content
    return [r["text"] for r in response.json()["response"]["results"]]


def test_searches_are_in_created_date_order_by_default(api, key, three, customer):
    assert texts(api.get(LIST, HTTP_AUTHORIZATION=f"Bearer {key}")) == ["b", "c", "a"]
    # a data type without Created Date: by id, as before
    orders = [Order.objects.create(customer=customer, total=1, note=n) for n in "xyz"]
    page = api.get("/api/1.1/obj/examples.order", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert [r["_id"] for r in page.json()["response"]["results"]] == [o.pk for o in orders]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ({"sort_field": "Created Date", "descending": "true"}, ["a", "c", "b"]),
        ({"sort_field": "created_date", "descending": "true"}, ["a", "c", "b"]),
        ({"sort_field": "Modified Date"}, ["a", "c", "b"]),
        ({"sort_field": "modified_date", "descending": "true"}, ["b", "c", "a"]),
        ({"sort_field": "_id"}, ["a", "b", "c"]),
        ({"sort_field": "Created By", "additional_sort_fields": '[{"sort_field": "text"}]'}, None),
    ],
)
def test_sorting_by_bubbles_names_or_the_field_names(api, key, three, user, sort, expected):
    got = texts(api.get(LIST, sort, HTTP_AUTHORIZATION=f"Bearer {key}"))
    if expected is None:  # by author (alice's first: her id is lower), then text
        expected = ["a", "b", "c"]
    assert got == expected


@pytest.mark.parametrize("key_name", ["Created Date", "created_date"])
def test_filtering_by_created_date(api, key, three, key_name):
    constraints = [
        {"key": key_name, "constraint_type": "greater than", "value": "2024-01-01T12:00:00Z"}
    ]
    query = {"constraints": json.dumps(constraints)}
    assert texts(api.get(LIST, query, HTTP_AUTHORIZATION=f"Bearer {key}")) == ["c", "a"]


@pytest.mark.parametrize("key_name", ["Created By", "created_by"])
def test_filtering_by_created_by(api, key, three, other_user, key_name):
    constraints = [{"key": key_name, "constraint_type": "equals", "value": other_user.pk}]
    query = {"constraints": json.dumps(constraints)}
    assert texts(api.get(LIST, query, HTTP_AUTHORIZATION=f"Bearer {key}")) == ["c"]


def test_an_unknown_field_lists_bubbles_names(api, key, three):
    response = api.get(LIST, {"sort_field": "Colour"}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 400
    assert "Created By, Created Date, Modified Date" in response.json()["message"]


def test_a_thing_is_found_by_its_unique_id_too(api, key, user, tea):
    review = Review.objects.create(product=tea, rating=1, created_by=user)
    imported = Review.objects.create(
        product=tea, rating=2, created_by=user, unique_id="1449154312665x293260311940684900"
    )
    for thing, ident in ((review, review.unique_id), (imported, imported.unique_id)):
        body = send(api, key, "get", f"{LIST}/{ident}").json()["response"]
        assert body["_id"] == thing.pk
    assert send(api, key, "patch", f"{LIST}/{imported.unique_id}", {"rating": 4}).status_code == 204
    imported.refresh_from_db()
    assert imported.rating == 4
    missing = send(api, key, "get", f"{LIST}/1449154312665x000000000000000001")
    assert missing.status_code == 404
    assert send(api, key, "get", f"{LIST}/{new_unique_id()}").status_code == 404


# --- privacy: rules on Created By, as the examples have them -------------------------------


@pytest.fixture
def author_rules(db):
    from workflows.models import PrivacyRule

    PrivacyRule.objects.create(data_type="examples.Product", everyone_else=True, view_all=True)
    PrivacyRule.objects.create(
        data_type="examples.Review",
        name="author",
        condition="thing.created_by == current_user",
        view_all=True,
        find_in_searches=True,
        create_via_api=True,
        modify_via_api=True,
    )
    PrivacyRule.objects.create(
        data_type="examples.Review",
        everyone_else=True,
        view_fields=["rating", "text"],
        find_in_searches=True,
    )


@pytest.mark.privacy
def test_an_author_rule_lets_users_write_and_change_only_their_own(
    api, user, other_user, make_key, author_rules, tea
):
    mine, theirs = make_key(user), make_key(other_user)
    created = send(api, mine, "post", LIST, {"product": tea.pk, "rating": 3})
    assert created.status_code == 201, created.content
    review = f"{LIST}/{created.json()['id']}"
    assert send(api, mine, "patch", review, {"rating": 4}).status_code == 204
    assert send(api, theirs, "patch", review, {"rating": 1}).status_code == 403
    assert send(api, None, "post", LIST, {"product": tea.pk, "rating": 1}).status_code == 403
    assert list(Review.objects.values_list("rating", "created_by")) == [(4, user.pk)]


@pytest.mark.privacy
def test_a_hidden_created_date_is_no_default_order(
    api, user, other_user, make_key, author_rules, three
):
    # other_user sees alice's reviews without their dates: by id, not by the hidden date
    key = make_key(other_user)
    assert texts(api.get(LIST, HTTP_AUTHORIZATION=f"Bearer {key}")) == ["a", "b", "c"]
    refused = api.get(LIST, {"sort_field": "Created Date"}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert refused.status_code == 400
    assert "a privacy rule hides it" in refused.json()["message"]
    # ...and a hidden Created By is not shown under either name
    body = api.get(f"{LIST}/{three['a'].pk}", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert set(body["response"]) == {"_id", "_type", "rating", "text"}
