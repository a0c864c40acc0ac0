"""Run statistics: how many runs finished, how, and how long they took, by hour.

- ``counts.py``: what is counted of a set of runs (``Counts``), the SQL aggregates that
  count them, and the duration percentiles estimated from the buckets;
- ``rollup.py``: closing finished hours into ``RunStatsHour`` and ``RunStatsTotal``
  (a housekeeping chore of the scheduler);
- ``read.py``: closed hours plus the runs finished since, read consistently;
- ``dashboard.py`` and ``chart.py``: the dashboard on the admin's index;
- ``collector.py``: the run counters of ``/metrics`` (a prometheus_client collector).

See docs/operations.md#run-statistics.
"""
