"""Flow control: custom events, returning data, ending a run, and logging."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from ..choices import WorkflowKind
from ..engine import kinds
from ..engine.kinds import Kind
from ..engine.scope import returned_kind
from ..exceptions import WorkflowError
from ..masking import mask_text
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register

logger = logging.getLogger("workflows.run")


def check_target_params(target: Any, given: dict[str, Any], key: str = "params") -> None:
    """Parameters passed to another workflow must exist there; required ones must be given."""
    known = {p.key: p for p in target.parameters}
    for name in given:
        if name not in known:
            raise ConfigError(
                key,
                f"workflow {target.name!r} has no parameter {name!r} "
                f"(its parameters: {', '.join(known) or 'none'})",
            )
    missing = [
        p.key
        for p in target.parameters
        if not p.optional and p.default is None and p.key not in given
    ]
    if missing:
        raise ConfigError(key, f"workflow {target.name!r} needs parameter(s) {', '.join(missing)}")


@register
class TriggerCustomEvent(ActionType):
    name = "trigger_custom_event"
    summary_template = "Trigger {workflow}: {params}"
    label = "Trigger a custom event"
    family = "custom_events"
    description = (
        "Runs a custom event now, inside this run and its transaction; later steps get the "
        "data it returns."
    )
    example = """- id: summary
  type: trigger_custom_event
  workflow: order-summary
  params: {order: "{{ params.order }}"}"""
    fields = (
        ConfigField(
            "workflow",
            FieldKind.WORKFLOW,
            workflow_kind="custom_event",
            help_text="A workflow of kind custom event.",
        ),
        ConfigField(
            "params",
            FieldKind.MAPPING,
            required=False,
            keys_of="params_of:workflow",
            help_text="Its parameters, name: value per line.",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        target = ctx.workflow_info(config["workflow"])
        if target.kind not in WorkflowKind.values:
            return  # an unknown kind is reported where that workflow is defined
        if target.kind != WorkflowKind.CUSTOM_EVENT:
            kind = WorkflowKind(target.kind).label.lower()
            raise ConfigError("workflow", f"{target.name!r} is a {kind}, not a custom event")
        check_target_params(target, config.get("params") or {})

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        """The data the custom event returns, read from its saved definition."""
        from ..definitions import workflow_definition
        from ..models import Workflow

        target = Workflow.objects.filter(
            name=config.get("workflow"), kind=WorkflowKind.CUSTOM_EVENT
        ).first()
        return returned_kind(workflow_definition(target)) if target else kinds.ANY

    def execute(self, inputs: dict[str, Any], run: Any) -> Any:
        from ..engine.runner import run_custom_event

        return run_custom_event(run, inputs["workflow"], inputs.get("params") or {})


#: what "Return data from API" can answer (docs/actions.md#return_data)
RESPONSE_TYPES = ("json", "text", "redirect")
#: a media type, without anything that could end the header (CR, LF)
_MEDIA_TYPE = re.compile(
    r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;\s*[\w.+-]+=(\"[^\"\r\n]*\"|[\w.+-]+))*$"
)


@register
class ReturnData(ActionType):
    name = "return_data"
    summary_template = "Return data: {data}"
    writes = False
    label = "Return data"
    family = "flow"
    ends_run = True
    description = (
        "Sets the response (the caller's \"response\" object, or a custom event's result) and "
        "ends the workflow. An API workflow may answer plain text or a redirect instead."
    )
    example = """- type: return_data
  data: {order: "{{ params.order.id }}", status: "{{ steps.paid.status }}"}"""
    fields = (
        ConfigField(
            "response_type",
            FieldKind.CHOICE,
            required=False,
            choices=RESPONSE_TYPES,
            default="json",
            help_text="json: a JSON object (data); text: a text with its content type; "
            "redirect: a 302 to url. Text and redirect are for API workflows.",
        ),
        ConfigField(
            "data",
            required=False,
            expects="object",
            shown_for=("response_type", ("json",)),
            help_text="A mapping of keys to values (response type json).",
            example='ok: true\norder: "{{ params.order.id }}"',
        ),
        ConfigField(
            "text",
            FieldKind.TEXT,
            required=False,
            multiline=True,
            shown_for=("response_type", ("text",)),
            help_text="The answer's body (response type text).",
        ),
        ConfigField(
            "content_type",
            FieldKind.TEXT,
            required=False,
            shown_for=("response_type", ("text",)),
            help_text="The text's media type, e.g. text/csv (response type text; "
            "default text/plain).",
        ),
        ConfigField(
            "url",
            FieldKind.TEXT,
            required=False,
            shown_for=("response_type", ("redirect",)),
            help_text="Where to send the caller: an http(s) URL or a path on this server "
            "(response type redirect).",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        response_type = config.get("response_type") or "json"
        wanted = {"json": "data", "text": "text", "redirect": "url"}[response_type]
        others = [k for k in ("data", "text", "content_type", "url") if k in config]
        stray = [
            k for k in others if k != wanted and not (k == "content_type" and wanted == "text")
        ]
        if stray:
            raise ConfigError(
                stray[0], f"response type {response_type} has no {stray[0]!r} (it uses {wanted})"
            )
        if response_type != "json" and ctx.kind != WorkflowKind.API:
            raise ConfigError(
                "response_type",
                f"only an API workflow can answer with {response_type}: this one is a "
                f"{WorkflowKind(ctx.kind).label.lower()}",
            )
        if wanted not in config:
            raise ConfigError(wanted, f"required for response type {response_type}")
        data = config.get("data")
        if (
            response_type == "json"
            and not isinstance(data, dict)
            and not (isinstance(data, str) and "{{" in data)
        ):
            raise ConfigError("data", "must be a mapping of keys to values")
        content_type = config.get("content_type")
        if isinstance(content_type, str) and "{{" not in content_type:
            _media_type(content_type, ConfigError)

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.NOTHING

    def execute(self, inputs: dict[str, Any], run: Any) -> None:
        response_type = inputs.get("response_type") or "json"
        if response_type == "text":
            run.respond_with(
                "text",
                {
                    "text": inputs.get("text") or "",
                    "content_type": _media_type(inputs.get("content_type") or "text/plain"),
                },
            )
        elif response_type == "redirect":
            run.respond_with("redirect", {"url": _redirect_url(inputs.get("url"))})
        else:
            data = inputs.get("data")
            if not isinstance(data, dict):
                raise WorkflowError(
                    f"data: must be a mapping of keys to values, got {type(data).__name__}"
                )
            run.respond_with("json", data)
        return None


def _media_type(value: Any, error: type[Exception] = WorkflowError) -> str:
    """``value`` as a media type; ``error`` when it is none (a ``ConfigError`` on save)."""
    text = str(value).strip()
    if not _MEDIA_TYPE.match(text):
        message = f"{text[:60]!r} is not a media type such as text/plain"
        raise (
            ConfigError("content_type", message)
            if error is ConfigError
            else error(f"content_type: {message}")
        )
    return text


def _redirect_url(value: Any) -> str:
    """An http(s) URL or a path on this server: never ``javascript:``, never a header
    break, never a scheme-relative ``//host`` that a reader could mistake for a path."""
    url = str(value or "").strip()
    if not url or any(c in url for c in "\r\n\x00"):
        raise WorkflowError(f"url: {url[:80]!r} is not a URL to redirect to")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
        return url
    raise WorkflowError(
        f"url: {url[:80]!r} is not an http(s) URL or a path starting with / (redirects go "
        "nowhere else)"
    )


@register
class Terminate(ActionType):
    name = "terminate"
    summary_template = "Terminate this workflow"
    writes = False
    label = "Terminate this workflow"
    family = "flow"
    ends_run = True
    description = "Ends the workflow here; what ran so far is kept. Use with only when."
    example = """- type: terminate
  only_when: params.order.status == 'paid'"""

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.NOTHING

    def execute(self, inputs: dict[str, Any], run: Any) -> None:
        return None


@register
class Log(ActionType):
    name = "log"
    summary_template = "Log: {message}"
    writes = False
    label = "Write to the log"
    family = "flow"
    description = (
        "Writes a message to the run log (and the server log); later steps get the message."
    )
    example = """- type: log
  message: "Order {{ params.order.id }} paid"
  level: info"""
    fields = (
        ConfigField("message", FieldKind.TEXT, multiline=True),
        ConfigField(
            "level",
            FieldKind.CHOICE,
            required=False,
            choices=("debug", "info", "warning", "error"),
            default="info",
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.TEXT

    def execute(self, inputs: dict[str, Any], run: Any) -> str:
        message = str(inputs["message"])
        level = getattr(logging, str(inputs.get("level") or "info").upper())
        logger.log(level, "[%s %s] %s", run.workflow.name, run.run.pk, mask_text(message))
        return message
