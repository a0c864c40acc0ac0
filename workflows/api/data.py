"""The Data API: ``/api/1.1/obj/<data_type>[/<id>]``, in Bubble's shapes, privacy-filtered.

Anyone may call it (anonymous callers get what each data type's "everyone else" rule
grants); a key limited to workflows (``allow_data_api`` off) is refused. What a caller may
find, see, create, modify and delete is decided by the privacy rules alone
(``workflows.privacy``), in the database query.
"""

from __future__ import annotations

from django.db import models
from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from .. import data_types
from ..data_api import bulk, selectors, services
from ..privacy.access import DataAccess
from ..privacy.audience import audience_of
from ..privacy.grants import FIND, VIEW
from .access import DataApiAllowed
from .parsers import PlainTextParser
from .views import LimitedBodyView


class _DataView(LimitedBodyView):
    permission_classes = [DataApiAllowed]

    @staticmethod
    def access(request: Request) -> DataAccess:
        return DataAccess(request.user, ignore_privacy=False)

    @staticmethod
    def model(request: Request, data_type: str) -> type[models.Model]:
        """The data type named; an unknown one's error lists only those the caller's class
        could find, see or write things of."""
        return selectors.data_type_for(data_type, audience_of(request.user))


class ThingListView(_DataView):
    """``GET`` searches (constraints, sort, cursor); ``POST`` creates a thing."""

    def get(self, request: Request, data_type: str) -> Response:
        query = request.query_params
        page = selectors.things_search(
            access=self.access(request),
            model=self.model(request, data_type),
            constraints=query.get("constraints"),
            cursor=query.get("cursor"),
            limit=query.get("limit"),
            sort_field=query.get("sort_field"),
            descending=query.get("descending"),
            additional_sort_fields=query.get("additional_sort_fields"),
            exclude_remaining=query.get("exclude_remaining"),
        )
        return Response({"response": page.as_response()})

    def post(self, request: Request, data_type: str) -> Response:
        thing = services.thing_create(
            access=self.access(request), model=self.model(request, data_type), data=request.data
        )
        return Response({"status": "success", "id": data_types.wire_id(thing)}, status=201)


class ThingBulkView(_DataView):
    """``POST`` creates up to 1,000 things, one JSON object per line of a ``text/plain``
    body; the answer is one result per line, ``text/plain`` too, as Bubble's."""

    parser_classes = [PlainTextParser]

    def post(self, request: Request, data_type: str) -> HttpResponse:
        model = self.model(request, data_type)
        text = request.data if isinstance(request.data, str) else ""
        results = bulk.things_bulk_create(access=self.access(request), model=model, text=text)
        return HttpResponse(bulk.result_lines(results), content_type="text/plain; charset=utf-8")


class ThingView(_DataView):
    """One thing: ``GET`` it, ``PATCH`` some fields, ``PUT`` all fields, ``DELETE`` it."""

    def get(self, request: Request, data_type: str, thing_id: str) -> Response:
        access = self.access(request)
        thing = selectors.thing_get(
            access=access,
            model=self.model(request, data_type),
            thing_id=thing_id,
            grants=(FIND, VIEW),
        )
        return Response({"response": selectors.thing_payload(access, thing)})

    def patch(self, request: Request, data_type: str, thing_id: str) -> Response:
        return self._modify(request, data_type, thing_id, replace=False)

    def put(self, request: Request, data_type: str, thing_id: str) -> Response:
        return self._modify(request, data_type, thing_id, replace=True)

    def delete(self, request: Request, data_type: str, thing_id: str) -> Response:
        services.thing_delete(
            access=self.access(request), model=self.model(request, data_type), thing_id=thing_id
        )
        return Response(status=204)

    def _modify(self, request: Request, data_type: str, thing_id: str, *, replace: bool):
        services.thing_modify(
            access=self.access(request),
            model=self.model(request, data_type),
            thing_id=thing_id,
            data=request.data,
            replace=replace,
        )
        return Response(status=204)
