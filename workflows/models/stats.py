"""Run statistics: finished runs counted per hour, so the dashboard and ``/metrics`` never
read the whole run log.

A run is counted once, in the hour it finished (``Run.finished_at``), by the rollup
(``workflows/stats/rollup.py``), which closes finished hours into ``RunStatsHour`` and adds
them to ``RunStatsTotal`` in one transaction with ``RunStatsWatermark``. Runs that finished
since the watermark are counted live from ``Run``. Pruning the run log never changes these
rows (docs/operations.md#run-statistics).
"""

from __future__ import annotations

from django.db import models

#: the duration buckets, Prometheus' style: (field, upper bound in seconds); each field
#: counts the runs that took at most its bound (cumulative), ``timed`` is the "+Inf" one
BUCKETS: tuple[tuple[str, float], ...] = (
    ("le_5ms", 0.005),
    ("le_10ms", 0.01),
    ("le_25ms", 0.025),
    ("le_50ms", 0.05),
    ("le_100ms", 0.1),
    ("le_250ms", 0.25),
    ("le_500ms", 0.5),
    ("le_1s", 1.0),
    ("le_2_5s", 2.5),
    ("le_5s", 5.0),
    ("le_10s", 10.0),
    ("le_30s", 30.0),
    ("le_1min", 60.0),
    ("le_5min", 300.0),
    ("le_15min", 900.0),
    ("le_1h", 3600.0),
)

#: the fields summed when counts are added together
COUNT_FIELDS: tuple[str, ...] = ("count", "timed", "duration_ms_sum", *(n for n, _ in BUCKETS))


class RunCounts(models.Model):
    """How many runs, how many of them with a known duration, their durations' sum and
    their durations by bucket (see ``BUCKETS``)."""

    count = models.PositiveBigIntegerField(default=0)
    #: runs with a duration (a run its worker lost has none): the histogram's count
    timed = models.PositiveBigIntegerField(default=0)
    duration_ms_sum = models.FloatField(default=0)
    le_5ms = models.PositiveBigIntegerField(default=0)
    le_10ms = models.PositiveBigIntegerField(default=0)
    le_25ms = models.PositiveBigIntegerField(default=0)
    le_50ms = models.PositiveBigIntegerField(default=0)
    le_100ms = models.PositiveBigIntegerField(default=0)
    le_250ms = models.PositiveBigIntegerField(default=0)
    le_500ms = models.PositiveBigIntegerField(default=0)
    le_1s = models.PositiveBigIntegerField(default=0)
    le_2_5s = models.PositiveBigIntegerField(default=0)
    le_5s = models.PositiveBigIntegerField(default=0)
    le_10s = models.PositiveBigIntegerField(default=0)
    le_30s = models.PositiveBigIntegerField(default=0)
    le_1min = models.PositiveBigIntegerField(default=0)
    le_5min = models.PositiveBigIntegerField(default=0)
    le_15min = models.PositiveBigIntegerField(default=0)
    le_1h = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class RunStatsHour(RunCounts):
    """The runs of one workflow, source and status that finished in one closed hour."""

    #: the hour's start, in UTC
    hour = models.DateTimeField()
    workflow_name = models.CharField(max_length=100)
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    #: for failed runs: the last one of the hour and its error, for the dashboard
    last_run_id = models.UUIDField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=50, blank=True)
    last_error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["hour"]
        constraints = [
            # also the index of every read: a range of hours
            models.UniqueConstraint(
                fields=["hour", "workflow_name", "source", "status"], name="run_stats_hour_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.workflow_name} {self.source} {self.status}"


class RunStatsTotal(RunCounts):
    """Every closed hour's runs of one workflow, source and status added up: the counters
    of ``/metrics``, read without summing the hours."""

    workflow_name = models.CharField(max_length=100)
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=20)

    class Meta:
        ordering = ["workflow_name", "source", "status"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow_name", "source", "status"], name="run_stats_total_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow_name} {self.source} {self.status}: {self.count}"


class RunStatsWatermark(models.Model):
    """One row: runs that finished before ``closed_until`` are counted in the hours and
    totals; those since are counted live from the run log. Moved only by a guarded UPDATE
    (``WHERE closed_until = <what was read>``) in the transaction that writes the hours."""

    #: always 1
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    closed_until = models.DateTimeField()
    #: when the rollup last moved it
    moved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"run statistics closed until {self.closed_until:%Y-%m-%d %H:%M}"
