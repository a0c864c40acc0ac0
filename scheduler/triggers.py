"""Database trigger events: changes to things, gathered per transaction, fired on commit.

Signals on each data type (``BUBBLE_DATA_TYPES``) record, per thing and per transaction,
the row as it was before its first change and the kind of change; when the transaction
commits, one ``ScheduledRun`` per watching trigger workflow is written, due now, and runs
on a worker with ``thing`` (as it is then) and ``thing_before`` in scope. So a trigger fires
once per thing per transaction, for changes from anywhere that calls ``save()`` or
``delete()`` (workflows, the admin, the Data API, application code); a rolled-back
transaction fires nothing. Changes made while a trigger workflow runs fire nothing
(``suppressed``), as in Bubble.

Not seen, because Django sends no per-row signal for them: ``QuerySet.update()``,
``bulk_create()``, ``bulk_update()`` and raw SQL.
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from workflows import data_types
from workflows.acting import current_actor
from workflows.choices import TriggerEvent, WorkflowKind
from workflows.data_model.builder import is_built
from workflows.engine.context import current_run
from workflows.models import Workflow
from workflows.versions.serving import pinned

_local = threading.local()
#: how long a process trusts its list of trigger workflows before reading it again
WATCH_TTL = 2.0


# --- what is watched -----------------------------------------------------------------


@dataclass
class _Watch:
    loaded_at: float = 0.0
    by_key: dict[tuple[str, str], list[str]] = field(default_factory=dict)


_watch = _Watch()


def forget_watched(**_: Any) -> None:
    """Called when a workflow is saved or deleted in this process."""
    _watch.loaded_at = 0.0


def watching(label: str, event: str) -> list[str]:
    """Names of the trigger workflows watching ``event`` on data type ``label``: those of
    the deployed version serving the change (docs/versions.md), else development's."""
    deployed = pinned()
    if deployed is not None:
        return deployed.trigger_names(label, event)
    if time.monotonic() - _watch.loaded_at > WATCH_TTL:
        by_key: dict[tuple[str, str], list[str]] = {}
        rows = Workflow.objects.filter(kind=WorkflowKind.TRIGGER).values_list(
            "name", "data_type", "trigger_on"
        )
        for name, data_type, events in rows:
            for ev in events or []:
                by_key.setdefault((data_type.lower(), ev), []).append(name)
        _watch.by_key, _watch.loaded_at = by_key, time.monotonic()
    return _watch.by_key.get((label.lower(), event), [])


def _watched(model: type[models.Model]) -> bool:
    label = data_types.label_of(model)
    return any(watching(label, event) for event in TriggerEvent.values)


# --- suppressing --------------------------------------------------------------------


@contextmanager
def suppressed() -> Iterator[None]:
    """Changes made inside do not fire triggers (a trigger workflow's own changes)."""
    _local.suppressed = getattr(_local, "suppressed", 0) + 1
    try:
        yield
    finally:
        _local.suppressed -= 1


def _is_suppressed() -> bool:
    return getattr(_local, "suppressed", 0) > 0


# --- gathering changes per transaction -----------------------------------------------


@dataclass
class _Change:
    model: type[models.Model]
    pk: Any
    before: dict[str, Any] | None  # the row before the first change; None: created here
    created: bool = False
    deleted: bool = False
    actor_id: Any = None
    run_id: Any = None
    depth: int = 0


@dataclass
class _Batch:
    changes: dict[tuple[str, Any], _Change] = field(default_factory=dict)
    registered: bool = False


def _batch() -> _Batch:
    """The batch of the current transaction (a new one once the last was flushed)."""
    batch = getattr(_local, "batch", None)
    if batch is None or (batch.registered and not _pending(batch)):
        batch = _Batch()
        _local.batch = batch
    return batch


def _pending(batch: _Batch) -> bool:
    """Is the batch's on-commit flush still waiting (not run, not dropped by a rollback)?"""
    return any(getattr(func, "batch", None) is batch for _, func, *_ in connection.run_on_commit)


def _row(model: type[models.Model], pk: Any) -> dict[str, Any] | None:
    concrete = [f.attname for f in model._meta.concrete_fields]
    return model._base_manager.filter(pk=pk).values(*concrete).first()


def _note(instance: models.Model, *, before_known: bool) -> _Change | None:
    if _is_suppressed() or instance.pk is None:
        return None
    model = type(instance)
    if not _watched(model):
        return None
    batch = _batch()
    key = (data_types.label_of(model), instance.pk)
    change = batch.changes.get(key)
    if change is None:
        before = _row(model, instance.pk) if before_known else None
        ctx = current_run()
        change = _Change(
            model,
            instance.pk,
            before,
            actor_id=getattr(current_actor(), "pk", None),
            run_id=ctx.run.pk if ctx else None,
            depth=ctx.depth + 1 if ctx else 0,
        )
        batch.changes[key] = change
    return change


def _on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool, **kw: Any):
    if raw or instance._state.adding or instance.pk is None:
        return
    _note(instance, before_known=True)


def _on_post_save(sender, instance, created: bool, raw: bool, **kw: Any) -> None:
    if raw:
        return
    change = _note(instance, before_known=False)
    if change is None:
        return
    if created and change.before is None:
        change.created = True
    _register()


def _on_pre_delete(sender, instance, **kw: Any) -> None:
    _note(instance, before_known=True)


def _on_post_delete(sender, instance, **kw: Any) -> None:
    key = (data_types.label_of(type(instance)), instance.pk)
    change = getattr(_local, "batch", None) and _local.batch.changes.get(key)
    if change is None or _is_suppressed():
        return
    change.deleted = True
    _register()


def _register() -> None:
    batch = _batch()
    if batch.registered and _pending(batch):
        return
    batch.registered = True

    def flush() -> None:
        fire(batch)

    flush.batch = batch  # type: ignore[attr-defined]
    transaction.on_commit(flush)


# --- firing --------------------------------------------------------------------------


def fire(batch: _Batch) -> int:
    """Write one due-now scheduled run per (changed thing, watching workflow)."""
    from .models import Origin, ScheduledRun

    if getattr(_local, "batch", None) is batch:
        _local.batch = None
    rows = []
    now = timezone.now()
    for change in batch.changes.values():
        event, before, after = _event(change)
        if event is None:
            continue
        label = data_types.label_of(change.model)
        context = {
            "data_type": label,
            "thing": None if event == TriggerEvent.DELETE else _plain(change.pk),
            "thing_after": _snapshot(after) if after is not None else None,
            "thing_before": _snapshot(before) if before is not None else None,
        }
        for name in watching(label, event):
            rows.append(
                ScheduledRun(
                    workflow_name=name,
                    context=context,
                    due_at=now,
                    origin=Origin.TRIGGER,
                    actor_id=change.actor_id,
                    scheduled_by_id=change.run_id,
                    depth=change.depth,
                    created_at=now,
                )
            )
    if rows:
        rows = _linked(rows, deployed=pinned() is not None)
        ScheduledRun.objects.bulk_create(rows)
    return len(rows)


def _linked(rows: list[Any], *, deployed: bool) -> list[Any]:
    """``rows`` linked to development's trigger workflow of their name. A deployed
    version's trigger fires even when development deleted it (the row keeps its name, and
    runs live's when it fires); development's list may be a moment old, and a trigger
    deleted since (in another process) fires nothing rather than fail the commit."""
    pks = dict(
        Workflow.objects.filter(
            name__in={r.workflow_name for r in rows}, kind=WorkflowKind.TRIGGER
        ).values_list("name", "pk")
    )
    if not deployed:
        rows = [r for r in rows if r.workflow_name in pks]
    for row in rows:
        row.workflow_id = pks.get(row.workflow_name)
    return rows


def _event(change: _Change) -> tuple[str | None, dict | None, dict | None]:
    """The event to fire (or None), with the row before and after the transaction.

    What the transaction committed decides, not the signals alone: a save or a delete
    inside a savepoint that was rolled back (``atomic()`` within ``atomic()``) left the
    row as it was, so a creation whose row is gone fires nothing, nor does a delete whose
    row is still there (beyond what else changed)."""
    after = _row(change.model, change.pk)
    if change.created:
        if change.deleted or after is None:  # it never existed, as far as commits go
            return None, None, None
        return TriggerEvent.CREATE, None, after
    if change.deleted and after is None:
        return TriggerEvent.DELETE, change.before, None
    if change.before is None or after is None or after == change.before:
        return None, None, None  # saved without changing anything
    return TriggerEvent.UPDATE, change.before, after


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def scope_from_context(context: dict[str, Any]) -> dict[str, Any]:
    """``thing`` and ``thing_before`` for a trigger run.

    ``thing`` is the row as it is now, or — if it was deleted since — as the transaction
    left it (read-only in spirit: it is no longer in the database). ``thing_before`` is
    rebuilt from the row before the transaction.
    """
    model = data_types.get_model(context["data_type"])
    thing = None
    if context.get("thing") is not None:
        thing = model._default_manager.filter(pk=context["thing"]).first()
        if thing is None and context.get("thing_after"):
            thing = _rebuild(model, context["thing_after"])
    before = _rebuild(model, context["thing_before"]) if context.get("thing_before") else None
    return {"thing": thing, "thing_before": before}


def _rebuild(model: type[models.Model], snapshot: dict[str, Any]) -> models.Model:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    values = {
        name: fields[name].to_python(value) for name, value in snapshot.items() if name in fields
    }
    instance = model(**values)
    instance._state.adding = False
    return instance


def connect() -> None:
    """Listen to every data type's saves and deletes (called once, from AppConfig.ready)."""
    for model in data_types.allowed_models():
        uid = f"bubble-trigger-{data_types.label_of(model)}"
        pre_save.connect(_on_pre_save, sender=model, dispatch_uid=f"{uid}-pre-save")
        post_save.connect(_on_post_save, sender=model, dispatch_uid=f"{uid}-post-save")
        pre_delete.connect(_on_pre_delete, sender=model, dispatch_uid=f"{uid}-pre-delete")
        post_delete.connect(_on_post_delete, sender=model, dispatch_uid=f"{uid}-post-delete")
    # data types defined without code: their models are built at run time, after this
    for signal, handler in (
        (pre_save, _on_pre_save),
        (post_save, _on_post_save),
        (pre_delete, _on_pre_delete),
        (post_delete, _on_post_delete),
    ):
        signal.connect(
            _for_built_types(handler),
            weak=False,
            dispatch_uid=f"bubble-trigger-things-{handler.__name__}",
        )
    post_save.connect(forget_watched, sender=Workflow, dispatch_uid="bubble-trigger-watch-save")
    post_delete.connect(forget_watched, sender=Workflow, dispatch_uid="bubble-trigger-watch-del")


def _for_built_types(handler: Any) -> Any:
    """``handler`` for the saves and deletes of data types defined without code only."""

    def receive(sender: Any, **kwargs: Any) -> None:
        if is_built(sender):
            handler(sender=sender, **kwargs)

    return receive
