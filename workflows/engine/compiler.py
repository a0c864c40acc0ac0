"""Definition (docs/workflow-format.md) → ``CompiledWorkflow``, validating all on the way.

This is the single validator: the admin, ``import_workflows`` and the engine's cache all
call ``compile_definition``. It reports every problem at once as ``Issue``s with a path
(``("actions", 2, "to")``) so each caller can point at the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from .. import data_types, webhooks
from ..actions import registry
from ..actions.registry import ActionType, ConfigError, ConfigField, FieldKind
from ..choices import (
    AuthMode,
    Commit,
    ConditionNotMet,
    ParameterType,
    TriggerEvent,
    WorkflowKind,
)
from ..exceptions import DefinitionError, Issue, WorkflowError
from . import error_workflows
from .expressions import Expression, ScopeSpec, compile_condition, compile_template, is_dynamic
from .functions import is_time_zone, not_a_time_zone
from .param_types import param_type, param_type_names
from .params import ParamSpec, coerce_value
from .values import (
    Const,
    Dynamic,
    MapValue,
    PerItem,
    Text,
    Value,
    compile_any,
    compile_text,
)

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")

WORKFLOW_KEYS = (
    "name",
    "kind",
    "folder",
    "time_zone",
    "description",
    "expose",
    "auth",
    "ignore_privacy",
    "only_when",
    "condition_not_met",
    "commit",
    "include_headers",
    "timeout",
    "retries",
    "retry_delay",
    "missed_after",
    "error_workflow",
    "data_type",
    "on",
    "schedule",
    "webhook",
    "parameters",
    "actions",
)
PARAMETER_KEYS = (
    "key",
    "type",
    "data_type",
    "list",
    "optional",
    "default",
    "description",
    "secret",
    "querystring",
)
TRIGGER_NAMES = frozenset({"thing", "thing_before"})

#: Validators for a workflow's ``schedule`` key, called with the schedule and the
#: workflow's parameters; set by the scheduler app when it loads.
schedule_validators: list[Callable[[Any, tuple[ParamSpec, ...]], None]] = []
#: ``recurrence(schedule, now, count)``: the next times a ``schedule`` fires, for the
#: editor's preview; set by the scheduler app when it loads
recurrence: Callable[[Any, Any, int], list[Any]] | None = None


@dataclass(frozen=True)
class WorkflowInfo:
    """What other workflows need to know about one: its kind and parameters."""

    name: str
    kind: str
    parameters: tuple[ParamSpec, ...] = ()


class Catalog:
    """Looks up other workflows by name (for trigger_custom_event, schedule_workflow).

    One catalog serves one compile (or one import): what it read from the database is
    remembered for its life, so a workflow naming another in many steps reads it once."""

    def __init__(self, overlay: Mapping[str, WorkflowInfo] | None = None):
        self.overlay = dict(overlay or {})
        self._read: dict[str, WorkflowInfo | None] = {}

    def get(self, name: str) -> WorkflowInfo | None:
        if name in self.overlay:
            return self.overlay[name]
        if name not in self._read:
            self._read[name] = self._from_database(name)
        return self._read[name]

    def _from_database(self, name: str) -> WorkflowInfo | None:
        from ..models import Workflow

        workflow = Workflow.objects.filter(name=name).prefetch_related("parameters").first()
        if workflow is None:
            return None
        return WorkflowInfo(
            workflow.name,
            workflow.kind,
            tuple(param_spec_from_model(p) for p in workflow.parameters.all()),
        )


def param_spec_from_model(p: Any) -> ParamSpec:
    return ParamSpec(
        key=p.key,
        type=p.type,
        data_type=p.data_type,
        is_list=p.is_list,
        optional=p.optional,
        default=p.default,
        description=p.description,
        secret=p.secret,
        querystring=p.querystring,
    )


@dataclass
class CompiledAction:
    position: int  # the step's number: 1 for the first, as the run log and errors say
    step_id: str | None
    action: ActionType
    label: str
    condition: Expression | None
    config: dict[str, Value]

    @property
    def type(self) -> str:
        return self.action.name

    @property
    def title(self) -> str:
        return self.label or self.step_id or self.action.label

    @cached_property
    def per_item_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.action.fields if f.per_item)

    def resolve(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        later = self.per_item_keys
        return {
            key: PerItem(value, scope) if key in later else value.resolve(scope)
            for key, value in self.config.items()
        }


@dataclass
class CompiledWorkflow:
    name: str
    kind: str
    description: str = ""
    expose: bool = False
    auth: str = AuthMode.USER
    ignore_privacy: bool = False
    condition: Expression | None = None
    condition_not_met: int = 400
    commit: str = Commit.TOGETHER
    #: the request's headers in scope as ``request.headers`` (API workflows)
    include_headers: bool = False
    timeout: int = 300
    retries: int = 0
    retry_delay: int = 60
    missed_after: int | None = None
    #: the API workflow run when a run of this one fails for good ("" none)
    error_workflow: str = ""
    #: the IANA time zone its dates are read and shown in ("": the project's TIME_ZONE)
    time_zone: str = ""
    data_type: str = ""
    trigger_on: tuple[str, ...] = ()
    schedule: Any = None
    webhook: Any = None
    parameters: tuple[ParamSpec, ...] = ()
    actions: tuple[CompiledAction, ...] = ()
    pk: int | None = None
    revision: int = 0
    version: tuple[Any, ...] = ()
    #: the definition it was compiled from (docs/workflow-format.md), for what reads the
    #: raw format: the kinds of its values (``engine.scope``)
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def info(self) -> WorkflowInfo:
        return WorkflowInfo(self.name, self.kind, self.parameters)

    @cached_property
    def secret_keys(self) -> frozenset[str]:
        """Parameters marked ``secret: true``: masked in the run log."""
        return frozenset(p.key for p in self.parameters if p.secret)

    def parameter(self, key: str) -> ParamSpec | None:
        return next((p for p in self.parameters if p.key == key), None)


@dataclass
class CompileContext:
    """Handed to ``ActionType.check``: the catalog and what the workflow declares."""

    catalog: Catalog
    workflow_name: str
    kind: str
    parameters: tuple[ParamSpec, ...] = ()
    issues: list[Issue] = field(default_factory=list)

    def workflow_info(self, name: str) -> WorkflowInfo | None:
        """Another workflow, or this one (a workflow may schedule itself)."""
        if name == self.workflow_name:
            return WorkflowInfo(self.workflow_name, self.kind, self.parameters)
        return self.catalog.get(name)


def compile_definition(
    definition: Mapping[str, Any],
    *,
    catalog: Catalog | None = None,
    check_error_workflow: bool = True,
) -> CompiledWorkflow:
    """Validate and compile one workflow definition; raise ``DefinitionError`` listing issues.

    ``check_error_workflow=False`` (the engine's cache: a stored workflow about to run)
    leaves out the look-up of the error workflow it names: a workflow keeps running when
    its error workflow was deleted or changed since it was saved, which is reported when
    a run fails (``workflows/failures.py``) and refused when it is next saved."""
    catalog = catalog or Catalog()
    issues: list[Issue] = []
    d = definition if isinstance(definition, Mapping) else {}
    if not isinstance(definition, Mapping):
        raise DefinitionError([Issue((), "a workflow must be a mapping of keys to values")])

    def problem(path: tuple[str | int, ...], message: str) -> None:
        issues.append(Issue(path, message))

    for key in d:
        if key not in WORKFLOW_KEYS:
            problem((key,), f"unknown key (workflow keys: {', '.join(WORKFLOW_KEYS)})")

    name = d.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        problem(("name",), "required; letters, digits, '-' and '_' (URL-safe), at most 100")
        name = str(name or "?")
    kind = _choice(d, "kind", WorkflowKind.values, WorkflowKind.API, problem)
    auth = _choice(d, "auth", AuthMode.values, AuthMode.USER, problem)
    expose = _bool(d, "expose", False, problem)
    if expose and kind != WorkflowKind.API:
        problem(("expose",), f"only API workflows can be exposed, not a {kind}")
    ignore_privacy = _bool(d, "ignore_privacy", False, problem)
    condition_not_met = d.get("condition_not_met", 400)
    if condition_not_met not in ConditionNotMet.values:
        problem(("condition_not_met",), "must be 400 or 200")
        condition_not_met = 400
    commit = _choice(d, "commit", Commit.values, Commit.TOGETHER, problem)
    include_headers = _bool(d, "include_headers", False, problem)
    if include_headers and kind != WorkflowKind.API:
        problem(("include_headers",), f"only an API workflow is called with headers, not a {kind}")
        include_headers = False
    timeout = d.get("timeout", 300)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 3600:
        problem(("timeout",), "must be a whole number of seconds from 1 to 3600")
        timeout = 300
    retries = _whole(d, "retries", 0, 0, 10, problem)
    retry_delay = _whole(d, "retry_delay", 60, 1, 86400, problem)
    missed_after = _whole(d, "missed_after", None, 1, 10**9, problem)
    error_workflow = _error_workflow(
        d, name, kind, catalog if check_error_workflow else None, problem
    )
    description = d.get("description") or ""
    if not isinstance(description, str):
        problem(("description",), "must be text")
        description = ""
    folder = d.get("folder") or ""
    if not isinstance(folder, str) or len(folder) > 100 or not folder.isprintable():
        problem(("folder",), "must be text of at most 100 characters, on one line")
    time_zone = d.get("time_zone") or ""
    if time_zone and not is_time_zone(time_zone):
        problem(("time_zone",), not_a_time_zone(time_zone))
        time_zone = ""

    data_type, trigger_on = _trigger(d, kind, problem)
    extra = TRIGGER_NAMES if kind == WorkflowKind.TRIGGER else frozenset()
    if include_headers:
        extra = extra | {"request"}
    parameters = _parameters(
        d.get("parameters") or [], kind, signed=bool(d.get("webhook")), problem=problem
    )

    schedule = d.get("schedule")
    if schedule is not None:
        if kind != WorkflowKind.API:
            problem(("schedule",), f"only API workflows run on a schedule, not a {kind}")
        for validate in schedule_validators:
            try:
                validate(schedule, parameters)
            except (ValueError, TypeError) as exc:
                problem(("schedule",), str(exc))
            except WorkflowError as exc:
                problem(("schedule", "params"), exc.message)
    webhook = d.get("webhook")
    if webhook is not None:
        _webhook(webhook, kind, problem)
    param_keys = frozenset(p.key for p in parameters)

    condition = None
    only_when = d.get("only_when") or ""
    if only_when:
        condition = _condition(only_when, ScopeSpec(param_keys, (), extra), ("only_when",), problem)

    ctx = CompileContext(catalog, name, kind, parameters)
    actions = _actions(d.get("actions") or [], param_keys, extra, ctx, problem)
    parameters = _secret_when_fed(parameters, actions)

    if issues:
        raise DefinitionError(issues, workflow=name)
    return CompiledWorkflow(
        name=name,
        kind=kind,
        description=description,
        expose=expose,
        auth=auth,
        ignore_privacy=ignore_privacy,
        condition=condition,
        condition_not_met=condition_not_met,
        commit=commit,
        include_headers=include_headers,
        timeout=timeout,
        retries=retries,
        retry_delay=retry_delay,
        missed_after=missed_after,
        error_workflow=error_workflow,
        time_zone=time_zone,
        data_type=data_type,
        trigger_on=trigger_on,
        schedule=schedule,
        webhook=webhook,
        parameters=parameters,
        actions=actions,
        definition=definition,
    )


def _choice(d: Mapping[str, Any], key: str, values: list[str], default: str, problem) -> str:
    value = d.get(key, default)
    if value in (None, ""):
        return default
    if value not in values:
        problem((key,), f"must be one of {', '.join(values)}, not {value!r}")
        return default
    return value


def _whole(
    d: Mapping[str, Any], key: str, default: int | None, low: int, high: int, problem
) -> int | None:
    value = d.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problem((key,), f"must be a whole number from {low} to {high}")
        return default
    return value


def _bool(d: Mapping[str, Any], key: str, default: bool, problem) -> bool:
    value = d.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        problem((key,), f"must be true or false, not {value!r}")
        return default
    return value


def _error_workflow(
    d: Mapping[str, Any], name: str, kind: str, catalog: Catalog | None, problem
) -> str:
    """The ``error_workflow`` named, checked (with ``catalog``) to exist and to be able to
    be one (``engine.error_workflows``); "" for none."""
    value = d.get("error_workflow") or ""
    if not value:
        return ""
    where = ("error_workflow",)
    if not isinstance(value, str) or not NAME_RE.match(value):
        problem(where, "must be the name of an API workflow")
        return ""
    if kind not in error_workflows.HAS_ERROR_WORKFLOW:
        problem(
            where,
            "a custom event has no error workflow of its own: its failure fails its "
            "caller's step, and the caller's error workflow runs",
        )
        return ""
    if value == name:
        problem(where, "a workflow cannot be its own error workflow")
        return ""
    if catalog is None:
        return value
    target = catalog.get(value)
    if target is None:
        problem(where, f"no workflow named {value!r}")
        return ""
    for message in error_workflows.problems(target.kind, target.parameters):
        problem(where, f"{value!r} {message}")
    return value


def _trigger(d: Mapping[str, Any], kind: str, problem) -> tuple[str, tuple[str, ...]]:
    data_type = d.get("data_type") or ""
    on = d.get("on") or []
    if isinstance(on, str):
        on = [on]
    if kind != WorkflowKind.TRIGGER:
        if data_type or on:
            problem(
                ("data_type" if data_type else "on",), "only database triggers watch a data type"
            )
        return "", ()
    if not data_type:
        problem(("data_type",), "a database trigger needs the data type it watches")
    else:
        try:
            data_type = data_types.label_of(data_types.get_model(data_type))
        except WorkflowError as exc:
            problem(("data_type",), exc.message)
    events = tuple(on) if isinstance(on, list | tuple) else ()
    bad = [e for e in events if e not in TriggerEvent.values]
    if not events or bad:
        problem(("on",), "a list of one or more of create, update, delete")
    return data_type, tuple(dict.fromkeys(events))


def _parameters(raw: Any, kind: str, *, signed: bool, problem) -> tuple[ParamSpec, ...]:
    """The declared parameters. ``querystring`` only where a request's URL is read: an API
    workflow's, and not a signed webhook's (its signature covers the body alone, so
    ``api.views`` reads nothing else)."""
    if not isinstance(raw, list):
        problem(("parameters",), "must be a list")
        return ()
    specs: list[ParamSpec] = []
    seen: set[str] = set()
    for i, p in enumerate(raw):
        where = ("parameters", i)
        if not isinstance(p, Mapping):
            problem(where, "each parameter is a mapping with at least key and type")
            continue
        for key in p:
            if key not in PARAMETER_KEYS:
                problem((*where, key), f"unknown key (parameter keys: {', '.join(PARAMETER_KEYS)})")
        key = p.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            problem((*where, "key"), "required; letters, digits and _, not starting with a digit")
            continue
        if key in seen:
            problem((*where, "key"), f"duplicate parameter {key!r}")
            continue
        seen.add(key)
        ptype = p.get("type", ParameterType.TEXT)
        if ptype not in param_type_names():
            problem((*where, "type"), f"must be one of {', '.join(param_type_names())}")
            continue
        data_type = p.get("data_type") or ""
        if param_type(ptype).needs_data_type:
            try:
                data_type = data_types.label_of(data_types.get_model(data_type))
            except WorkflowError as exc:
                problem(
                    (*where, "data_type"),
                    exc.message if data_type else f"required for type {ptype}",
                )
                continue
        elif data_type:
            problem((*where, "data_type"), "only parameters of type thing have a data type")
        flags = {}
        for flag in ("list", "optional", "secret", "querystring"):
            flags[flag] = p.get(flag, False)
            if not isinstance(flags[flag], bool):
                problem((*where, flag), "must be true or false")
                flags[flag] = False
        if flags["querystring"] and kind != WorkflowKind.API:
            problem(
                (*where, "querystring"),
                "only an API workflow is called with a query string, "
                f"not a {WorkflowKind(kind).label.lower()}",
            )
            flags["querystring"] = False
        elif flags["querystring"] and signed:
            problem(
                (*where, "querystring"),
                "a workflow with a webhook signature reads only its signed body, "
                "never the query string",
            )
            flags["querystring"] = False
        spec = ParamSpec(
            key=key,
            type=ptype,
            data_type=data_type,
            is_list=flags["list"],
            optional=flags["optional"],
            default=p.get("default"),
            description=str(p.get("description") or ""),
            secret=flags["secret"],
            querystring=flags["querystring"],
        )
        if spec.default is not None and not spec.param_type.needs_data_type:
            try:
                coerce_value(spec, spec.default)
            except WorkflowError as exc:
                problem((*where, "default"), exc.message)
        specs.append(spec)
    return tuple(specs)


def _webhook(config: Any, kind: str, problem) -> None:
    """A signed-request requirement: only API workflows receive requests."""
    if kind != WorkflowKind.API:
        problem(("webhook",), f"only API workflows receive webhooks, not a {kind}")
    for key, message in webhooks.check(config):
        problem(("webhook", key) if key else ("webhook",), message)


def _condition(source: Any, spec: ScopeSpec, where: tuple, problem) -> Expression | None:
    if not isinstance(source, str):
        problem(where, "must be an expression (text)")
        return None
    try:
        return compile_condition(source, spec)
    except WorkflowError as exc:
        problem(where, exc.message)
        return None


def _secret_when_fed(
    parameters: tuple[ParamSpec, ...], actions: tuple[CompiledAction, ...]
) -> tuple[ParamSpec, ...]:
    """The parameters, those whose value goes into a password (an action's
    ``secret_keys``: ``sign_up``'s ``password``, ``create_thing``'s ``fields.password``)
    made secret, whatever their name: masked in the run log like ``secret: true`` ones."""
    fed: set[str] = set()
    for action in actions:
        for name in action.action.secret_keys:
            key, _, item = name.partition(".")
            value = action.config.get(key)
            if item:
                value = value.items.get(item) if isinstance(value, MapValue) else None
            if isinstance(value, Dynamic | Text):
                fed |= value.expression.params_used
    if not fed:
        return parameters
    return tuple(
        replace(p, secret=True) if p.key in fed and not p.secret else p for p in parameters
    )


def _actions(raw: Any, params: frozenset[str], extra: frozenset[str], ctx: CompileContext, problem):
    if not isinstance(raw, list):
        problem(("actions",), "must be a list")
        return ()
    compiled: list[CompiledAction] = []
    step_ids: list[str | None] = []
    for i, a in enumerate(raw):
        where: tuple[str | int, ...] = ("actions", i)
        if not isinstance(a, Mapping):
            problem(where, "each action is a mapping with at least a type")
            step_ids.append(None)
            continue
        step_id = a.get("id") or None
        if step_id is not None and (not isinstance(step_id, str) or not KEY_RE.match(step_id)):
            problem((*where, "id"), "letters, digits and _, not starting with a digit")
            step_id = None
        elif step_id is not None and step_id in step_ids:
            problem((*where, "id"), f"another step already has the id {step_id!r}")
        try:
            action = registry.get(a.get("type"))
        except KeyError as exc:
            problem((*where, "type"), str(exc.args[0]))
            step_ids.append(step_id)
            continue
        spec = ScopeSpec(params, tuple(step_ids), extra)
        condition = None
        if a.get("only_when"):
            condition = _condition(a["only_when"], spec, (*where, "only_when"), problem)
        label = a.get("label") or ""
        if not isinstance(label, str):
            problem((*where, "label"), "must be text")
            label = ""
        config = _config(action, a, spec, where, problem, ctx)
        compiled.append(CompiledAction(i + 1, step_id, action, label, condition, config))
        step_ids.append(step_id)
    return tuple(compiled)


def _config(action: ActionType, raw: Mapping[str, Any], spec: ScopeSpec, where, problem, ctx):
    known = {f.key for f in action.fields}
    for key in raw:
        if key not in known and key not in registry.COMMON_KEYS:
            problem(
                (*where, key),
                f"{action.name} has no key {key!r} "
                f"(its keys: {', '.join(sorted(known)) or 'none'})",
            )
    config: dict[str, Value] = {}
    plain: dict[str, Any] = {}
    ok = True
    for f in action.fields:
        value = raw.get(f.key)
        if value is None or value == "" or value == {}:
            if f.required:
                problem((*where, f.key), f"required: “{action.label}” needs a value here")
                ok = False
            elif f.default is not None:
                config[f.key] = Const(f.default)
                plain[f.key] = f.default
            continue
        field_spec = ScopeSpec(spec.params, spec.steps, spec.extra | f.extra_names)
        try:
            config[f.key] = compile_field(f, value, field_spec, ctx)
            plain[f.key] = value
        except (WorkflowError, ConfigError, TypeError, ValueError) as exc:
            problem((*where, f.key), getattr(exc, "message", None) or str(exc))
            ok = False
    if ok:
        try:
            action.check(plain, ctx)
        except ConfigError as exc:
            problem((*where, exc.key) if exc.key else where, exc.message)
    return config


def compile_field(f: ConfigField, value: Any, spec: ScopeSpec, ctx: CompileContext) -> Value:
    """Compile one config value according to its field kind."""
    if f.kind == FieldKind.VALUE:
        return compile_any(value, spec)
    if f.kind == FieldKind.TEXT:
        return compile_text(value, spec)
    if f.kind == FieldKind.MAPPING:
        if not isinstance(value, Mapping):
            raise ConfigError(f.key, "must be a mapping of names to values (name: value)")
        for key in value:
            if not isinstance(key, str) or not key:
                raise ConfigError(f.key, f"names must be text, not {key!r}")
        compiled = compile_any(value, spec)
        assert isinstance(compiled, MapValue)
        return compiled
    if f.kind == FieldKind.DATA_TYPE:
        if not isinstance(value, str) or is_dynamic(value):
            raise ConfigError(f.key, "must be a data type name such as examples.Order")
        return Const(data_types.label_of(data_types.get_model(value)))
    if f.kind == FieldKind.WORKFLOW:
        if not isinstance(value, str) or is_dynamic(value):
            raise ConfigError(f.key, "must be the name of a workflow")
        if ctx.workflow_info(value) is None:
            raise ConfigError(f.key, f"no workflow named {value!r}")
        return Const(value)
    if f.kind == FieldKind.CHOICE:
        if value not in f.choices:
            raise ConfigError(f.key, f"must be one of {', '.join(map(str, f.choices))}")
        return Const(value)
    if f.kind == FieldKind.NUMBER:
        if isinstance(value, str) and is_dynamic(value):
            return Dynamic(compile_template(value, spec))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f.key, "must be a number or an expression giving one")
        return Const(value)
    raise ValueError(f"unknown field kind {f.kind!r}")
