"""The project's settings for benchmark subprocesses, with bench-only changes.

* ``ROOT_URLCONF``: the project's URLs plus the endpoint benchmark's DRF baseline view.
* django-q2 keeps every successful task (``save_limit: 0``), so the raw ``async_task``
  side of the throughput comparison can be counted when it saves results.
* ``BENCH_CONN_MAX_AGE`` (endpoint): connections kept open for the whole measurement
  (the project's default, ``CONN_MAX_AGE`` = 60 s, could expire one mid-round).
* ``BENCH_Q_RECYCLE`` (steadiness): how many tasks a django-q2 worker runs before it is
  replaced (django-q2's default is 500, which would hide a slow leak).

Everything else (database options, middleware, authentication, the scheduler's settings)
is the project's own. Throttling is turned off through the environment
(``BUBBLE_THROTTLE_KEY=0``, ``BUBBLE_THROTTLE_ADDRESS=0``, see bench/common.py).
"""

import os

from bubble_backend.settings import *  # noqa: F403
from bubble_backend.settings import Q_CLUSTER

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])  # noqa: F405

Q_CLUSTER = {**Q_CLUSTER, "save_limit": 0}
if os.environ.get("BENCH_Q_RECYCLE"):
    Q_CLUSTER["recycle"] = int(os.environ["BENCH_Q_RECYCLE"])
