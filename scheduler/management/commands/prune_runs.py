"""``manage.py prune_runs [--older-than 30d] [--failed-older-than 90d] [--dry-run]``: delete
finished runs (with their steps) and finished scheduled runs now.

The scheduler does it every hour on its own with ``BUBBLE_RUN_RETENTION`` and
``BUBBLE_FAILED_RUN_RETENTION`` (scheduler/housekeeping.py); this is for a deployment
without a scheduler (cron), for another age, or to see what would go (``--dry-run``
counts and deletes nothing). Small batches, as the housekeeping's (docs/operations.md).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from scheduler.retention import count_history, describe, prune_history
from workflows.durations import FORMS, parse_duration
from workflows.durations import describe as describe_duration
from workflows.retention import Retention, retention


class Command(BaseCommand):
    help = (
        "Delete finished runs (and their steps) and finished scheduled runs older than "
        "--older-than (default: BUBBLE_RUN_RETENTION); failed ones older than "
        "--failed-older-than (default: BUBBLE_FAILED_RUN_RETENTION, never less than "
        "--older-than)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", metavar="AGE", help=f"an age: {FORMS}")
        parser.add_argument("--failed-older-than", metavar="AGE", help="an age, for failed ones")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted; delete nothing"
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        kept = self._retention(options.get("older_than"), options.get("failed_older_than"))
        if kept.finished is None and kept.failed is None:
            raise CommandError(
                "BUBBLE_RUN_RETENTION and BUBBLE_FAILED_RUN_RETENTION keep everything "
                "(forever): give --older-than"
            )
        cutoffs = kept.cutoffs(timezone.now())
        if dry_run:
            counted = count_history(cutoffs)
            self.stdout.write(f"Would delete {describe(counted)}: {_ages(kept)}. Deleted nothing.")
            return
        pruned = prune_history(cutoffs)
        self.stdout.write(
            f"Deleted {describe(pruned)}: {_ages(kept)}; {pruned.batches:,} batches, the "
            f"longest {pruned.longest_batch_s * 1000:.0f} ms."
        )

    def _retention(self, older_than: str | None, failed_older_than: str | None) -> Retention:
        try:
            settings = retention()
        except ValueError as exc:
            if older_than is None or failed_older_than is None:
                raise CommandError(str(exc)) from None
            settings = Retention(None, None)
        finished = _duration(older_than, "--older-than") if older_than else settings.finished
        if failed_older_than:
            failed = _duration(failed_older_than, "--failed-older-than")
        elif older_than and settings.failed is not None:
            failed = max(finished, settings.failed)
        else:
            failed = settings.failed
        return Retention(finished, failed)


def _duration(value: str, option: str) -> datetime.timedelta:
    try:
        return parse_duration(value, option)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _ages(kept: Retention) -> str:
    """``older than 30 days, failed ones older than 90 days``"""
    finished = f"older than {describe_duration(kept.finished)}" if kept.finished else "none"
    failed = f"older than {describe_duration(kept.failed)}" if kept.failed else "none"
    return f"finished {finished}, failed ones {failed}"
