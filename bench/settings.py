"""The project's settings for benchmark subprocesses, with one change: django-q2 keeps every
successful task (``save_limit: 0``), so the raw ``async_task`` side can be counted. The same
settings serve both sides of the throughput comparison."""

from bubble_backend.settings import *  # noqa: F403
from bubble_backend.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "save_limit": 0}
