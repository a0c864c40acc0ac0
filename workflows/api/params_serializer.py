"""One serializer per workflow, built from its parameters (``ParamSpec``).

It is how the API describes a workflow's parameters (its fields become the OpenAPI request
body; ``in_body`` leaves out the ``querystring`` ones, described as query parameters) and
how it validates them: validation is ``coerce_params`` (through the masking
wrapper the runner uses), the one coercion of every entry point — REST, the admin's Run
now form, custom events and the scheduler — so what the schema says, what the API accepts
and what a run receives cannot drift apart. Its errors are the engine's own
(``MISSING_PARAMETER``, ``INVALID_PARAMETER``, ``NOT_FOUND`` with ``parameter``), answered in
the API's one error shape, not DRF's field errors.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from ..engine.compiler import CompiledWorkflow
from ..engine.params import MAX_LIST_LENGTH, ParamSpec, Validated
from ..masking import coerce_params
from ..privacy.access import DataAccess
from .params import decode_json_lists

FILE_CONTENTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A file sent in JSON, as Bubble sends it: its name and base64 contents.",
    "properties": {
        "filename": {"type": "string"},
        "contents": {"type": "string", "format": "byte", "description": "base64"},
        "content_type": {"type": "string"},
    },
    "required": ["filename", "contents"],
}


def param_schema(spec: ParamSpec, *, upload: bool = False, query: bool = False) -> dict[str, Any]:
    """The JSON schema of one parameter's value (without description, default, nullable).

    ``upload``: as a multipart field (files are binary); ``query``: as a query-string
    parameter (files are URLs).
    """
    one = spec.param_type.schema(data_type=spec.data_type, upload=upload, query=query)
    if spec.is_list:
        return {"type": "array", "items": one, "maxItems": MAX_LIST_LENGTH}
    return one


def param_description(spec: ParamSpec) -> str:
    """The builder's description, then how the value is read."""
    hint = spec.param_type.hint
    if spec.data_type:
        hint = f"The id of a {spec.data_type}."
        if spec.is_list:
            hint = f"Ids of {spec.data_type} things."
    elif spec.is_list and hint:
        hint = f"Each item: {hint[0].lower()}{hint[1:]}"
    if spec.secret:
        hint = f"{hint} Secret: masked in run logs.".strip()
    return " ".join(part for part in (spec.description.strip(), hint) if part)


def is_required(spec: ParamSpec) -> bool:
    return not spec.optional and spec.default is None


class ParamField(serializers.Field):
    """A parameter as a serializer field: it carries its ``ParamSpec`` and its OpenAPI schema.

    Never validated on its own: the serializer coerces all parameters at once.
    """

    def __init__(self, spec: ParamSpec, *, upload: bool = False) -> None:
        options: dict[str, Any] = {"help_text": param_description(spec) or None}
        if spec.default is not None:
            options.update(default=spec.default, allow_null=True)
        elif spec.optional:
            options.update(required=False, allow_null=True)
        super().__init__(**options)
        self.spec = spec
        self.upload = upload
        extend_schema_field(param_schema(spec, upload=upload))(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> ParamField:
        return ParamField(self.spec, upload=self.upload)

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class WorkflowParamsSerializer(serializers.Serializer):
    """Base of the per-workflow serializers: ``is_valid()`` is ``coerce_params``.

    ``context["things"]`` is where ``thing`` ids are looked up — the caller's privacy
    filter (``DataAccess.reachable``), as the runner does. ``is_valid`` raises the engine's
    ``WorkflowError``\\ s (the API answers them in its error shape); ``validated_data`` holds
    the typed values, ready for ``engine.run``.
    """

    specs: ClassVar[tuple[ParamSpec, ...]] = ()

    def run_validation(self, data: Any = empty) -> dict[str, Any]:
        raw = decode_json_lists(self.specs, data if isinstance(data, Mapping) else {})
        return coerce_params(self.specs, raw, things=self.context.get("things"))


_classes: dict[tuple[Any, ...], type[WorkflowParamsSerializer]] = {}
_lock = threading.Lock()


def component_base(name: str) -> str:
    """``process-order`` → ``ProcessOrder``: a workflow name as a class/component name."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    base = "".join(w[:1].upper() + w[1:] for w in words) or "Workflow"
    return base if base[0].isalpha() else f"Workflow{base}"


def workflow_params_serializer(
    compiled: CompiledWorkflow,
    *,
    upload: bool = False,
    name: str | None = None,
    in_body: bool = False,
) -> type[WorkflowParamsSerializer]:
    """The serializer of ``compiled``'s parameters (cached per workflow revision).

    ``upload`` describes files as multipart uploads instead of their JSON forms; ``name``
    is the class (and OpenAPI component) name, by default from the workflow's name;
    ``in_body``: only the parameters a request's body carries, without the ``querystring``
    ones (read from the URL alone), to describe the body of ``POST /api/1.1/wf/<name>``.
    """
    class_name = name or component_base(compiled.name) + ("Upload" if upload else "")
    # a workflow not saved (pk None) has no revision to key on: built afresh each time
    key = (compiled.pk, compiled.name, compiled.version, upload, class_name, in_body)
    cls = _classes.get(key) if compiled.pk is not None else None
    if cls is not None:
        return cls
    specs = tuple(p for p in compiled.parameters if not (in_body and p.querystring))
    fields = {spec.key: ParamField(spec, upload=upload) for spec in specs}
    doc = f"The parameters of the workflow {compiled.name!r}."
    if len(specs) < len(compiled.parameters):
        doc = f"The parameters of the workflow {compiled.name!r} sent in the request's body."
    cls = type(
        class_name,
        (WorkflowParamsSerializer,),
        {**fields, "specs": specs, "__doc__": doc, "__module__": __name__},
    )
    if compiled.pk is None:
        return cls
    with _lock:
        if len(_classes) > 1000:  # old revisions: start again rather than grow forever
            _classes.clear()
        _classes[key] = cls
    return cls


def validated_params(
    compiled: CompiledWorkflow, raw: Mapping[str, Any], actor: Any, *, time_zone: str = ""
) -> Validated:
    """``raw`` validated and typed by ``compiled``'s serializer, things looked up among those
    ``actor`` may reach (as the run itself will: same privacy, same ``ignore_privacy``);
    with that access, for ``engine.run`` to use as they are. Dates without a zone are read
    in the run's: ``time_zone`` (a scheduled run's own), else the workflow's."""
    access = DataAccess(actor, ignore_privacy=compiled.ignore_privacy)
    serializer = workflow_params_serializer(compiled)(
        data=raw, context={"things": access.reachable}
    )
    with timezone.override(time_zone or compiled.time_zone or None):
        serializer.is_valid(raise_exception=True)
    return Validated(serializer.validated_data, access)
