"""One serializer per workflow: it describes the parameters in the schema and validates the
requests (by ``coerce_params``), so the schema, the API, the schedule endpoint and the
admin's Run now form cannot drift apart."""

from __future__ import annotations

import datetime

import pytest

from examples.models import Customer, Order
from scheduler.models import ScheduledRun
from workflows.admin.run_now import run_form_class
from workflows.api import params_serializer
from workflows.api.params_serializer import (
    ParamField,
    validated_params,
    workflow_params_serializer,
)
from workflows.engine.cache import get_compiled
from workflows.exceptions import InvalidParameter, MissingParameter, ThingNotFound
from workflows.models import PrivacyRule

from .conftest import request_schema

ORDER = {"key": "order", "type": "thing", "data_type": "examples.Order"}


@pytest.fixture
def wf(make_workflow):
    return make_workflow(
        "pay",
        expose=True,
        parameters=[
            ORDER,
            {"key": "note", "type": "text", "optional": True},
            {"key": "when", "type": "date", "optional": True},
            {"key": "copies", "type": "number", "default": 1},
            {"key": "doc", "type": "file", "optional": True},
        ],
        actions=[{"type": "return_data", "data": {"order": "{{ params.order.id }}"}}],
    )


def test_its_fields_are_the_parameters(wf):
    compiled = get_compiled(wf)
    serializer = workflow_params_serializer(compiled)()
    assert list(serializer.fields) == ["order", "note", "when", "copies", "doc"]
    assert all(isinstance(f, ParamField) for f in serializer.fields.values())
    assert [f.spec for f in serializer.fields.values()] == list(compiled.parameters)
    assert workflow_params_serializer(compiled) is workflow_params_serializer(compiled)


def test_it_validates_through_coerce_params(wf, order, user):
    values = validated_params(get_compiled(wf), {"order": str(order.pk), "when": 0}, user).values
    assert values["order"] == order
    assert values["when"] == datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    assert values["copies"] == 1 and values["note"] is None and values["doc"] is None


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({}, MissingParameter),
        ({"order": "x"}, InvalidParameter),
        ({"order": 10**6}, ThingNotFound),
        ({"order": "ORDER", "when": "soon"}, InvalidParameter),
    ],
)
def test_its_errors_are_the_engines(wf, user, order, raw, error):
    raw = {k: order.pk if v == "ORDER" else v for k, v in raw.items()}
    with pytest.raises(error) as caught:
        validated_params(get_compiled(wf), raw, user)
    assert caught.value.parameter in ("order", "when")


@pytest.mark.privacy
def test_things_are_looked_up_through_the_callers_privacy(wf, user, other_user):
    mine = Order.objects.create(customer=Customer.objects.create(name="A", user=user), total=5)
    PrivacyRule.objects.create(
        data_type="examples.Order",
        name="own",
        condition="thing.customer.user == current_user",
        view_all=True,
        find_in_searches=True,
    )
    assert validated_params(get_compiled(wf), {"order": mine.pk}, user).values["order"] == mine
    with pytest.raises(ThingNotFound):
        validated_params(get_compiled(wf), {"order": mine.pk}, other_user)


def test_the_api_and_the_schedule_endpoint_validate_with_it(wf, call, key, api, monkeypatch):
    seen = []
    original = params_serializer.WorkflowParamsSerializer.run_validation

    def spy(self, data=None):
        seen.append(type(self).__name__)
        return original(self, data)

    monkeypatch.setattr(params_serializer.WorkflowParamsSerializer, "run_validation", spy)
    missing = call("pay", {}, key=key)
    assert (missing.status_code, missing.json()["code"]) == (400, "MISSING_PARAMETER")
    response = api.post(
        "/api/1.1/wf/pay/schedule",
        {"params": {"order": 10**6}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["parameter"]) == ("NOT_FOUND", "order")
    assert seen == ["Pay", "Pay"] and not ScheduledRun.objects.exists()


def test_the_schedule_endpoint_stores_what_it_validated(wf, order, api, key):
    response = api.post(
        "/api/1.1/wf/pay/schedule",
        {"at": "2099-01-01T00:00:00Z", "params": {"order": order.pk, "note": "hi"}},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201, response.content
    row = ScheduledRun.objects.get(pk=response.json()["id"])
    assert row.params["order"] == {"_type": "examples.Order", "_id": order.pk}
    assert (row.params["note"], row.params["copies"]) == ("hi", 1)


def test_schema_serializer_and_run_now_form_agree(wf, document):
    """Same parameters, same required ones, everywhere."""
    compiled = get_compiled(wf)
    serializer = workflow_params_serializer(compiled)()
    form = run_form_class(compiled)()
    body = request_schema(document(), "/api/1.1/wf/pay")
    keys = [spec.key for spec in compiled.parameters]
    assert list(serializer.fields) == list(body["properties"]) == keys
    assert set(keys) <= set(form.fields)
    required = {k for k, f in serializer.fields.items() if f.required}
    assert required == set(body["required"]) == {"order"}
    assert {k for k in keys if form.fields[k].required} == required
