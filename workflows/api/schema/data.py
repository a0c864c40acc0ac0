"""The Data API in the document: one set of operations per data type, its fields as schemas.

``/api/1.1/obj/{data_type}`` becomes ``/api/1.1/obj/examples.order`` (search, create) and
``/api/1.1/obj/examples.order/{id}`` (get, modify, replace, delete) for each data type, with
components ``ExamplesOrder`` (a thing as the API answers it: ``_id``, ``_type`` and the
fields privacy lets the caller see — so none but those two is required) and
``ExamplesOrderRequest`` (the fields the API may write).

Which data types, fields and options are described depends on the class of the reader
(``privacy.audience``: anonymous, a user, an admin): each ``DataTypeDoc`` carries what its
reader's class could do with the type (``Exposure``), and a field its class could not see
is left out, with its options; the hooks leave out the types it could do nothing with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from ... import accounts, data_types
from ...bubble_fields import ListField
from ...data_api.bulk import MAX_LINES
from ...data_api.selectors import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT
from ...data_api.services import _writable_fields as writable_fields  # the API's own rule
from ...data_model import options
from ...data_model.fields import AddressField, FileUrlField
from ...engine.param_types import pk_schema, primary_key_schema
from ...privacy.audience import EVERYTHING, Exposure
from .components import error_responses, register
from .endpoints import BEARER

BEARER_OPTIONAL = [*BEARER, {}]  # anonymous callers get what "everyone else" may
SEARCH_NOTE = (
    "Only things the caller may find are listed, each with the fields it may see (privacy "
    "rules); anonymous callers get what the data type's everyone-else rule grants."
)


@dataclass(frozen=True)
class DataTypeDoc:
    """One data type as the document shows it: its model and its unique names."""

    model: type[models.Model]
    component: str  # ExamplesOrder
    operation: str  # examples_order
    #: what the reader's class could do with it: the fields described are those it could see
    exposure: Exposure = EVERYTHING
    #: the labels (lower case) of the data types the reader's document describes; None: all
    described: frozenset[str] | None = None

    @property
    def label(self) -> str:
        return data_types.label_of(self.model)

    @property
    def path(self) -> str:
        return f"/api/1.1/obj/{data_types.label_lower(self.model)}"

    def shown(self) -> list[models.Field]:
        """The fields a thing of it shows its reader (the id apart)."""
        fields = [*data_types.visible_fields(self.model), *data_types.list_fields(self.model)]
        return [f for f in fields if not f.primary_key and self.exposure.shows(f.name)]

    def names_type(self, model: type[models.Model]) -> bool:
        """Whether the document may name ``model`` (a related thing's type) to its reader."""
        return self.described is None or data_types.label_lower(model) in self.described


def _text_schema(field: models.Field, *, write: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if isinstance(field, models.EmailField):
        schema["format"] = "email"
    elif isinstance(field, models.URLField):
        schema["format"] = "uri"
    if write and getattr(field, "max_length", None):
        schema["maxLength"] = field.max_length
    return schema


_FORMATS: tuple[tuple[type[models.Field], dict[str, Any]], ...] = (
    (models.BooleanField, {"type": "boolean"}),
    (models.DecimalField, {"type": "number"}),
    (models.FloatField, {"type": "number"}),
    (models.BigIntegerField, {"type": "integer", "format": "int64"}),
    (models.IntegerField, {"type": "integer"}),
    (models.AutoField, {"type": "integer"}),
    (models.DateTimeField, {"type": "string", "format": "date-time"}),
    (models.DateField, {"type": "string", "format": "date"}),
    (models.TimeField, {"type": "string", "format": "time"}),
    (models.UUIDField, {"type": "string", "format": "uuid"}),
    (models.FileField, {"type": "string", "description": "The file's URL."}),
)


#: Bubble's geographic address, as ``data_model.fields.AddressField`` holds it
ADDRESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "address": {"type": "string"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lng": {"type": "number", "minimum": -180, "maximum": 180},
    },
    "required": ["address"],
    "description": "A geographic address: its text with its latitude and longitude.",
}
_LIST_ITEMS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date-time"},
}


def option_schema(field: models.Field, *, nullable: bool = False) -> dict[str, Any]:
    """One option of an option field's set, by its display (as the Data API reads and
    writes it); ``nullable``: or none (null is then one of the enum's values, as OpenAPI
    3.0 asks)."""
    option_set = options.option_set_of(field)
    schema: dict[str, Any] = {"type": "string"}
    if option_set is not None:
        schema["description"] = f"An option of {option_set.name}, by its display."
        if option_set.options:
            schema["enum"] = [*option_set.displays(), *([None] if nullable else [])]
    if nullable:
        schema["nullable"] = True
    return schema


def field_schema(
    field: models.Field,
    *,
    write: bool = False,
    names_type: Callable[[type[models.Model]], bool] | None = None,
) -> dict[str, Any]:
    """A model field's value as the Data API reads or writes it (related things as ids,
    options by their display). ``names_type``: whether the related thing's data type may
    be named (one the reader's document leaves out is "a thing")."""

    def named(model: type[models.Model]) -> bool:
        return names_type is None or names_type(model)

    if options.is_option_field(field) and field.many_to_many:
        item = option_schema(field)
        item.pop("description", None)
        option_set = options.option_set_of(field)
        named = f" of {option_set.name}" if option_set is not None else ""
        return {"type": "array", "items": item, "description": f"Options{named}, by display."}
    if options.is_option_field(field):
        return option_schema(field, nullable=True)
    if field.many_to_many:
        related = field.related_model
        things = f"{data_types.label_of(related)} things" if named(related) else "things"
        schema: dict[str, Any] = {
            "type": "array",
            "items": _link_schema(field),
            "description": f"Ids of {things}.",
        }
        return schema
    if field.is_relation:
        related = field.related_model
        schema = _link_schema(field)
        thing = data_types.label_of(related) if named(related) else "thing"
        schema["description"] = f"The id of a {thing}."
    elif isinstance(field, ListField):
        item = dict(_LIST_ITEMS.get(field.of, {}))
        schema = {"type": "array", "items": item, "description": f"A list of {field.of}s."}
    elif isinstance(field, AddressField):
        schema = dict(ADDRESS_SCHEMA)
    elif isinstance(field, models.JSONField):
        schema = {}
    elif isinstance(field, FileUrlField):
        schema = {"type": "string", "description": "The file's URL."}
    elif isinstance(field, models.CharField | models.TextField):
        schema = _text_schema(field, write=write)
    else:
        schema = next((dict(s) for cls, s in _FORMATS if isinstance(field, cls)), {})
    if field.choices and not field.null and not field.is_relation:
        schema["enum"] = [value for value, _ in field.flatchoices]
    if field.help_text and "description" not in schema:
        schema["description"] = str(field.help_text)
    if field.null:
        schema["nullable"] = True
    return schema


def _link_schema(field: models.Field) -> dict[str, Any]:
    """The id a link answers with (``data_types.thing_to_dict``): a data type defined in
    code names the users it points at by their number; one defined without code by their
    Bubble id where they kept one."""
    related = field.related_model
    if accounts.is_user_model(related) and not data_types.shows_unique_id(field.model):
        return primary_key_schema(related)
    return {**pk_schema(related)}


def thing_schema(doc: DataTypeDoc) -> dict[str, Any]:
    """A thing as the Data API answers it: the fields the reader's class could see."""
    model = doc.model
    properties: dict[str, Any] = {
        "_id": {**pk_schema(model), "description": "The thing's id."},
        "_type": {"type": "string", "enum": [data_types.label_of(model)]},
    }
    named = data_types.bubble_names(model)
    for field in doc.shown():
        properties[named.get(field.name, field.name)] = field_schema(
            field, names_type=doc.names_type
        )
    return {
        "type": "object",
        "description": f"A {data_types.label_of(model)}: the fields the caller may see.",
        "properties": properties,
        "required": ["_id", "_type"],
    }


def _required_to_create(field: models.Field) -> bool:
    """A field a create must give: one validation refuses blank (``blank=False``), with
    no default — whether or not its column may hold null (a required field of a data type
    defined without code has a nullable column, as every one of its fields)."""
    return not (
        field.many_to_many
        or field.has_default()
        or field.blank
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
    )


def written_fields(doc: DataTypeDoc, *, partial: bool) -> list[models.Field]:
    """The fields the reader may write: on a create (and a replace, whose body is the
    same) every writable field where its class could create (a create takes them all,
    seen or not), else, and on a change, those its class could see — as the Data API
    accepts them (``data_api.services``)."""
    fields = writable_fields(doc.model)
    if doc.exposure.create and not partial:
        return fields
    return [f for f in fields if doc.exposure.shows(f.name)]


def write_schema(doc: DataTypeDoc, *, partial: bool) -> dict[str, Any]:
    fields = written_fields(doc, partial=partial)
    named = data_types.bubble_names(doc.model)  # the keys reads answer with (a field's
    # name is taken too, but one key per field keeps a generated client's model whole)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            named.get(f.name, f.name): field_schema(f, write=True, names_type=doc.names_type)
            for f in fields
        },
        "additionalProperties": False,
    }
    required = (
        [] if partial else [named.get(f.name, f.name) for f in fields if _required_to_create(f)]
    )
    if required:
        schema["required"] = required
    return schema


def thing_ref(registry: Any, doc: DataTypeDoc) -> dict[str, str]:
    """The thing component of ``doc`` (registered on first use)."""
    return register(registry, doc.component, thing_schema(doc))


def _path_regex(path: str, variable: str | None = None) -> str:
    static = re.escape(path.lstrip("/"))
    return f"^{static}/(?P<{variable}>[^/.]+)$" if variable else f"^{static}$"


class _DataTypeSchema(AutoSchema):
    """Shared by the per-data-type operations: tag, security, the data type's names."""

    def __init__(self, doc: DataTypeDoc) -> None:
        super().__init__()
        self.doc = doc

    def get_tags(self) -> list[str]:
        return ["data"]

    def get_auth(self) -> list[dict[str, list[str]]]:
        return BEARER_OPTIONAL

    def get_description(self) -> str:
        return ""

    def _ref(self, suffix: str, schema: dict[str, Any]) -> dict[str, str]:
        return register(self.registry, f"{self.doc.component}{suffix}", schema)

    def thing(self) -> dict[str, str]:
        return thing_ref(self.registry, self.doc)

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation and operation.get("requestBody") and self.method in ("POST", "PUT"):
            operation["requestBody"]["required"] = True
        return operation

    def _write_body(self, *, partial: bool) -> dict[str, Any]:
        suffix = "PatchRequest" if partial else "Request"
        return {"application/json": self._ref(suffix, write_schema(self.doc, partial=partial))}


class ThingListSchema(_DataTypeSchema):
    """``GET`` searches, ``POST`` creates."""

    def get_operation_id(self) -> str:
        return f"{self.doc.operation}_{'search' if self.method == 'GET' else 'create'}"

    def get_summary(self) -> str:
        verb = "Search" if self.method == "GET" else "Create a"
        return f"{verb} {self.doc.label}{' things' if self.method == 'GET' else ''}"

    def get_description(self) -> str:
        if self.method == "GET":
            return SEARCH_NOTE
        return "Allowed only where a privacy rule grants create via API."

    def get_override_parameters(self) -> list[OpenApiParameter]:
        if self.method != "GET":
            return []
        model = self.doc.model
        shown = [f.name for f in self.doc.shown() if not f.many_to_many]
        bubble = data_types.bubble_names(model)
        sortable = ["_id", *shown, *(bubble[name] for name in shown if name in bubble)]
        return [
            OpenApiParameter(
                "constraints",
                str,
                description='A JSON list of {"key", "constraint_type", "value"}, all of which '
                "must hold (Bubble's constraint types: equals, not equal, text contains, "
                "greater than, less than, in, ...).",
            ),
            OpenApiParameter(
                "cursor",
                {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR},
                description="Where the page starts (default 0).",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"How many, at most (default {DEFAULT_LIMIT}).",
            ),
            OpenApiParameter(
                "sort_field",
                {"type": "string", "enum": sortable},
                description="The field to sort by (default: Created Date where the data "
                "type has one, else _id).",
            ),
            OpenApiParameter("descending", bool),
            OpenApiParameter(
                "additional_sort_fields",
                str,
                description='A JSON list of {"sort_field", "descending"}, sorting ties.',
            ),
            OpenApiParameter(
                "exclude_remaining",
                bool,
                description="true: leave `remaining` out of the answer, and the query that "
                "counts every matching thing with it (a cheaper search).",
            ),
        ]

    def get_request_serializer(self) -> Any:
        return self._write_body(partial=False) if self.method == "POST" else None

    def get_response_serializers(self) -> dict[int, Any]:
        if self.method == "GET":
            page = {
                "type": "object",
                "properties": {
                    "cursor": {"type": "integer"},
                    "results": {"type": "array", "items": self.thing()},
                    "count": {"type": "integer", "description": "Things in this page."},
                    "remaining": {
                        "type": "integer",
                        "description": "Things after this page; left out with "
                        "exclude_remaining=true.",
                    },
                },
                "required": ["cursor", "results", "count"],
            }
            body = {"type": "object", "properties": {"response": page}, "required": ["response"]}
            return {
                200: OpenApiResponse(self._ref("SearchResponse", body), "A page of things."),
                **error_responses((400, 401, 403, 429)),
            }
        created = {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["success"]},
                "id": pk_schema(self.doc.model),
            },
            "required": ["status", "id"],
        }
        return {
            201: OpenApiResponse(self._ref("Created", created), "Created: the new thing's id."),
            **error_responses((400, 401, 403, 413, 429)),
        }


class ThingSchema(_DataTypeSchema):
    """One thing: ``GET``, ``PATCH``, ``PUT``, ``DELETE``."""

    _VERBS = {"GET": "get", "PATCH": "modify", "PUT": "replace", "DELETE": "delete"}

    def get_operation_id(self) -> str:
        return f"{self.doc.operation}_{self._VERBS[self.method]}"

    def get_summary(self) -> str:
        verbs = {"GET": "Get", "PATCH": "Modify", "PUT": "Replace", "DELETE": "Delete"}
        return f"{verbs[self.method]} a {self.doc.label}"

    def get_description(self) -> str:
        if self.method == "GET":
            return "A thing the caller may not see answers 404, like one that does not exist."
        if self.method == "PUT":
            return (
                "Every field: those left out go back to their defaults. Allowed where a "
                "privacy rule grants modify via API, before and after the change."
            )
        if self.method == "PATCH":
            return "Allowed where a privacy rule grants modify via API, before and after."
        return "Allowed where a privacy rule grants delete via API."

    def get_override_parameters(self) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                "id",
                pk_schema(self.doc.model),
                OpenApiParameter.PATH,
                description=f"The {self.doc.label}'s id.",
            )
        ]

    def get_request_serializer(self) -> Any:
        if self.method in ("PATCH", "PUT"):
            return self._write_body(partial=self.method == "PATCH")
        return None

    def get_response_serializers(self) -> dict[int, Any]:
        if self.method == "GET":
            body = {"type": "object", "properties": {"response": self.thing()}}
            body["required"] = ["response"]
            return {
                200: OpenApiResponse(self._ref("Response", body), "The thing."),
                **error_responses((401, 403, 404, 429)),
            }
        statuses = (401, 403, 404, 429)
        if self.method != "DELETE":
            statuses = (400, *statuses, 413)
        return {204: OpenApiResponse(description="Done."), **error_responses(statuses)}


BULK_REQUEST = (
    f"One JSON object per line, at most {MAX_LINES:,} lines: each line the fields of one "
    "thing to create, as the create operation's body takes them."
)
BULK_ANSWER = (
    'One result per line of the body, in the same order: {"status":"success","id":...} or '
    '{"status":"error","message":...,"code":...} (with "parameter" when one field is at '
    "fault). A line that fails — not JSON, not an object, a refused field or value, no "
    "privacy rule granting create via API for that thing — fails alone; each line is "
    "created in its own transaction."
)
BULK_MEDIA = "UNSUPPORTED_MEDIA_TYPE: the body must be text/plain."


class ThingBulkSchema(_DataTypeSchema):
    """``POST .../bulk``: a text/plain body of JSON lines, a text/plain answer of results."""

    def get_operation_id(self) -> str:
        return f"{self.doc.operation}_bulk_create"

    def get_summary(self) -> str:
        return f"Create many {self.doc.label} things (one JSON object per line)"

    def get_description(self) -> str:
        return (
            "Allowed only where a privacy rule grants create via API, checked for each "
            f"line's thing. More than {MAX_LINES:,} lines, or none, is refused whole (400) "
            "and creates nothing."
        )

    def get_request_serializer(self) -> Any:
        # binary: the body as sent (generators then take a file or bytes for it; one
        # that knows no text/plain body maps it to application/octet-stream, docs/api.md)
        body = {"type": "string", "format": "binary", "minLength": 1, "description": BULK_REQUEST}
        return {"text/plain": body}

    def get_response_serializers(self) -> dict[Any, Any]:
        answer = {"type": "string", "description": BULK_ANSWER}
        return {
            (200, "text/plain"): OpenApiResponse(answer, "One result line per line of the body."),
            **error_responses((400, 401, 403, 413, 415, 429), {415: BULK_MEDIA}),
        }


def data_endpoints(
    doc: DataTypeDoc, method: str, view_class: type, *, one: bool, bulk: bool = False
) -> tuple:
    """The ``(path, path_regex, method, callback)`` of one data type's operation."""
    if bulk:
        path = f"{doc.path}/bulk"
        callback = view_class.as_view(schema=ThingBulkSchema(doc))
        return path, _path_regex(path), method, callback
    if one:
        path = f"{doc.path}/{{id}}"
        callback = view_class.as_view(schema=ThingSchema(doc))
        return path, _path_regex(doc.path, "id"), method, callback
    callback = view_class.as_view(schema=ThingListSchema(doc))
    return doc.path, _path_regex(doc.path), method, callback
