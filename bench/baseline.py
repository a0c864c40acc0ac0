"""The hand-written DRF views the endpoint benchmark compares workflows against.

It does what ``bench-create-customer`` (bench/fixtures.yaml) does, the way a developer would
write it by hand: validate the two fields with a serializer, insert one
``examples.Customer`` owned by the caller in a transaction, answer it in Bubble's shape.
Same server, same settings, same authentication (API key) and throttling (off) as the
workflow endpoint; what it lacks is the workflow machinery and the run log — the overhead
being measured.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from examples.models import Customer
from workflows.models import Run, StepRun


class CustomerIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.CharField(max_length=254)


class CustomerOut(serializers.ModelSerializer):
    _id = serializers.IntegerField(source="pk")
    _type = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["_id", "_type", "name", "email", "user", "created_at"]

    def get__type(self, customer: Customer) -> str:
        return customer._meta.label


class CreateCustomerView(APIView):
    """``POST /bench/customer`` ``{"name", "email"}`` → the new customer."""

    def post(self, request: Request) -> Response:
        body = CustomerIn(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        with transaction.atomic():
            customer = Customer.objects.create(user=user, **body.validated_data)
        return Response({"status": "success", "response": {"customer": CustomerOut(customer).data}})


class EchoView(APIView):
    """``POST /bench/echo`` ``{"name", "email"}`` → the fields and the ones ``bench-echo``
    computes from them; no database and no log: what a developer writes for n8n's scenario."""

    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> Response:
        body = CustomerIn(data=request.data)
        body.is_valid(raise_exception=True)
        name, email = body.validated_data["name"], body.validated_data["email"]
        return Response(
            {
                "status": "success",
                "response": {
                    "name": name,
                    "email": email,
                    "greeting": f"Hello, {name} <{email}>",
                    "letters": len(name),
                    "static": 42,
                    "received": {"name": name, "email": email},
                },
            }
        )


#: the floor's runs, told apart from the workflow's own (bench/endpoint.py counts those)
FLOOR_SOURCE = "bench-floor"


class RunLogFloorView(CreateCustomerView):
    """``POST /bench/floor``: the DRF view plus the least a logged run must write, each
    statement by hand (a cursor and fixed SQL: no model instances, no expressions, no
    privacy, no masking), so nothing the engine could do more cheaply is left in it.

    What the engine's guarantees require of ``bench-create-customer`` (docs/architecture.md):
    its workflow read (the definition a run follows), the ``Run`` row committed before any
    work (a crash leaves evidence), then in the effects' transaction the thing, the steps'
    rows and the run's end (effects and status commit together). Its throughput against the
    DRF view's is the most a workflow with a run log can reach on that machine: the
    endpoint goal is measured against it in docs/performance.md.
    """

    def post(self, request: Request) -> Response:
        started = time.perf_counter()
        body = CustomerIn(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        ops = connection.ops
        now = ops.adapt_datetimefield_value(timezone.now())
        params = json.dumps(body.validated_data)
        run_id = uuid.uuid4().hex
        with connection.cursor() as cursor:
            cursor.execute(_WORKFLOW_SQL, ["bench-create-customer", "api", True])
            workflow_id, revision = cursor.fetchone()
            run = {
                "id": run_id, "workflow_id": workflow_id, "workflow_revision": revision,
                "workflow_name": "bench-create-customer", "version": None, "test": False,
                "source": FLOOR_SOURCE,
                "status": "running", "actor_id": getattr(user, "pk", None), "parent_id": None,
                "depth": 0, "rerun_of_id": None, "params": params, "result": None,
                "error_code": "", "error_message": "", "error_parameter": "",
                "started_at": now, "finished_at": None, "duration_ms": None,
            }  # fmt: skip
            _insert(cursor, Run, [run])  # committed on its own: a row before any work
        with transaction.atomic(), connection.cursor() as cursor:
            customer = Customer.objects.create(user=user, **body.validated_data)
            answer = CustomerOut(customer).data
            result = json.dumps({"customer": {"_type": "examples.Customer", "_id": customer.pk}})
            step = {
                "run_id": run_id, "label": "", "status": "succeeded", "condition_result": None,
                "error": "", "started_at": now, "duration_ms": 0.0,
            }  # fmt: skip
            _insert(cursor, StepRun, [
                {**step, "position": 1, "step_id": "customer", "action_type": "create_thing",
                 "inputs": params, "output": result},
                {**step, "position": 2, "step_id": "", "action_type": "return_data",
                 "inputs": result, "output": None},
            ])  # fmt: skip
            end = {
                "status": "succeeded", "result": result, "finished_at": now,
                "duration_ms": (time.perf_counter() - started) * 1000,
            }  # fmt: skip
            cursor.execute(_end_sql(tuple(end)), [*end.values(), run_id, "running"])
        return Response({"status": "success", "response": {"customer": answer}})


def _quoted(model: type[Model], columns: Any) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(model._meta.db_table), ", ".join(quote(c) for c in columns)


_WORKFLOW_SQL = (
    'SELECT "id", "revision" FROM "workflows_workflow" '
    'WHERE "name" = %s AND "kind" = %s AND "expose" = %s LIMIT 1'
)


def _insert(cursor: Any, model: type[Model], rows: list[dict[str, Any]]) -> None:
    table, names = _quoted(model, rows[0])
    marks = ", ".join(["(" + ", ".join(["%s"] * len(rows[0])) + ")"] * len(rows))
    values = [value for row in rows for value in row.values()]
    cursor.execute(f"INSERT INTO {table} ({names}) VALUES {marks}", values)  # noqa: S608


def _end_sql(columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    return f'UPDATE "workflows_run" SET {sets} WHERE "id" = %s AND "status" = %s'  # noqa: S608
