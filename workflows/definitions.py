"""Workflow definitions as data: model rows ⇄ dicts (docs/workflow-format.md), and saving one.

``workflow_definition`` is what export writes and what the engine compiles;
``save_definition`` is how import (``workflows.transfer``) and anything else that writes a
whole workflow stores one, after ``compile_definition`` has validated it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from jinja2.exceptions import TemplateSyntaxError

from .actions import registry
from .choices import AuthMode, WorkflowKind
from .engine.sandbox import environment
from .models import Action, Parameter, Workflow

WORKFLOW_DEFAULTS: dict[str, Any] = {
    "folder": "",
    "time_zone": "",
    "description": "",
    "expose": False,
    "auth": AuthMode.USER.value,
    "ignore_privacy": False,
    "only_when": "",
    "condition_not_met": 400,
    "commit": "together",
    "include_headers": False,
    "timeout": 300,
    "retries": 0,
    "retry_delay": 60,
    "missed_after": None,
    "error_workflow": "",
}


def workflow_definition(workflow: Workflow) -> dict[str, Any]:
    """A saved workflow as a definition (docs/workflow-format.md), parts in their order."""
    d: dict[str, Any] = {"name": workflow.name, "kind": workflow.kind}
    if workflow.folder:
        d["folder"] = workflow.folder
    if workflow.time_zone:
        d["time_zone"] = workflow.time_zone
    if workflow.description:
        d["description"] = workflow.description
    d["expose"] = workflow.expose
    d["auth"] = workflow.auth
    d["ignore_privacy"] = workflow.ignore_privacy
    if workflow.only_when:
        d["only_when"] = workflow.only_when
    d["condition_not_met"] = workflow.condition_not_met
    if workflow.commit != WORKFLOW_DEFAULTS["commit"]:
        d["commit"] = workflow.commit
    if workflow.include_headers:
        d["include_headers"] = True
    d["timeout"] = workflow.timeout
    if workflow.retries:
        d["retries"] = workflow.retries
        d["retry_delay"] = workflow.retry_delay
    if workflow.missed_after is not None:
        d["missed_after"] = workflow.missed_after
    if workflow.error_workflow:
        d["error_workflow"] = workflow.error_workflow
    if workflow.kind == WorkflowKind.TRIGGER:
        d["data_type"] = workflow.data_type
        d["on"] = list(workflow.trigger_on or [])
    if workflow.schedule:
        d["schedule"] = workflow.schedule
    if workflow.webhook:
        d["webhook"] = workflow.webhook
    d["parameters"] = [parameter_definition(p) for p in workflow.parameters.all()]
    d["actions"] = [action_definition(a) for a in workflow.actions.all()]
    return d


def parameter_definition(p: Parameter) -> dict[str, Any]:
    d: dict[str, Any] = {"key": p.key, "type": p.type}
    if p.data_type:
        d["data_type"] = p.data_type
    if p.is_list:
        d["list"] = True
    if p.optional:
        d["optional"] = True
    if p.default is not None:
        d["default"] = p.default
    if p.description:
        d["description"] = p.description
    if p.secret:
        d["secret"] = True
    if p.querystring:
        d["querystring"] = True
    return d


def action_definition(a: Action) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if a.step_id:
        d["id"] = a.step_id
    d["type"] = a.type
    if a.label:
        d["label"] = a.label
    if a.only_when:
        d["only_when"] = a.only_when
    d.update(a.config or {})
    return d


PARAMETER_DEFAULTS: dict[str, Any] = {
    "type": "text",
    "list": False,
    "optional": False,
    "data_type": "",
    "description": "",
    "default": None,
    "secret": False,
    "querystring": False,
}
ACTION_DEFAULTS: dict[str, Any] = {"id": "", "label": "", "only_when": ""}


def _with_defaults(defaults: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` over ``defaults``, where an explicit null of a defaulted key means the default."""
    return {**defaults, **{k: v for k, v in given.items() if not (v is None and k in defaults)}}


def normalized(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A definition with defaults filled in, for comparing two definitions.

    Two definitions that save to the same rows normalize equal (a missing ``kind`` and
    ``kind: api``, ``label: null`` and no label, ``on: update`` and ``on: [update]``), so
    importing a hand-written file twice changes nothing the second time.
    """
    d = _with_defaults({"kind": WorkflowKind.API.value, **WORKFLOW_DEFAULTS}, definition)
    d["parameters"] = [_with_defaults(PARAMETER_DEFAULTS, p) for p in (d.get("parameters") or [])]
    d["actions"] = [_with_defaults(ACTION_DEFAULTS, a) for a in (d.get("actions") or [])]
    d["data_type"] = d.get("data_type") or ""
    d["folder"] = str(d.get("folder") or "").strip()
    on = d.get("on") or []
    d["on"] = [on] if isinstance(on, str) else list(on)
    d.setdefault("schedule", None)
    d["webhook"] = d.get("webhook") or None
    return d


@transaction.atomic
def save_definition(definition: Mapping[str, Any]) -> tuple[Workflow, bool]:
    """Create or replace the workflow named in ``definition`` (already validated).

    Returns ``(workflow, changed)``; a definition equal to the stored one writes nothing.
    """
    existing = Workflow.objects.filter(name=definition["name"]).first()
    if existing is not None and normalized(workflow_definition(existing)) == normalized(definition):
        return existing, False
    d = normalized(definition)
    fields = {
        "kind": d.get("kind") or WorkflowKind.API,
        "folder": (d["folder"] or "").strip(),
        "time_zone": d["time_zone"] or "",
        "description": d["description"] or "",
        "expose": d["expose"],
        "auth": d["auth"],
        "ignore_privacy": d["ignore_privacy"],
        "only_when": d["only_when"] or "",
        "condition_not_met": d["condition_not_met"],
        "commit": d["commit"],
        "include_headers": d["include_headers"],
        "timeout": d["timeout"],
        "retries": d["retries"],
        "retry_delay": d["retry_delay"],
        "missed_after": d["missed_after"],
        "error_workflow": d["error_workflow"] or "",
        "data_type": d["data_type"] or "",
        "trigger_on": list(d["on"] or []),
        "schedule": d["schedule"],
        "webhook": d["webhook"],
    }
    if existing is None:
        workflow = Workflow.objects.create(name=definition["name"], **fields)
    else:
        workflow = existing
        for key, value in fields.items():
            setattr(workflow, key, value)
        workflow.save()
        workflow.parameters.all().delete()
        workflow.actions.all().delete()
    Parameter.objects.bulk_create(
        Parameter(
            workflow=workflow,
            position=i,
            key=p["key"],
            type=p.get("type") or "text",
            data_type=p["data_type"] or "",
            is_list=p["list"],
            optional=p["optional"],
            default=p["default"],
            description=p["description"] or "",
            secret=p["secret"],
            querystring=p["querystring"],
        )
        for i, p in enumerate(d["parameters"], start=1)
    )
    Action.objects.bulk_create(
        Action(
            workflow=workflow,
            position=i,
            step_id=a["id"] or "",
            type=a["type"],
            label=a["label"] or "",
            only_when=a["only_when"] or "",
            config={k: v for k, v in a.items() if k not in registry.COMMON_KEYS},
        )
        for i, a in enumerate(d["actions"], start=1)
    )
    workflow.bump_revision()
    return workflow, True


#: keys holding a bare expression (no {{ }}): conditions
_BARE_KEYS = frozenset({"only_when"})


def renumber_steps(value: Any, by: int, *, bare: bool = False) -> Any:
    """``value`` (a definition, or any JSON in it) with every ``steps[N]`` of its
    expressions moved by ``by``: files written when steps counted from 0 read
    ``steps[N + 1]``. Only ``steps[<number>]`` inside expressions changes: not text outside
    ``{{ }}``, not ``params.steps[0]``, not ``steps[params.i]``."""
    if isinstance(value, str):
        return shift_step_numbers(value, by, bare=bare)
    if isinstance(value, Mapping):
        return {k: renumber_steps(v, by, bare=k in _BARE_KEYS) for k, v in value.items()}
    if isinstance(value, list):
        return [renumber_steps(v, by) for v in value]
    return value


def shift_step_numbers(text: str, by: int, *, bare: bool = False) -> str:
    """``text`` with ``steps[N]`` moved by ``by`` in its expressions (read with Jinja's own
    lexer); text it cannot read is left as it is, for validation to report."""
    if "steps" not in text:
        return text
    source = "{{ " + text + " }}" if bare else text
    try:
        tokens = [list(token) for token in environment.lexer.tokeniter(source, None)]
    except TemplateSyntaxError:
        return text
    meaningful = [t for t in tokens if t[1] != "whitespace"]
    for i, (_, kind, name) in enumerate(meaningful[:-3]):
        before = meaningful[i - 1] if i else None
        if (
            kind == "name"
            and name == "steps"
            and (before is None or before[1:] != ["operator", "."])
            and meaningful[i + 1][1:] == ["operator", "["]
            and meaningful[i + 2][1] == "integer"
            and meaningful[i + 3][1:] == ["operator", "]"]
        ):
            meaningful[i + 2][2] = str(int(meaningful[i + 2][2]) + by)
    shifted = "".join(value for _, _, value in tokens)
    return shifted[3:-3] if bare else shifted
