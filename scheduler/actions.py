"""The scheduler's actions, registered into the workflows action registry.

``schedule_workflow``, ``schedule_workflow_on_list``, ``cancel_scheduled``,
``cancel_scheduled_list``, ``schedule_recurring`` and ``cancel_recurring``: each writes in
the calling run's transaction, so a run that fails later leaves nothing scheduled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import models

from workflows.actions.flow import check_target_params
from workflows.actions.registry import ActionType, ConfigError, ConfigField, FieldKind, register
from workflows.choices import WorkflowKind
from workflows.engine import kinds
from workflows.engine.functions import is_time_zone, not_a_time_zone
from workflows.engine.kinds import Kind
from workflows.engine.values import PerItem
from workflows.engine.values_types import Namespace, ThingList
from workflows.exceptions import InvalidParameter

from . import services
from .frequency import parse_frequency
from .models import RecurringEvent, ScheduledRun

_ITEM_NAMES = frozenset({"item", "index"})
#: what ``steps.<id>`` is after scheduling a run (``scheduled_value``)
SCHEDULED_RUN_KIND = Kind.object(
    {
        "id": replace(kinds.TEXT, format="uuid"),
        "due_at": kinds.DATE,
        "status": kinds.TEXT,
        "workflow": kinds.TEXT,
    }
)
#: ... after setting up a recurring event (``recurring_value``)
RECURRING_EVENT_KIND = Kind.object(
    {
        "id": kinds.WHOLE_NUMBER,
        "workflow": kinds.TEXT,
        "frequency": kinds.TEXT,
        "start": kinds.DATE.maybe_empty(),
        "end": kinds.DATE.maybe_empty(),
        "next_run": replace(kinds.TEXT, format="uuid", nullable=True),
        "next_due_at": kinds.DATE.maybe_empty(),
    }
)


def _check_schedulable(config: dict[str, Any], ctx: Any, *, params_key: str = "params") -> None:
    target = ctx.workflow_info(config["workflow"])
    if target.kind not in WorkflowKind.values:
        return  # an unknown kind is reported where that workflow is defined
    if target.kind != WorkflowKind.API:
        kind = WorkflowKind(target.kind).label.lower()
        raise ConfigError(
            "workflow", f"{target.name!r} is a {kind}; only API workflows can be scheduled"
        )
    params = config.get(params_key) or {}
    if not isinstance(params, Mapping):
        raise ConfigError(params_key, "must be a mapping of parameter names to values")
    check_target_params(target, params, params_key)
    zone = config.get("time_zone")
    if zone is not None and not isinstance(zone, str):
        raise ConfigError("time_zone", "must be text: an IANA time zone name (Europe/Paris)")
    if zone and "{{" not in zone and not is_time_zone(zone):
        raise ConfigError("time_zone", not_a_time_zone(zone))


def _time_zone_field(help_text: str) -> ConfigField:
    return ConfigField(
        "time_zone", FieldKind.TEXT, required=False, help_text=help_text, example="Europe/Paris"
    )


#: a run's own zone (schedule_workflow, schedule_workflow_on_list)
_RUN_TIME_ZONE_HELP = (
    "The IANA time zone it runs in (Europe/Paris): its dates are shown and read there and "
    "its days counted there; 'at' written without a zone is read there too. Empty: the "
    "workflow's."
)


def scheduled_value(row: ScheduledRun) -> Namespace:
    """What ``steps.<id>`` holds for a scheduled run: ``.id``, ``.due_at``, ``.status``."""
    return Namespace(
        {
            "id": str(row.pk),
            "due_at": row.due_at,
            "status": row.status,
            "workflow": row.current_workflow_name,
        },
        "field of the scheduled run",
    )


@register
class ScheduleWorkflow(ActionType):
    name = "schedule_workflow"
    summary_template = "Schedule {workflow} at {at}: {params}"
    label = "Schedule an API workflow"
    family = "scheduler"
    description = (
        "Schedules an API workflow to run later (a time in the past runs at once), as the "
        "current user. Later steps get the scheduled run: .id, .due_at, .status."
    )
    example = """- id: review
  type: schedule_workflow
  workflow: send-review-request
  at: "{{ now + days(7) }}"
  params: {order: "{{ params.order }}"}"""
    fields = (
        ConfigField(
            "workflow", FieldKind.WORKFLOW, workflow_kind="api", help_text="An API workflow."
        ),
        ConfigField(
            "at",
            expects="date",
            required=False,
            help_text=(
                "When: a date, or text as a date parameter takes it (ISO 8601, epoch "
                "milliseconds, 'Jan 13, 2016 10:30 am'...). Empty: now."
            ),
            example="{{ now + days(7) }}",
        ),
        ConfigField(
            "params",
            FieldKind.MAPPING,
            required=False,
            keys_of="params_of:workflow",
            help_text="Its parameters.",
        ),
        ConfigField(
            "ignore_privacy",
            expects="yes_no",
            required=False,
            default=False,
            help_text="true: run it ignoring privacy rules, whatever its own setting.",
        ),
        _time_zone_field(_RUN_TIME_ZONE_HELP),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_schedulable(config, ctx)
        if not isinstance(config.get("ignore_privacy", False), bool):
            raise ConfigError("ignore_privacy", "must be true or false")

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return SCHEDULED_RUN_KIND

    def execute(self, inputs: dict[str, Any], run: Any) -> Namespace:
        workflow = services.schedulable_workflow(inputs["workflow"])
        row = services.schedule(
            workflow,
            inputs.get("params") or {},
            inputs.get("at"),
            actor=run.actor,
            scheduled_by=run.run,
            depth=run.depth + 1,
            ignore_privacy=bool(inputs.get("ignore_privacy")),
            time_zone=inputs.get("time_zone") or "",
        )
        return scheduled_value(row)


@register
class ScheduleWorkflowOnList(ActionType):
    name = "schedule_workflow_on_list"
    summary_template = "Schedule {workflow} on the list {list}"
    label = "Schedule an API workflow on a list of things"
    family = "scheduler"
    description = (
        "Schedules one run per item of a list, the N-th at start + N × interval. Its "
        "parameters may use item (the item) and index (its position, from 0). Later steps "
        "get {count, ids}."
    )
    example = """- id: batch
  type: schedule_workflow_on_list
  list: "{{ search('examples.Customer', is_active=true) }}"
  workflow: send-newsletter
  params: {customer: "{{ item }}"}
  interval: 5"""
    fields = (
        ConfigField(
            "list",
            expects="list",
            help_text="A list of things (or of values).",
            example="{{ search(...) }}",
        ),
        ConfigField(
            "workflow", FieldKind.WORKFLOW, workflow_kind="api", help_text="An API workflow."
        ),
        ConfigField(
            "params",
            FieldKind.MAPPING,
            required=False,
            help_text="Its parameters; item and index are the current item and its position.",
            extra_names=_ITEM_NAMES,
            per_item=True,
            keys_of="params_of:workflow",
        ),
        ConfigField(
            "at", required=False, expects="date", help_text="When the first runs. Empty: now."
        ),
        ConfigField(
            "interval",
            FieldKind.NUMBER,
            required=False,
            default=0,
            help_text="Seconds between one item's run and the next (0: all at once).",
        ),
        _time_zone_field(_RUN_TIME_ZONE_HELP),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_schedulable(config, ctx)

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return Kind.object({"count": kinds.WHOLE_NUMBER, "ids": Kind.list_of(kinds.TEXT)})

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        workflow = services.schedulable_workflow(inputs["workflow"])
        items = inputs.get("list")
        if isinstance(items, ThingList):
            items = list(items)
        if items is None:
            items = []
        if not isinstance(items, list | tuple):
            raise InvalidParameter(f"list: expected a list, got {type(items).__name__}")
        params = inputs.get("params")

        def params_for(item: Any, index: int) -> Mapping[str, Any]:
            if isinstance(params, PerItem):
                return params.resolve(item=item, index=index)
            return {}

        ids = services.schedule_on_list(
            workflow,
            items,
            params_for,
            at=inputs.get("at"),
            interval=inputs.get("interval") or 0,
            actor=run.actor,
            scheduled_by=run.run,
            depth=run.depth + 1,
            time_zone=inputs.get("time_zone") or "",
        )
        return {"count": len(ids), "ids": ids}


def _ids(value: Any, key: str) -> list[str]:
    """Scheduled-run ids from ids, scheduled runs, or {count, ids} of an on-a-list step."""
    if value is None:
        return []
    if isinstance(value, Mapping | Namespace) and "ids" in value:
        value = value["ids"]
    if not isinstance(value, list | tuple):
        value = [value]
    ids = []
    for item in value:
        if isinstance(item, Namespace | Mapping) and "id" in item:
            item = item["id"]
        if isinstance(item, ScheduledRun):
            item = item.pk
        if not isinstance(item, str) or not item:
            raise InvalidParameter(f"{key}: expected scheduled run ids, got {item!r}")
        ids.append(item)
    return ids


def _valid_uuids(ids: list[str]) -> list[str]:
    import uuid

    valid = []
    for i in ids:
        try:
            valid.append(str(uuid.UUID(i)))
        except ValueError:
            continue  # not an id of ours: nothing to cancel
    return valid


@register
class CancelScheduled(ActionType):
    name = "cancel_scheduled"
    summary_template = "Cancel the scheduled run {run}"
    label = "Cancel a scheduled API workflow"
    family = "scheduler"
    description = (
        "Cancels a scheduled run that has not started; later steps get the number cancelled "
        "(0 if it had already run or was cancelled)."
    )
    example = """- type: cancel_scheduled
  run: "{{ params.code.scheduled_delete }}\""""
    fields = (ConfigField("run", help_text="The scheduled run's id (or steps.<id>)."),)

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.WHOLE_NUMBER

    def execute(self, inputs: dict[str, Any], run: Any) -> int:
        return services.cancel(_valid_uuids(_ids(inputs["run"], "run")))


@register
class CancelScheduledList(ActionType):
    name = "cancel_scheduled_list"
    summary_template = "Cancel the scheduled runs {runs}"
    label = "Cancel a list of scheduled API workflows"
    family = "scheduler"
    description = "Cancels every scheduled run listed that has not started; the number cancelled."
    example = """- type: cancel_scheduled_list
  runs: "{{ steps.batch.ids }}\""""
    fields = (ConfigField("runs", help_text="Ids of scheduled runs (or an on-a-list step)."),)

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.WHOLE_NUMBER

    def execute(self, inputs: dict[str, Any], run: Any) -> int:
        return services.cancel(_valid_uuids(_ids(inputs["runs"], "runs")))


def _thing(value: Any) -> models.Model:
    if not isinstance(value, models.Model):
        raise InvalidParameter(f"thing: expected a thing, got {type(value).__name__}")
    return value


@register
class ScheduleRecurring(ActionType):
    name = "schedule_recurring"
    summary_template = "Run {workflow} {frequency} for {thing}"
    label = "Schedule a recurring event"
    family = "scheduler"
    description = (
        "Runs an API workflow again and again for a thing: daily, weekly, monthly, quarterly, "
        "yearly, every N minutes/hours/days/weeks/months/quarters/years, or a cron "
        "expression, from start (default now) until end. "
        "A thing has one recurring event per workflow: scheduling again replaces it."
    )
    example = """- type: schedule_recurring
  workflow: daily-cleanup
  thing: "{{ current_user }}"
  frequency: every 1 day
  start: "{{ now + hours(1) }}\""""
    fields = (
        ConfigField(
            "workflow", FieldKind.WORKFLOW, workflow_kind="api", help_text="An API workflow."
        ),
        ConfigField(
            "thing",
            expects="thing",
            help_text="The thing it is bound to.",
            example="{{ current_user }}",
        ),
        ConfigField(
            "frequency",
            help_text=(
                "daily, weekly, monthly, quarterly or yearly; 'every N units' ('every 2 "
                "weeks'); or a cron expression ('0 3 * * *')."
            ),
            example="every 1 day",
        ),
        ConfigField("start", required=False, help_text="The first run. Empty: now."),
        ConfigField("end", required=False, help_text="No run after this. Empty: never ends."),
        _time_zone_field(
            "The IANA time zone its days are counted in and its runs run in (Europe/Paris): "
            "every day at 09:00 stays at 09:00 there across daylight saving. Empty: the "
            "workflow's."
        ),
        ConfigField(
            "params",
            FieldKind.MAPPING,
            required=False,
            keys_of="params_of:workflow",
            help_text="Its parameters.",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_schedulable(config, ctx)
        frequency = config.get("frequency")
        if isinstance(frequency, str) and "{{" not in frequency:
            try:
                parse_frequency(frequency)
            except ValueError as exc:
                raise ConfigError("frequency", str(exc)) from None

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return RECURRING_EVENT_KIND

    def execute(self, inputs: dict[str, Any], run: Any) -> Namespace:
        workflow = services.schedulable_workflow(inputs["workflow"])
        event = services.start_recurring(
            workflow,
            inputs["frequency"],
            thing=_thing(inputs["thing"]),
            start=inputs.get("start"),
            end=inputs.get("end"),
            params=inputs.get("params") or {},
            actor=run.actor,
            created_by=run.run,
            depth=run.depth + 1,
            time_zone=str(inputs.get("time_zone") or ""),
        )
        return recurring_value(event)


def recurring_value(event: RecurringEvent) -> Namespace:
    upcoming = event.occurrences.order_by("-due_at").first()
    return Namespace(
        {
            "id": event.pk,
            "workflow": event.current_workflow_name,
            "frequency": str(parse_frequency(event.frequency)),
            "start": event.start,
            "end": event.end,
            "next_run": str(upcoming.pk) if upcoming else None,
            "next_due_at": upcoming.due_at if upcoming else None,
        },
        "field of the recurring event",
    )


@register
class CancelRecurring(ActionType):
    name = "cancel_recurring"
    summary_template = "Stop running {workflow} for {thing}"
    label = "Cancel a recurring event"
    family = "scheduler"
    description = "Stops a thing's recurring event of a workflow; the number stopped (0 or 1)."
    example = """- type: cancel_recurring
  workflow: daily-cleanup
  thing: "{{ current_user }}\""""
    fields = (
        ConfigField("workflow", FieldKind.WORKFLOW, help_text="The recurring API workflow."),
        ConfigField("thing", expects="thing", help_text="The thing it is bound to."),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.WHOLE_NUMBER

    def execute(self, inputs: dict[str, Any], run: Any) -> int:
        workflow = services.schedulable_workflow(inputs["workflow"])
        data_type, thing_id = services.thing_key(_thing(inputs["thing"]))
        return services.stop_recurring(workflow, data_type, thing_id)
