"""Running a compiled workflow: one ``Run`` row, one ``StepRun`` per action.

``run()`` is the only way a workflow executes, whatever started it. The ``Run`` row is
written before any work (a crash leaves evidence); the actions' database work, the steps
and the final status then commit together in one transaction (opened at the first step
that may write), or roll back together, after which the failure is written on its own —
unless the workflow commits each step (``engine.transactions``). Custom events called
with ``trigger_custom_event`` run inside their caller's step and are logged as child runs.
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .. import conf, failures, statements
from ..choices import RunSource, RunStatus, StepStatus, WorkflowKind
from ..data_model.registry import scope as data_model_scope
from ..exceptions import (
    ActionFailed,
    ConditionNotMet,
    DepthExceeded,
    InvalidData,
    InvalidParameter,
    WorkflowError,
    WorkflowNotFound,
)
from ..log_context import logged_run, set_run
from ..masking import coerce_params, mask_text, masked_run
from ..models import Run, StepRun, Workflow
from ..privacy.access import DataAccess
from ..request_headers import HeaderValues
from ..versions.edition import run_marks
from .cache import get_compiled
from .compiler import CompiledAction, CompiledWorkflow
from .context import Caller, RunContext, running
from .expressions import ANY_PARAMETER
from .params import Validated
from .serialize import LogForms, storable_text, to_log, to_response
from .transactions import RunTransactions
from .values import Dynamic, MapValue, Text

logger = logging.getLogger("workflows.engine")


@dataclass
class RunResult:
    run: Run
    response: Any = None  # JSON-ready data from return_data, or None
    error: WorkflowError | None = None
    #: how an API call answers it: json, text ({text, content_type}) or redirect ({url})
    response_type: str = "json"

    @property
    def status(self) -> str:
        return self.run.status

    @property
    def ok(self) -> bool:
        return self.run.status == RunStatus.SUCCEEDED


@dataclass
class Recorder:
    """The rows of one top-level run and its custom-event children, written at the end."""

    children: list[Run] = field(default_factory=list)
    steps: list[StepRun] = field(default_factory=list)
    #: the log forms of the run's values, kept between steps that change nothing
    forms: LogForms = field(default_factory=LogForms)

    def write(self, root: Run) -> None:
        # hand-written statements (workflows/statements.py): the log is written by every run
        statements.insert(self.children)
        statements.insert(self.steps)
        _write_end(root)


def _write_end(run_row: Run) -> None:
    """The run's end on its row: one UPDATE of the fields the end changes."""
    statements.update(Run, run_row.pk, {name: getattr(run_row, name) for name in _END_FIELDS})


# what a run's end changes on its ``Run`` row
_END_FIELDS = (
    "status",
    "result",
    "error_code",
    "error_message",
    "error_parameter",
    "finished_at",
    "duration_ms",
)


@masked_run
@logged_run
def run(
    workflow: Workflow | CompiledWorkflow,
    params: Mapping[str, Any] | Validated | None = None,
    actor: Any = None,
    *,
    source: str = RunSource.CLI,
    extra: Mapping[str, Any] | None = None,
    parent: Run | None = None,
    depth: int = 0,
    ignore_privacy: bool = False,
    log_rejected: bool = False,
    write_start: Callable[[Run], None] | None = None,
    before_commit: Callable[[Run], None] | None = None,
    caller: Caller | None = None,
    final: bool = True,
    time_zone: str = "",
) -> RunResult:
    """Run a workflow as ``actor`` (None: anonymous) and return its result.

    ``params``: raw values, coerced here, or ``Validated`` ones (the API's serializer
    coerced them already). Parameter errors (missing, invalid, unknown thing) raise before
    any run exists, unless
    ``log_rejected`` asks for a failed ``Run`` instead (runs nobody waits for: scheduled,
    triggered), so the log still says what happened. Everything after is captured in the
    returned ``RunResult`` and the run log.

    ``write_start(run)``, when given, writes the ``Run`` row instead of the engine, together
    with the caller's bookkeeping (the scheduler's claim: in one transaction, or one
    statement where the database allows); if it raises, nothing is written and the
    exception propagates (no run took place). ``before_commit(run)`` is
    called inside the run's transaction after its actions succeeded, so a caller's own
    bookkeeping (the scheduler's "succeeded") commits together with the run's effects or
    not at all. If it raises, the run fails and its effects roll back.

    ``caller``: the HTTP request's credential and address (``context.Caller``), for the
    account actions; runs nobody called over HTTP pass none.

    ``final``: a failure of this run is final, so its workflow's error workflow runs and
    the alerts count it (``workflows.failures``), in the transaction writing the failure.
    False for callers that decide that themselves (the scheduler, which may retry) or
    undo the run (the editor's test run).

    ``time_zone``: the IANA zone a scheduled run named (checked when scheduled); empty:
    the workflow's ``time_zone``, else TIME_ZONE.

    A run is a unit of work for the data model (``data_model.registry.scope``): from the
    moment it touches a data type it uses the current one.
    """
    with data_model_scope():
        compiled = get_compiled(workflow) if isinstance(workflow, Workflow) else workflow
        # its dates are shown and read in its time zone (format_date, date(...), days(1))
        with timezone.override(_zone(time_zone or compiled.time_zone)):
            return _run(
                compiled,
                params,
                actor,
                source=source,
                extra=extra,
                parent=parent,
                depth=depth,
                ignore_privacy=ignore_privacy,
                log_rejected=log_rejected,
                write_start=write_start,
                before_commit=before_commit,
                caller=caller,
                final=final,
            )


def _zone(name: str) -> Any:
    """The zone named, None (TIME_ZONE) for none; a name checked when it was saved that this
    machine's time zone database no longer has falls back to TIME_ZONE, said in the log."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        logger.warning("time zone %r is unknown here: the run uses TIME_ZONE", name[:64])
        return None


def _run(
    compiled: CompiledWorkflow,
    params: Mapping[str, Any] | Validated | None,
    actor: Any,
    *,
    source: str,
    extra: Mapping[str, Any] | None,
    parent: Run | None,
    depth: int,
    ignore_privacy: bool,
    log_rejected: bool,
    write_start: Callable[[Run], None] | None,
    before_commit: Callable[[Run], None] | None,
    caller: Caller | None,
    final: bool,
) -> RunResult:
    on_failure = _failed_for_good(compiled) if final else None
    rejected: WorkflowError | None = None
    if isinstance(params, Validated):  # the API's serializer coerced them
        access, values = params.access, dict(params.values)
        if ignore_privacy and not access.unrestricted:
            access = DataAccess(actor, ignore_privacy=True)
    else:
        access = DataAccess(actor, ignore_privacy=compiled.ignore_privacy or ignore_privacy)
        try:
            values = coerce_params(compiled.parameters, params or {}, things=access.reachable)
        except WorkflowError as exc:
            if not log_rejected:
                raise
            values, rejected = dict(params or {}), exc
    run_row = Run(
        workflow_id=compiled.pk,
        workflow_name=compiled.name,
        workflow_revision=compiled.revision,
        source=source,
        status=RunStatus.RUNNING,
        actor=_user(actor),
        parent=parent,
        depth=depth,
        params=to_log(values, secret_keys=compiled.secret_keys),
        **run_marks(),
    )
    if write_start is not None:
        write_start(run_row)
    else:
        _insert_start(run_row, compiled)
    set_run(run_row.pk)  # the log lines from here on are this run's
    recorder = Recorder()
    if rejected is not None:
        _fail(run_row, time.perf_counter(), rejected, recorder, on_failure)
        return RunResult(run_row, None, rejected)
    ctx = RunContext(
        compiled,
        run_row,
        _user(actor),
        values,
        recorder,
        depth,
        _extra_names(compiled, extra),
        data=access,
        caller=caller,
    )
    started = time.perf_counter()
    error: WorkflowError | None = None
    response = None
    try:
        if depth > conf.get("MAX_DEPTH"):
            raise DepthExceeded(
                f"runs nested deeper than BUBBLE_MAX_DEPTH ({conf.get('MAX_DEPTH')}) are refused"
            )
        with ExitStack() as stack, running(ctx):
            ctx.transactions = RunTransactions(stack, compiled.commit)
            _execute(ctx)
            if ctx.response is None and ctx.login is not None:
                ctx.response = ctx.login  # a log-in without returned data answers the token
            ctx.transactions.for_the_end()  # the log and the caller's bookkeeping
            response = to_response(ctx.response, access=ctx.data)
            _finish(run_row, started, ctx, response)
            if before_commit is not None:
                before_commit(run_row)
            recorder.write(run_row)
    except WorkflowError as exc:
        error = exc
    except IntegrityError as exc:  # a constraint checked at commit (SQLite's foreign keys)
        error = ActionFailed(f"the database refused the run's changes: {exc}")
    except Exception as exc:  # a bug or an outage: still logged, never a silent 500
        logger.exception("workflow %s crashed", compiled.name)
        error = ActionFailed(f"internal error: {type(exc).__name__}: {exc}")
    if error is not None:
        response = None
        _fail(run_row, started, error, recorder, on_failure)
    elif run_row.status == RunStatus.CONDITION_NOT_MET:
        error = ConditionNotMet(f"the condition of workflow {compiled.name!r} is not met")
    return RunResult(run_row, response, error, ctx.response_type)


def _deployed(compiled: CompiledWorkflow) -> bool:
    """Whether it comes from a deployed version (not development's rows)."""
    return compiled.version[:1] == ("version",)


def _still_there(compiled: CompiledWorkflow) -> bool:
    """Whether development's row a deployed workflow links its runs to still exists."""
    return compiled.pk is None or Workflow.objects.filter(pk=compiled.pk).exists()


def _insert_start(run_row: Run, compiled: CompiledWorkflow) -> None:
    """The run's row, committed before any work. A deployed version's workflow links to
    development's row of its name as this process first found it: deleted in development
    since (live until the next deploy), the database refuses the link, and every link of
    this process is looked up again (docs/versions.md)."""
    try:
        statements.insert([run_row])
    except IntegrityError:
        if not _deployed(compiled) or connection.in_atomic_block:
            raise
        from ..versions.serving import relink

        relink()
        run_row.workflow_id = compiled.pk
        statements.insert([run_row])


def run_custom_event(ctx: RunContext, name: str, params: Mapping[str, Any]) -> Any:
    """Run custom event ``name`` inside the caller's run and transaction; its returned data."""
    from ..versions.serving import find  # it compiles with the engine

    compiled = find(name, WorkflowKind.CUSTOM_EVENT)  # from the version its caller runs
    if compiled is None:
        raise WorkflowNotFound(f"no custom event named {name!r}")
    depth = ctx.depth + 1
    if depth > conf.get("MAX_DEPTH"):
        raise DepthExceeded(
            f"custom event {name!r} would run at depth {depth}, beyond BUBBLE_MAX_DEPTH "
            f"({conf.get('MAX_DEPTH')})"
        )
    # a custom event sees what its caller sees, and everything if it ignores privacy itself
    access = DataAccess(ctx.actor, ignore_privacy=True) if compiled.ignore_privacy else ctx.data
    values = coerce_params(compiled.parameters, params, things=access.reachable)
    if _deployed(compiled) and not _still_there(compiled):
        from ..versions.serving import relink

        relink()  # deleted in development since: its run is written in the caller's
        # transaction, which a link to the deleted row would make the database refuse
    child = Run(
        workflow_id=compiled.pk,
        workflow_name=compiled.name,
        workflow_revision=compiled.revision,
        source=RunSource.CUSTOM_EVENT,
        status=RunStatus.RUNNING,
        actor=ctx.actor,
        parent=ctx.run,
        depth=depth,
        params=to_log(values, secret_keys=compiled.secret_keys),
        **run_marks(),
    )
    ctx.recorder.children.append(child)
    child_ctx = RunContext(
        compiled,
        child,
        ctx.actor,
        values,
        ctx.recorder,
        depth,
        deadline=ctx.deadline,
        data=access,
        caller=ctx.caller,
    )
    started = time.perf_counter()
    try:
        with running(child_ctx):
            _execute(child_ctx)
        if child_ctx.login is not None:
            ctx.login = child_ctx.login  # a log-in inside a custom event logs its caller in
        response = to_response(child_ctx.response)
    except WorkflowError as exc:
        _mark_failed(child, started, exc)
        raise
    _finish(child, started, child_ctx, response)
    return child_ctx.response


def _execute(ctx: RunContext) -> None:
    workflow = ctx.workflow
    if workflow.condition is not None and not _truthy(workflow.condition.evaluate(ctx.scope)):
        ctx.run.status = RunStatus.CONDITION_NOT_MET
        for action in workflow.actions:
            _record_not_run(ctx, action)
        return
    for index, action in enumerate(workflow.actions):
        if ctx.ended:
            _record_not_run(ctx, action)
            continue
        try:
            _execute_action(ctx, action)
        except WorkflowError as exc:
            for later in workflow.actions[index + 1 :]:
                _record_not_run(ctx, later)
            raise _step_error(action, exc) from exc
    ctx.run.status = RunStatus.SUCCEEDED


def _execute_action(ctx: RunContext, action: CompiledAction) -> None:
    step = StepRun(
        run=ctx.run,
        position=action.position,
        step_id=action.step_id or "",
        action_type=action.type,
        label=action.label,
        started_at=timezone.now(),
    )
    started = time.perf_counter()
    ctx.recorder.steps.append(step)
    ctx.current_step = step
    try:
        ctx.remaining()
        with ctx.transactions.step(action.action, action.config):
            if action.condition is not None:
                step.condition_result = _truthy(action.condition.evaluate(ctx.scope))
                if not step.condition_result:
                    step.status = StepStatus.SKIPPED
                    ctx.steps.record(action.step_id, None)
                    return
            inputs = action.resolve(ctx.scope)
            forms = ctx.recorder.forms
            step.inputs = to_log(inputs, forms=forms)
            output = action.action.execute(inputs, ctx)
            if action.action.writes:
                forms.forget()  # the things logged so far may have changed
            step.output = to_log(output, forms=forms)
        step.status = StepStatus.SUCCEEDED
        ctx.steps.record(action.step_id, output)
        if action.action.ends_run:
            ctx.ended = True
    except WorkflowError as exc:
        step.status = StepStatus.FAILED
        step.error = exc.message = storable_text(mask_text(exc.message))
        raise
    except Exception as exc:
        step.status = StepStatus.FAILED
        step.error = storable_text(mask_text(f"{type(exc).__name__}: {exc}"))
        raise ActionFailed(step.error) from exc
    finally:
        step.duration_ms = (time.perf_counter() - started) * 1000


def _record_not_run(ctx: RunContext, action: CompiledAction) -> None:
    ctx.recorder.steps.append(
        StepRun(
            run=ctx.run,
            position=action.position,
            step_id=action.step_id or "",
            action_type=action.type,
            label=action.label,
            status=StepStatus.NOT_RUN,
        )
    )


def _step_error(action: CompiledAction, exc: WorkflowError) -> WorkflowError:
    """The run's error: which step failed and why, keeping a specific code (TIMEOUT...).

    A value a data type refused (``InvalidData``) that came from the caller's parameters
    is the caller's error: 400, naming the parameter where it is one. From the definition
    or another step's result it stays the workflow's (500)."""
    message = f"step {action.position} ({action.title}) failed: {exc.message}"
    error = ActionFailed(message, parameter=exc.parameter)
    if exc.code not in ("WORKFLOW_ERROR", "EXPRESSION_ERROR"):
        error.code = exc.code
    if exc.keeps_status:  # the caller's error wherever it happens (a refused log-in)
        error.http_status, error.keeps_status = exc.http_status, True
        error.retry_after = getattr(exc, "retry_after", 0)
    if isinstance(exc, InvalidData):
        used = _parameters_behind(action, exc.field)
        if used:
            error.http_status = InvalidData.http_status
            named = sorted(used - {ANY_PARAMETER})
            if len(named) == 1 and ANY_PARAMETER not in used:
                error.code, error.parameter = InvalidParameter.code, named[0]
                error.message = f"{message} (the value of parameter {named[0]!r})"
                error.args = (error.message,)
    return error


def _parameters_behind(action: CompiledAction, field: str | None) -> frozenset[str]:
    """The parameters the value of data field ``field`` was computed from, in the
    action's field mappings (``fields:``, ``changes:``) or its own key of that name where
    the type gives a field that way (``field_keys``: the account actions' ``email``,
    ``password``); empty when it was not."""
    if field is None:
        return frozenset()
    used: set[str] = set()
    items = [v.items.get(field) for v in action.config.values() if isinstance(v, MapValue)]
    if field in action.action.field_keys:
        items.append(action.config.get(field))
    for item in items:
        if isinstance(item, Dynamic | Text):
            used |= item.expression.params_used
    return frozenset(used)


def _finish(run_row: Run, started: float, ctx: RunContext, response: Any) -> None:
    if run_row.status == RunStatus.RUNNING:
        run_row.status = RunStatus.SUCCEEDED
    if ctx.response is not None:
        run_row.result = to_log(ctx.response, forms=ctx.recorder.forms)
    else:
        run_row.result = None
    run_row.finished_at = timezone.now()
    run_row.duration_ms = (time.perf_counter() - started) * 1000


def _mark_failed(run_row: Run, started: float, error: WorkflowError) -> None:
    run_row.status = RunStatus.FAILED
    run_row.result = None
    run_row.error_code = error.code
    error.message = storable_text(mask_text(error.message))  # the caller's error shows it too
    run_row.error_message = error.message[:10_000]
    run_row.error_parameter = error.parameter or ""
    run_row.finished_at = timezone.now()
    run_row.duration_ms = (time.perf_counter() - started) * 1000


def _failed_for_good(compiled: CompiledWorkflow) -> Callable[[Run], None]:
    return lambda run_row: failures.failed_for_good(run_row, compiled.error_workflow)


def _fail(
    run_row: Run,
    started: float,
    error: WorkflowError,
    recorder: Recorder,
    on_failure: Callable[[Run], None] | None = None,
) -> None:
    """After the transaction rolled back: write the failure and every step that ran, and
    (a final failure) ``on_failure`` in the same transaction."""
    _mark_failed(run_row, started, error)
    try:
        with transaction.atomic():
            recorder.write(run_row)
            if on_failure is not None:
                on_failure(run_row)
    except Exception as exc:  # the log refused (or a database fault): the run still ends
        logger.exception("the step log of run %s could not be written", run_row.pk)
        run_row.error_message = (
            f"{run_row.error_message} (the step log could not be saved: "
            f"{type(exc).__name__}: {mask_text(str(exc))[:500]})"
        )[:10_000]
        with transaction.atomic():
            _write_end(run_row)
            if on_failure is not None:
                on_failure(run_row)


def _truthy(value: Any) -> bool:
    return bool(value)


def _extra_names(compiled: CompiledWorkflow, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Names besides the usual scope; a workflow reading ``request.headers`` run without a
    request (scheduled, from the admin) sees no headers rather than a missing name."""
    names = dict(extra or {})
    if compiled.include_headers:
        names.setdefault("request", {"headers": HeaderValues()})
    return names


def _user(actor: Any) -> Any:
    """None for anonymous users, so ``current_user`` is None when nobody is logged in."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor
