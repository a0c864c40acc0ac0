"""Run history that does not grow for ever (docs/operations.md#run-history).

Finished runs started longer ago than ``RUN_RETENTION`` (failed ones: than
``FAILED_RUN_RETENTION``) are deleted with their steps, ``PRUNE_BATCH_SIZE`` runs per
transaction, ``PRUNE_PAUSE`` seconds apart, so no lock is held for long: on SQLite a batch
holds the database's write lock for its few milliseconds and the pause lets waiting
writers in; on PostgreSQL writers of other rows never wait, and concurrent pruners skip
each other's rows (``FOR UPDATE SKIP LOCKED``). Running runs are never touched. Rows that
name a deleted run keep working: Django's deletion sets their link to empty
(``on_delete=SET_NULL``: child runs' ``parent``, the scheduler's links) in the batch's
transaction, whatever app they belong to.

The scheduler prunes its finished scheduled runs the same way and calls this for runs
(``scheduler/retention.py``: its housekeeping and ``manage.py prune_runs``).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from . import conf
from .choices import RunStatus
from .durations import parse_retention
from .models import Run, StepRun

logger = logging.getLogger("workflows.retention")

#: a batch refused this many times in a row (a run got a new child meanwhile) is left for
#: the next pruning
ATTEMPTS = 3


@dataclass(frozen=True)
class Retention:
    """How long finished history is kept: None is for ever."""

    finished: datetime.timedelta | None
    failed: datetime.timedelta | None

    def cutoffs(self, now: datetime.datetime) -> Cutoffs:
        return Cutoffs(
            now - self.finished if self.finished is not None else None,
            now - self.failed if self.failed is not None else None,
        )


@dataclass(frozen=True)
class Cutoffs:
    """History older than these moments goes: ``finished`` for succeeded (and, for
    scheduled runs, cancelled and missed) rows, ``failed`` for failed ones; None: kept."""

    finished: datetime.datetime | None
    failed: datetime.datetime | None

    @property
    def keeps_everything(self) -> bool:
        return self.finished is None and self.failed is None


def retention() -> Retention:
    """``RUN_RETENTION`` and ``FAILED_RUN_RETENTION``; ``ValueError`` naming the one that is
    not a duration (``manage.py check`` reports it: workflows/checks.py)."""
    return Retention(
        parse_retention(conf.get("RUN_RETENTION"), "BUBBLE_RUN_RETENTION"),
        parse_retention(conf.get("FAILED_RUN_RETENTION"), "BUBBLE_FAILED_RUN_RETENTION"),
    )


@dataclass
class Pruned:
    """What a pruning deleted (or, dry, would delete), and how long its longest batch held
    its transaction."""

    counts: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    longest_batch_s: float = 0.0

    def add(self, label: str, count: int) -> None:
        if count:
            self.counts[label] = self.counts.get(label, 0) + count

    @property
    def runs(self) -> int:
        return self.counts.get(Run._meta.label, 0)

    @property
    def steps(self) -> int:
        return self.counts.get(StepRun._meta.label, 0)


@dataclass(frozen=True)
class Group:
    """Rows of one kind and age to prune: ``rows()`` oldest first; ``dependents(ids)``, if
    any, deletes in bulk what depends on a batch before the batch goes (label, count)."""

    name: str
    rows: Callable[[], models.QuerySet]
    dependents: Callable[[list[Any]], tuple[str, int]] | None = None


def run_groups(cutoffs: Cutoffs) -> Iterator[Group]:
    """Finished runs past their cutoff, one status at a time (each an index range of
    ``(status, started_at)``); never ``running`` ones."""
    for status, before in (
        (RunStatus.SUCCEEDED, cutoffs.finished),
        (RunStatus.CONDITION_NOT_MET, cutoffs.finished),
        (RunStatus.FAILED, cutoffs.failed),
    ):
        if before is not None:
            yield Group(
                f"{status} runs",
                lambda status=status, before=before: Run.objects.filter(
                    status=status, started_at__lt=before
                ).order_by("started_at"),
                delete_steps,
            )


def delete_steps(run_ids: list[Any]) -> tuple[str, int]:
    """The steps of runs ``run_ids``, in one statement. Django's deletion would load each
    step (inputs and outputs) first: a receiver of every model's deletes (database
    triggers, scheduler/triggers.py) turns its fast path off."""
    table = connection.ops.quote_name(StepRun._meta.db_table)
    column = connection.ops.quote_name(StepRun._meta.get_field("run").column)
    pk = Run._meta.pk
    values = [pk.get_db_prep_value(value, connection) for value in run_ids]
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", values)  # noqa: S608
        return StepRun._meta.label, cursor.rowcount


def prune_runs(cutoffs: Cutoffs, pruned: Pruned | None = None, **options) -> Pruned:
    """Delete the runs past ``cutoffs`` and their steps, in batches (``prune_groups``)."""
    return prune_groups(run_groups(cutoffs), pruned, **options)


def count_runs(cutoffs: Cutoffs, pruned: Pruned | None = None) -> Pruned:
    """What ``prune_runs`` would delete now, deleting nothing."""
    pruned = pruned or Pruned()
    for group in run_groups(cutoffs):
        pruned.add(Run._meta.label, group.rows().count())
        pruned.add(StepRun._meta.label, StepRun.objects.filter(run__in=group.rows()).count())
    return pruned


def prune_groups(
    groups: Iterable[Group],
    pruned: Pruned | None = None,
    *,
    batch_size: int | None = None,
    pause: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] = lambda: False,
) -> Pruned:
    """Delete every row of each group, ``batch_size`` per transaction, ``pause`` seconds
    between transactions, until a batch comes back short or ``stop()``."""
    pruned = pruned or Pruned()
    size = batch_size or conf.get("PRUNE_BATCH_SIZE")
    pause = conf.get("PRUNE_PAUSE") if pause is None else pause
    for group in groups:
        refused = 0
        while not stop():
            try:
                deleted = delete_batch(group, size, pruned)
            except IntegrityError:
                refused += 1  # a row gained a reference meanwhile: tried again
                if refused >= ATTEMPTS:
                    logger.warning("pruning %s: a batch was refused %d times", group.name, refused)
                    break
                continue
            except (ProtectedError, RestrictedError) as exc:
                logger.warning("pruning %s stopped: %s", group.name, exc)
                break
            refused = 0
            if deleted:
                sleep(pause)
            if deleted < size:
                break
    return pruned


def delete_batch(group: Group, size: int, pruned: Pruned) -> int:
    """One transaction: pick the ``size`` oldest rows of ``group`` (skipping rows another
    pruner holds, where the database can) and delete them with what depends on them
    (Django's deletion: links to them set empty, as their ``on_delete`` says). How many of
    the group's rows went."""
    started = time.perf_counter()
    with transaction.atomic():
        picked = group.rows()
        if connection.features.has_select_for_update_skip_locked:
            picked = picked.select_for_update(skip_locked=True)
        ids = list(picked.values_list("pk", flat=True)[:size])
        if not ids:
            return 0
        counts: dict[str, int] = {}
        if group.dependents is not None:
            label, count = group.dependents(ids)
            counts[label] = count
        model = picked.model
        _, deleted = model.objects.filter(pk__in=ids).only("pk").delete()
        for label, count in deleted.items():
            counts[label] = counts.get(label, 0) + count
    pruned.longest_batch_s = max(pruned.longest_batch_s, time.perf_counter() - started)
    pruned.batches += 1
    for label, count in counts.items():
        pruned.add(label, count)
    return counts.get(model._meta.label, 0)
