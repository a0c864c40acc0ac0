"""The hand-written DRF views the endpoint benchmark compares workflows against.

It does what ``bench-create-customer`` (bench/fixtures.yaml) does, the way a developer would
write it by hand: validate the two fields with a serializer, insert one
``examples.Customer`` owned by the caller in a transaction, answer it in Bubble's shape.
Same server, same settings, same authentication (API key) and throttling (off) as the
workflow endpoint; what it lacks is the workflow machinery and the run log — the overhead
being measured.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from examples.models import Customer


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
