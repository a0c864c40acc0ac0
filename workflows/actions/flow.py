"""Flow control: custom events, returning data, ending a run, and logging."""

from __future__ import annotations

import logging
from typing import Any

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
        "ends the workflow."
    )
    example = """- type: return_data
  data: {order: "{{ params.order.id }}", status: "{{ steps.paid.status }}"}"""
    fields = (
        ConfigField(
            "data",
            expects="object",
            help_text="A mapping of keys to values.",
            example='ok: true\norder: "{{ params.order.id }}"',
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        data = config.get("data")
        if not isinstance(data, dict) and not (isinstance(data, str) and "{{" in data):
            raise ConfigError("data", "must be a mapping of keys to values")

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.NOTHING

    def execute(self, inputs: dict[str, Any], run: Any) -> None:
        data = inputs["data"]
        if not isinstance(data, dict):
            raise WorkflowError(
                f"data: must be a mapping of keys to values, got {type(data).__name__}"
            )
        run.response = data
        return None


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
