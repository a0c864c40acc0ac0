"""Scheduling, cancelling and recurring events: the operations every entry point shares.

Actions, the REST API, the admin and triggers all come here, so a scheduled run is
validated, stored and counted the same way wherever it comes from. Parameters are coerced
against the target workflow when the run is scheduled (a bad one is refused now, not when
it fires) and stored as plain JSON (``stored.to_stored``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from workflows import conf as workflows_conf
from workflows import data_types
from workflows.choices import WorkflowKind
from workflows.engine.cache import get_compiled
from workflows.engine.compiler import CompiledWorkflow
from workflows.engine.functions import is_time_zone, not_a_time_zone
from workflows.exceptions import DepthExceeded, InvalidParameter, WorkflowError, WorkflowNotFound
from workflows.masking import coerce_params
from workflows.models import Run, Workflow
from workflows.privacy.access import DataAccess
from workflows.versions.edition import testing
from workflows.versions.serving import find, find_with_row

from . import conf
from .bulk import insert_scheduled_runs
from .frequency import Frequency, parse_frequency
from .models import CANCELLABLE, Origin, RecurringEvent, ScheduledRun, Status, named
from .sealed import seal, unseal
from .stored import to_stored

SCHEDULABLE_KINDS = (WorkflowKind.API,)
#: how far in the past a recurring event's first occurrence may be and still run at once
FIRST_RUN_GRACE = datetime.timedelta(minutes=1)


@dataclass
class Target:
    """A workflow to schedule, as the call or run scheduling it is served (docs/versions.md).

    Found by name: a live run scheduling a workflow that development deleted (or changed)
    schedules live's, by its name, with live's parameters; the rows it makes link
    development's row of the name when there is one (``row``), else keep only the name,
    as a deleted workflow's rows do.
    """

    name: str
    row: Workflow | None

    @cached_property
    def compiled(self) -> CompiledWorkflow:
        """Its definition as served now: what its parameters are coerced against."""
        if self.row is not None:
            return get_compiled(self.row)
        found = find(self.name)
        if found is None:
            raise WorkflowNotFound(f"no workflow named {self.name!r}")
        return found


#: what the scheduling functions take: a target, development's row, or a compiled workflow
Schedulable = Target | Workflow | CompiledWorkflow


def target(workflow: Schedulable, row: Workflow | None = None) -> Target:
    """``workflow`` as a ``Target``: a row is its own; a compiled workflow links ``row``
    (development's, it was compiled from) or else development's row of its name, if any
    (a deployed version's)."""
    if isinstance(workflow, Target):
        return workflow
    if isinstance(workflow, Workflow):
        return Target(workflow.name, workflow)
    if row is None:
        row = Workflow.objects.filter(name=workflow.name).first()
    found = Target(workflow.name, row)
    found.compiled = workflow  # already the served definition
    return found


def served_target(name: str) -> Target | None:
    """Workflow ``name`` as the call or run in progress is served (the live version's for a
    live one, development's for a test), as a ``Target``; None when there is none."""
    compiled, row = find_with_row(name)
    return None if compiled is None else target(compiled, row)


def schedulable_workflow(name: str) -> Target:
    """The API workflow called ``name`` as the call or run in progress is served;
    custom events and triggers cannot be scheduled."""
    found = served_target(name)
    if found is None:
        raise WorkflowNotFound(f"no workflow named {name!r}")
    compiled = found.compiled
    if compiled.kind not in SCHEDULABLE_KINDS:
        raise InvalidParameter(
            f"{name!r} is a {WorkflowKind(compiled.kind).label}; only API workflows can be "
            "scheduled",
            parameter="workflow",
        )
    return found


def stored_params(
    workflow: Schedulable,
    raw: Mapping[str, Any],
    *,
    actor: Any = None,
    ignore_privacy: bool = False,
) -> dict[str, Any]:
    """Coerce ``raw`` for ``workflow`` now (errors name the parameter) and keep it as JSON,
    its secret parameters sealed (``sealed``).

    Things are looked up as the run will look them up: as ``actor`` under the privacy
    rules, so an id the scheduler may not reach is refused now, not when the run fires.
    """
    compiled = target(workflow).compiled
    access = _access(compiled, actor, ignore_privacy)
    values = coerce_params(compiled.parameters, raw, things=access.reachable)
    return storable(compiled, values)


def storable(compiled: CompiledWorkflow, values: Mapping[str, Any]) -> dict[str, Any]:
    """Coerced ``values`` as a scheduled run keeps them: JSON, secret parameters sealed."""
    return seal(to_stored(values), compiled.secret_keys)


def _access(compiled: CompiledWorkflow, actor: Any, ignore_privacy: bool) -> DataAccess:
    return DataAccess(actor, ignore_privacy=compiled.ignore_privacy or ignore_privacy)


def due_time(at: Any, now: datetime.datetime | None = None) -> datetime.datetime:
    """When a run scheduled for ``at`` is due: never before now (a past time runs at once)."""
    now = now or timezone.now()
    if at in (None, ""):
        return now
    moment = _moment(at, "at")
    return max(moment, now)


def checked_time_zone(value: Any) -> str:
    """``value`` as a run's time zone: "" (none named) or an IANA name, else a clear error."""
    if value in (None, ""):
        return ""
    if not is_time_zone(value):
        raise InvalidParameter(
            f"time_zone: {not_a_time_zone(value)}",
            parameter="time_zone",
        )
    return str(value)


def run_zone(zone: str, aim: Target) -> Any:
    """The zone a scheduled run runs in, where its ``at`` and date parameters written without
    one are read: its own ``zone``, else its workflow's, else the current one."""
    if zone:
        return zone
    try:
        return aim.compiled.time_zone or timezone.get_current_timezone()
    except WorkflowNotFound:  # a retry by name of a workflow gone from every version
        return timezone.get_current_timezone()


def check_depth(depth: int) -> None:
    limit = workflows_conf.get("MAX_DEPTH")
    if depth > limit:
        raise DepthExceeded(
            f"this run would be nested {depth} deep, beyond BUBBLE_MAX_DEPTH ({limit}): a "
            "workflow that keeps scheduling itself is stopped here"
        )


def schedule(
    workflow: Schedulable | None,
    params: Mapping[str, Any] | None = None,
    at: Any = None,
    *,
    actor: Any = None,
    scheduled_by: Run | None = None,
    depth: int = 0,
    origin: str = Origin.ACTION,
    ignore_privacy: bool = False,
    context: Mapping[str, Any] | None = None,
    recurring: RecurringEvent | None = None,
    validated: bool = False,
    retry_of: ScheduledRun | None = None,
    test: bool | None = None,
    workflow_name: str = "",
    time_zone: str = "",
) -> ScheduledRun:
    """Schedule one run of ``workflow``; returns the saved ``ScheduledRun``. ``test``: it
    runs development when it fires (None: whether the call or run scheduling it is a test
    of development, docs/versions.md). ``workflow_name``: the name it runs by, when
    ``workflow`` is None (a retry of a run whose workflow development deleted; its
    parameters ``validated`` already). ``time_zone``: the IANA zone it runs in (else its
    workflow's); ``at`` and date parameters written without a zone are read there."""
    check_depth(depth)
    zone = checked_time_zone(time_zone)
    aim = target(workflow) if workflow is not None else Target(workflow_name, None)
    with timezone.override(run_zone(zone, aim)):
        stored = (
            dict(params or {})
            if validated
            else stored_params(aim, params or {}, actor=actor, ignore_privacy=ignore_privacy)
        )
        due_at = due_time(at)
    return ScheduledRun.objects.create(
        workflow=aim.row,
        workflow_name=aim.name,
        params=stored,
        context=dict(context or {}),
        due_at=due_at,
        time_zone=zone,
        origin=origin,
        actor=_user(actor),
        scheduled_by=scheduled_by,
        recurring=recurring,
        depth=depth,
        ignore_privacy=ignore_privacy,
        retry_of=retry_of,
        **({} if test is None else {"test": test}),
    )


#: statuses a run can be retried from ("Retry now" in the admin)
RETRYABLE = (Status.FAILED, Status.MISSED)


def retry(row: ScheduledRun, at: Any = None) -> ScheduledRun:
    """A new run of a failed or missed one, due now (or ``at``): same workflow, parameters,
    context and user, linked to it (``retry_of``); the old row keeps its final status.

    The stored parameters are kept as they are (they were checked when first scheduled, and
    are coerced again when the new run fires: a thing deleted since fails it NOT_FOUND).
    A run of a workflow deleted in development is retried by its name, as it ran.
    Not an occurrence of the recurring event the old run belonged to: the event has its own
    next occurrence already.
    """
    if row.status not in RETRYABLE:
        raise InvalidParameter(
            f"only a failed or missed run can be retried; this one is {row.status}",
            parameter="status",
        )
    if row.actor is not None and not row.actor.is_active:
        raise InvalidParameter(
            f"the run runs as {row.actor.get_username()}, who is no longer active",
            parameter="actor",
        )
    return schedule(
        row.workflow,
        row.params,
        at,
        actor=row.actor,
        depth=row.depth,
        origin=Origin.ADMIN,
        ignore_privacy=row.ignore_privacy,
        context=row.context,
        validated=True,
        retry_of=row,
        test=row.test,
        time_zone=row.time_zone,
        workflow_name=row.current_workflow_name,
    )


def schedule_on_list(
    workflow: Schedulable,
    items: Sequence[Any],
    params_for: Callable[[Any, int], Mapping[str, Any]],
    *,
    at: Any = None,
    interval: float = 0,
    actor: Any = None,
    scheduled_by: Run | None = None,
    depth: int = 1,
    time_zone: str = "",
) -> list[str]:
    """One run per item, the N-th due at ``at + N × interval``, written in bulk; their ids.

    ``params_for(item, index)`` gives each run's raw parameters; all are coerced before any
    row is written, so one bad item refuses the whole list and names it. ``time_zone``: as
    for ``schedule``.
    """
    check_depth(depth)
    zone = checked_time_zone(time_zone)
    limit = conf.get("MAX_LIST_ITEMS")
    if len(items) > limit:
        raise InvalidParameter(f"list: {len(items):,} items; at most {limit:,} can be scheduled")
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise InvalidParameter("interval: must be a number of seconds, 0 or more")
    aim = target(workflow)
    specs = aim.compiled.parameters
    things = _access(aim.compiled, actor, False).reachable
    step = datetime.timedelta(seconds=interval)
    # the caller's expressions for each item run in the caller's zone; what they give is
    # read in the runs' zone
    raw = [params_for(item, index) for index, item in enumerate(items)]
    rows = []
    with timezone.override(run_zone(zone, aim)):
        start = due_time(at)
        for index, item_params in enumerate(raw):
            try:
                stored = storable(aim.compiled, coerce_params(specs, item_params, things=things))
            except WorkflowError as exc:
                exc.message = f"item {index}: {exc.message}"
                raise
            rows.append((stored, start + step * index))
    common = {
        "workflow": aim.row,
        "workflow_name": aim.name,
        "origin": Origin.LIST,
        "actor": _user(actor),
        "scheduled_by": scheduled_by,
        "depth": depth,
        "created_at": timezone.now(),
        "time_zone": zone,
    }
    return insert_scheduled_runs(common, rows, conf.get("BULK_BATCH_SIZE"))


def cancel(ids: Iterable[Any], *, queryset: models.QuerySet | None = None) -> int:
    """Cancel the runs with these ids that have not started; returns how many were cancelled.

    ``queryset`` narrows what may be cancelled (a caller's own runs).
    """
    base = queryset if queryset is not None else ScheduledRun.objects.all()
    wanted = [str(i) for i in ids]
    size = conf.get("BULK_BATCH_SIZE")
    total = 0
    for offset in range(0, len(wanted), size):
        total += cancel_matching(base.filter(pk__in=wanted[offset : offset + size]))
    return total


def cancel_matching(queryset: models.QuerySet) -> int:
    """Cancel every not-yet-started run in ``queryset`` with one UPDATE (admin filters).

    A cancelled occurrence of a recurring event skips that occurrence, not the event: its
    next one is scheduled (``stop_recurring`` ends an event), so cancelling never leaves an
    active event with nothing coming.
    """
    now = timezone.now()
    with transaction.atomic():
        occurrences = list(
            queryset.filter(status__in=CANCELLABLE, recurring__isnull=False).values_list(
                "pk", flat=True
            )
        )
        cancelled = queryset.filter(status__in=CANCELLABLE).update(
            status=Status.CANCELLED, finished_at=now, lease_expires_at=None
        )
        if occurrences:
            from .recurring import continue_after  # it schedules through this module

            for row in ScheduledRun.objects.filter(pk__in=occurrences, status=Status.CANCELLED):
                continue_after(row, now)
    return cancelled


# --- recurring events -----------------------------------------------------------------


def thing_key(thing: Any) -> tuple[str, str]:
    """The (data type, id) a recurring event is bound to; ("", "") for none."""
    if thing is None or thing == "":
        return "", ""
    if not isinstance(thing, models.Model):
        raise InvalidParameter("thing: expected a thing (a row of a data type)")
    return data_types.label_of(type(thing)), str(thing.pk)


@transaction.atomic
def start_recurring(
    workflow: Schedulable,
    frequency: Any,
    *,
    thing: Any = None,
    start: Any = None,
    end: Any = None,
    params: Mapping[str, Any] | None = None,
    actor: Any = None,
    created_by: Run | None = None,
    depth: int = 0,
    now: datetime.datetime | None = None,
    test: bool | None = None,
    time_zone: str = "",
) -> RecurringEvent:
    """Start (or restart) the recurring event of ``workflow`` for ``thing``, its times in
    ``time_zone`` (else the frequency's own, else the workflow's ``time_zone``, else the
    project's TIME_ZONE): "every day" from 09:00 stays at 09:00 there across daylight
    saving.

    As in Bubble, a thing has at most one recurring event per workflow: scheduling it again
    replaces the previous one and its upcoming run. ``test``: set up by a test of
    development (None: whether the call or run in progress is one), its occurrences run
    development; a test's event and the live one for the same thing are two events, and
    each replaces only its own (docs/versions.md).
    """
    check_depth(depth)
    test = testing() if test is None else test
    now = now or timezone.now()
    freq = _frequency(frequency, time_zone or target(workflow).compiled.time_zone)
    aim = target(workflow)
    # its start, end and dates written without a zone are read on its clock, as it runs
    with timezone.override(run_zone(freq.time_zone, aim)):
        first = _moment(start, "start") or now
        last = _moment(end, "end")
        stored = stored_params(aim, params or {}, actor=actor)
    if last is not None and last <= first:
        raise InvalidParameter("end: must be after start")
    data_type, thing_id = thing_key(thing)
    stop_recurring(aim, data_type, thing_id, test=test)
    event = RecurringEvent.objects.create(
        workflow=aim.row,
        workflow_name=aim.name,
        data_type=data_type,
        thing_id=thing_id,
        frequency=freq.as_json(),
        start=first,
        end=last,
        params=stored,
        actor=_user(actor),
        created_by=created_by,
        depth=depth,
        test=test,
    )
    schedule_next_occurrence(event, after=None, now=now)
    return event


def stop_recurring(
    workflow: Schedulable, data_type: str = "", thing_id: str = "", *, test: bool | None = None
) -> int:
    """Stop the active recurring event(s) of ``workflow`` for the thing (also one left by a
    workflow of that name deleted in development: ``named``): a test's, or the live one
    (``test``; None: as the call or run in progress is a test or not)."""
    events = RecurringEvent.objects.filter(
        named([workflow.name]),
        data_type=data_type,
        thing_id=thing_id,
        test=testing() if test is None else test,
    )
    return stop_events(events)


def stop_events(events: models.QuerySet[RecurringEvent]) -> int:
    """Deactivate the active ones of ``events`` and cancel their upcoming run; how many."""
    ids = list(events.filter(active=True).values_list("pk", flat=True))
    if not ids:
        return 0
    ScheduledRun.objects.filter(recurring_id__in=ids, status__in=CANCELLABLE).update(
        status=Status.CANCELLED, finished_at=timezone.now(), lease_expires_at=None
    )
    return RecurringEvent.objects.filter(pk__in=ids, active=True).update(active=False)


def stop_deleted_schedules(scheduled: Iterable[str]) -> int:
    """Stop the own schedules (``schedule``) of workflows deleted in development, unless
    named in ``scheduled`` (the workflows the version now live schedules)."""
    return stop_events(
        RecurringEvent.objects.filter(
            workflow__isnull=True, data_type="", thing_id="", test=False
        ).exclude(workflow_name__in=list(scheduled))
    )


def schedule_next_occurrence(
    event: RecurringEvent, *, after: datetime.datetime | None, now: datetime.datetime | None = None
) -> ScheduledRun | None:
    """Schedule the event's next run: the first point of its grid after ``after`` and now.

    Occurrences missed while nothing ran are skipped rather than run in a burst; past the
    event's end, the event ends instead. The first occurrence (``after`` None) is the first
    point of the grid no earlier than ``FIRST_RUN_GRACE`` ago: a start of "now" runs at
    once, a start long past (a birthday in 1990, every year) waits for its next turn.
    """
    now = now or timezone.now()
    freq = _frequency(event.frequency)
    if after is None:  # the first: the first point of the grid from a minute ago on
        due = freq.first_at_or_after(event.start, now - FIRST_RUN_GRACE)
    else:
        due = freq.first_after(event.start, max(after, now))
    if event.end is not None and due > event.end:
        RecurringEvent.objects.filter(pk=event.pk).update(active=False)
        return None
    return ScheduledRun.objects.create(
        workflow_id=event.workflow_id,
        workflow_name=event.workflow_name,
        params=event.params,
        due_at=due,
        origin=Origin.RECURRING,
        actor_id=event.actor_id,
        scheduled_by=event.created_by,
        recurring=event,
        depth=event.depth,
        test=event.test,
        # an event on a zone's clock runs there: "every day at 09:00 Paris" reads Paris
        time_zone=freq.time_zone,
    )


def sync_workflow_schedule(
    workflow: Workflow, definition: Mapping[str, Any] | None = None
) -> RecurringEvent | None:
    """Make the workflow's own recurring event match its ``schedule`` key (or end it): the
    row's, or that of ``definition`` (the live version's, docs/versions.md)."""
    schedule = workflow.schedule if definition is None else definition.get("schedule")
    kind = workflow.kind if definition is None else (definition.get("kind") or "api")
    current = RecurringEvent.objects.filter(
        named([workflow.name]), data_type="", thing_id="", active=True, test=False
    ).first()
    if not schedule or kind not in SCHEDULABLE_KINDS:
        if current is not None:
            stop_recurring(workflow, test=False)
        return None
    freq = _frequency(schedule)
    start = _moment(schedule.get("start"), "start")
    end = _moment(schedule.get("end"), "end")
    params = schedule.get("params") or {}
    if (
        current is not None
        and current.frequency == freq.as_json()
        and (start is None or current.start == start)
        and current.end == end
        and _same_params(current.params, params)
    ):
        return current
    return start_recurring(
        workflow, freq, start=start or timezone.now(), end=end, params=params, test=False
    )


def _same_params(stored: Any, params: Mapping[str, Any]) -> bool:
    """Whether an event's stored parameters are ``params`` (one sealed with a key no longer
    configured is not: the event is started again with them)."""
    try:
        return unseal(stored) == to_stored(params)
    except WorkflowError:
        return False


def _frequency(value: Any, time_zone: str = "") -> Frequency:
    try:
        return parse_frequency(value, time_zone=time_zone)
    except ValueError as exc:
        raise InvalidParameter(f"frequency: {exc}") from None


def _moment(value: Any, name: str) -> datetime.datetime | None:
    from .frequency import parse_moment

    try:  # a date from an expression too: refused out of range (data_types.check_date)
        return parse_moment(value, name)
    except ValueError as exc:
        raise InvalidParameter(str(exc), parameter=name) from None


def _user(actor: Any) -> Any:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor
