"""Each exposed workflow as its own operations, built from its definition.

``POST /api/1.1/wf/<name>`` (its ``querystring`` parameters in the query string, the others
in the body) and ``GET`` (every parameter in the query string), and what other
apps add per workflow (``registry``: the scheduler's ``/schedule``): operation id from the
name, the builder's description, the request body from the workflow's parameter serializer
(``params_serializer``, the one that validates the requests), the response from its
``return_data`` keys (``returns``), the errors it can answer, and the security its ``auth``
asks for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from ...choices import AuthMode, ConditionNotMet, ParameterType
from ...engine.compiler import CompiledWorkflow
from ...engine.params import ParamSpec
from ..params import kept_out_of_urls
from ..params_serializer import (
    is_required,
    param_description,
    param_schema,
    workflow_params_serializer,
)
from .components import error_responses, register, register_file_contents
from .data import DataTypeDoc, thing_ref
from .endpoints import BEARER
from .registry import WorkflowOperation
from .returns import answer_types, returned_schema

_AUTH_NOTES = {
    AuthMode.NONE: "No key needed (a key may be sent: the run then runs as its user).",
    AuthMode.USER: "Needs an API key or a user token (any user's).",
    AuthMode.ADMIN: "Needs a staff user's API key or user token.",
}


@dataclass(frozen=True)
class WorkflowDoc:
    """One exposed workflow as the document shows it: its definition and unique names."""

    compiled: CompiledWorkflow
    component: str  # ProcessOrder
    operation: str  # process_order
    data_types: Mapping[str, DataTypeDoc]  # by label, lower case
    broken: str = ""  # why the stored definition does not compile, if it does not

    @property
    def path(self) -> str:
        return f"/api/1.1/wf/{self.compiled.name}"

    @property
    def has_files(self) -> bool:
        return any(p.type == ParameterType.FILE for p in self.compiled.parameters)

    @property
    def in_query(self) -> tuple[ParamSpec, ...]:
        """Its ``querystring`` parameters: read from the URL even when it is POSTed."""
        return tuple(p for p in self.compiled.parameters if p.querystring)

    def params_serializer(
        self, *, upload: bool = False, in_body: bool = False
    ) -> type[serializers.Serializer]:
        """All its parameters (a schedule request's ``params``), or ``in_body``: those a
        request's body carries, named apart (``…Body``) when some are read from the URL."""
        body = in_body and bool(self.in_query)
        name = self.component + ("Body" if body else "") + ("Upload" if upload else "")
        return workflow_params_serializer(self.compiled, upload=upload, name=name, in_body=body)


class WorkflowSchema(AutoSchema):
    """One operation of one exposed workflow; other apps' per-workflow operations (the
    scheduler's ``/schedule``, see ``registry``) build on it too."""

    def __init__(self, doc: WorkflowDoc) -> None:
        super().__init__()
        self.doc = doc

    @property
    def compiled(self) -> CompiledWorkflow:
        return self.doc.compiled

    def get_tags(self) -> list[str]:
        return ["workflows"]

    def get_auth(self) -> list[dict[str, list[str]]]:
        return [] if self.compiled.auth == AuthMode.NONE else BEARER

    def notes(self) -> list[str]:
        notes = [self.compiled.description.strip(), _AUTH_NOTES.get(self.compiled.auth, "")]
        if self.doc.broken:
            notes.append(f"Its stored definition does not validate: {self.doc.broken}")
        return [n for n in notes if n]

    def error_statuses(self, *extra: int) -> tuple[int, ...]:
        statuses = {400, 401, 404, 413, 429, *extra}
        if self.compiled.auth != AuthMode.NONE:
            statuses.add(403)  # an admin-only workflow, or a key scoped to other workflows
        return tuple(sorted(statuses))

    def params_body(self) -> dict[str, Any]:
        """The request body: the parameters it carries (not the ``querystring`` ones)."""
        if self.doc.has_files:
            register_file_contents(self.registry)
        body: dict[str, Any] = {"application/json": self.doc.params_serializer(in_body=True)}
        if self.doc.has_files:
            body["multipart/form-data"] = self.doc.params_serializer(upload=True, in_body=True)
        return body


class WorkflowRunSchema(WorkflowSchema):
    """``POST /api/1.1/wf/<name>`` (a JSON or multipart body) and ``GET`` (a query string)."""

    def get_operation_id(self) -> str:
        return self.doc.operation + ("_get" if self.method == "GET" else "")

    def get_summary(self) -> str:
        if self._get:
            return f"Run {self.compiled.name} (parameters in the query string)"
        return f"Run {self.compiled.name}"

    @property
    def _get(self) -> bool:
        return self.method == "GET"

    def get_description(self) -> str:
        notes = self.notes()
        if self.compiled.condition_not_met == ConditionNotMet.OK_200:
            notes.append("When its condition is not met it answers 200 with an empty response.")
        if self._get and (
            secret := [p.key for p in self.compiled.parameters if kept_out_of_urls(p)]
        ):
            notes.append(
                f"Its secret parameters ({', '.join(secret)}) are refused in the query string "
                "(URLs are kept in logs): send them in a POST body."
            )
        return "\n\n".join(notes)

    def get_override_parameters(self) -> list[OpenApiParameter]:
        """The query string's parameters: all of them with GET, the ``querystring`` ones
        (Bubble's "Querystring" option) with POST."""
        if self._get:  # a secret one only in a body (workflows/api/params.py)
            specs = tuple(p for p in self.compiled.parameters if not kept_out_of_urls(p))
        else:
            specs = self.doc.in_query
        return [
            OpenApiParameter(
                spec.key,
                param_schema(spec, query=True),
                OpenApiParameter.QUERY,
                required=is_required(spec),
                description=" ".join(
                    part for part in (param_description(spec), self._url_only(spec)) if part
                ),
                explode=True if spec.is_list else None,
            )
            for spec in specs
        ]

    def _url_only(self, spec: ParamSpec) -> str:
        if self._get or not spec.querystring:
            return ""
        return "In the query string even with POST: a value in the body is ignored."

    def get_request_serializer(self) -> Any:
        return None if self._get else self.params_body()

    def get_response_serializers(self) -> dict[Any, Any]:
        answers = answer_types(self.compiled)
        responses: dict[Any, Any] = {}
        if "json" in answers:
            success = OpenApiResponse(self._success(), "The workflow ran: its returned data.")
            responses[(200, "application/json")] = success
        for media in sorted(answers.get("text", ())):
            text = OpenApiResponse(OpenApiTypes.STR, "The workflow ran: the text it returns.")
            responses[(200, media)] = text
        if "redirect" in answers:
            responses[302] = OpenApiResponse(
                None, "The workflow ran and redirects: the URL is in the Location header."
            )
        errors = error_responses(s for s in self.error_statuses(500) if s != 413 or not self._get)
        return {**responses, **errors}

    def _success(self) -> dict[str, str]:
        def thing(label: str) -> dict[str, Any]:
            doc = self.doc.data_types.get(label.lower())
            return thing_ref(self.registry, doc) if doc else {"type": "object"}

        result = register(
            self.registry, f"{self.doc.component}Result", returned_schema(self.compiled, thing)
        )
        envelope = {
            "type": "object",
            "description": "The run's id is also in the X-Run-Id header.",
            "properties": {"status": {"type": "string", "enum": ["success"]}, "response": result},
            "required": ["status", "response"],
        }
        return register(self.registry, f"{self.doc.component}Response", envelope)


def workflow_endpoints(
    doc: WorkflowDoc, view_class: type, method: str, operation: WorkflowOperation | None = None
):
    """The ``(path, path_regex, method, callback)`` of one workflow operation: running it,
    or another app's ``operation`` on it (``registry``)."""
    path = doc.path + (operation.suffix if operation else "")
    schema = operation.schema(doc) if operation else WorkflowRunSchema(doc)
    regex = "^" + re.escape(path.lstrip("/")) + "$"
    return path, regex, method, view_class.as_view(schema=schema)


def broken_compiled(workflow: Any, specs: tuple[Any, ...]) -> CompiledWorkflow:
    """A workflow whose stored definition no longer compiles, described by its rows (its
    parameters; it returns nothing known)."""
    return CompiledWorkflow(
        name=workflow.name,
        kind=workflow.kind,
        description=workflow.description,
        expose=workflow.expose,
        auth=workflow.auth,
        parameters=specs,
        pk=workflow.pk,
        revision=workflow.revision,
        version=("broken", workflow.revision, workflow.updated_at),
    )
