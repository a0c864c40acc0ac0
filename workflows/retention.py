"""Run history that does not grow for ever (docs/operations.md#run-history).

Finished runs started longer ago than ``RUN_RETENTION`` (failed ones: than
``FAILED_RUN_RETENTION``) are deleted with their steps, ``PRUNE_BATCH_SIZE`` runs per
transaction, ``PRUNE_PAUSE`` seconds apart, so no lock is held for long: on SQLite a batch
holds the database's write lock for its few milliseconds and the pause lets waiting
writers in; on PostgreSQL writers of other rows never wait, and concurrent pruners skip
each other's rows (``FOR UPDATE SKIP LOCKED``). Running runs are never touched. Rows that
name a deleted run keep working: their link is emptied as its ``on_delete=SET_NULL`` says
(child runs' ``parent``, the scheduler's links) in the batch's transaction, whatever app
they belong to (``delete_rows``).

The scheduler prunes its finished scheduled runs the same way and calls this for runs
(``scheduler/retention.py``: its housekeeping and ``manage.py prune_runs``).
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, models, transaction

from . import conf
from .choices import RunStatus
from .durations import parse_retention
from .models import Run, StepRun
from .stats.rollup import closed_until

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
    its transaction open (its locks: on SQLite, the database's write lock)."""

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
    """Rows of one kind and age to prune: ``rows()``, oldest first by field ``order``."""

    name: str
    rows: Callable[[], models.QuerySet]
    order: str


def groups_by_status(
    noun: str,
    order: str,
    cutoffs_by_status: Iterable[tuple[str, datetime.datetime | None]],
    rows: Callable[[str, datetime.datetime], models.QuerySet],
) -> Iterator[Group]:
    """One ``Group`` per status that has a cutoff (None: kept for ever): ``rows(status,
    cutoff)``, ordered by ``order``."""
    for status, before in cutoffs_by_status:
        if before is not None:
            yield Group(f"{status} {noun}", functools.partial(rows, status, before), order)


def run_groups(cutoffs: Cutoffs) -> Iterator[Group]:
    """Finished runs past their cutoff, one status at a time (each an index range of
    ``(status, started_at)``); never ``running`` ones, nor runs the run statistics have
    not counted yet (finished since their watermark: docs/operations.md#run-statistics),
    so pruning never takes a run out of the dashboard's and /metrics' figures."""
    counted = closed_until()
    return groups_by_status(
        "runs",
        "started_at",
        (
            (RunStatus.SUCCEEDED, cutoffs.finished),
            (RunStatus.CONDITION_NOT_MET, cutoffs.finished),
            (RunStatus.FAILED, cutoffs.failed),
        ),
        lambda status, before: Run.objects.filter(
            status=status, started_at__lt=before, finished_at__lt=counted
        ).order_by("started_at"),
    )


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
        reached = None  # the ``order`` of the last row deleted: the next batch starts there
        while not stop():
            try:
                deleted, reached = delete_batch(group, size, pruned, reached)
            except IntegrityError:
                refused += 1  # a row gained a reference meanwhile: tried again
                if refused >= ATTEMPTS:
                    logger.warning("pruning %s: a batch was refused %d times", group.name, refused)
                    break
                continue
            except NotPrunable as exc:
                logger.warning("pruning %s stopped: %s", group.name, exc)
                break
            refused = 0
            if deleted:
                sleep(pause)
            if deleted < size:
                break
    return pruned


def delete_batch(group: Group, size: int, pruned: Pruned, after: Any = None) -> tuple[int, Any]:
    """One transaction: pick the ``size`` oldest rows of ``group`` from ``after`` on (the
    previous batch's last: on PostgreSQL the rows deleted stay in the index until vacuumed,
    and a scan from the start would walk them all again), skipping rows another pruner
    holds where the database can, and delete them with what depends on them
    (``delete_rows``). How many of the group's rows went, and the last one's ``order``."""
    with transaction.atomic():
        # from the transaction's start (on SQLite, once it holds the write lock) to its end
        started = time.perf_counter()
        picked = group.rows()
        if after is not None:
            picked = picked.filter(**{f"{group.order}__gte": after})
        if connection.features.has_select_for_update_skip_locked:
            picked = picked.select_for_update(skip_locked=True)
        rows = list(picked.values_list("pk", group.order)[:size])
        if not rows:
            return 0, after
        counts = delete_rows(picked.model, [pk for pk, _ in rows])
    pruned.longest_batch_s = max(pruned.longest_batch_s, time.perf_counter() - started)
    pruned.batches += 1
    for label, count in counts.items():
        pruned.add(label, count)
    return counts.get(picked.model._meta.label, 0), rows[-1][1]


SET_NULL = "UPDATE {table} SET {column} = NULL WHERE {column} IN"
DELETE = "DELETE FROM {table} WHERE {column} IN"


class NotPrunable(Exception):
    """A relation to the rows whose ``on_delete`` pruning does not follow."""


def delete_rows(model: type[models.Model], pks: list[Any]) -> dict[str, int]:
    """Delete rows ``pks`` of ``model`` as Django's deletion would, following each relation
    to them by its ``on_delete`` — ``CASCADE`` deletes the rows depending on them (and
    theirs), ``SET_NULL`` empties the link, ``DO_NOTHING`` nothing — in one statement per
    relation, without loading a row. Django's own deletion loads every row and builds a
    lookup per relation in Python, about 0.3 s for 500 runs, most of a batch's lock (a
    receiver of every model's deletes, the database triggers', turns its fast path off).
    No delete signals are sent, as with ``QuerySet.update``. How many rows of each model
    went (by label). ``NotPrunable`` for any other ``on_delete``."""
    counts: dict[str, int] = {}
    if not pks:
        return counts
    for relation in _relations_to(model):
        field, related = relation.field, relation.related_model
        if relation.on_delete is models.DO_NOTHING:
            continue
        if field.target_field != model._meta.pk:
            raise NotPrunable(f"{related._meta.label}.{field.name} does not refer to the key")
        if relation.on_delete is models.SET_NULL:
            _execute(SET_NULL, related, field, model, pks)
        elif relation.on_delete is models.CASCADE:
            if any(True for _ in _relations_to(related)):
                dependents = related._base_manager.filter(**{f"{field.attname}__in": pks})
                deeper = delete_rows(related, list(dependents.values_list("pk", flat=True)))
                for label, count in deeper.items():
                    counts[label] = counts.get(label, 0) + count
            else:
                count = _execute(DELETE, related, field, model, pks)
                counts[related._meta.label] = counts.get(related._meta.label, 0) + count
        else:
            name = getattr(relation.on_delete, "__name__", str(relation.on_delete))
            raise NotPrunable(f"{related._meta.label}.{field.name} has on_delete={name}")
    count = _execute(DELETE, model, model._meta.pk, model, pks)
    counts[model._meta.label] = counts.get(model._meta.label, 0) + count
    return counts


def _relations_to(model: type[models.Model]) -> Iterator[Any]:
    """The foreign keys and one-to-ones of any model pointing at ``model`` (hidden ones
    too: ``related_name="+"``), as Django's deletion finds them."""
    return (
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_one or f.one_to_many)
    )


def _execute(
    statement: str, table_of: type[models.Model], field: Any, key_of: type[models.Model], pks
) -> int:
    """``statement`` (``{table}``, ``{column}``, ending in ``IN``) on the rows whose
    ``field`` is one of ``pks`` (keys of ``key_of``), in chunks the database takes; how many
    rows it touched."""
    quote = connection.ops.quote_name
    sql = statement.format(table=quote(table_of._meta.db_table), column=quote(field.column))
    values = [key_of._meta.pk.get_db_prep_value(pk, connection) for pk in pks]
    chunk = connection.features.max_query_params or len(values)
    touched = 0
    with connection.cursor() as cursor:
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            cursor.execute(f"{sql} ({', '.join(['%s'] * len(part))})", part)
            touched += max(cursor.rowcount, 0)
    return touched
