"""``/healthz`` and ``/readyz``, for load balancers and orchestrators.

``/healthz``: the process is up and answers; nothing else is touched (no database), so a
database outage does not get every web process restarted. ``/readyz``: this process can
serve: the database answers, its migrations are all applied, and django-q2's broker
answers (the database itself with the ORM broker, the default; Redis when ``REDIS_URL`` is
set). Both answer JSON; ``/readyz`` answers 503 naming what failed::

    {"status": "unavailable", "checks": {"database": "failed: OperationalError",
     "migrations": "not checked", "broker": "failed: OperationalError"}}

The error's class only: its message may name hosts and users (the server log has it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger("bubble_backend.ops")

OK = "ok"
NOT_CHECKED = "not checked"
#: seconds a Redis broker has to answer before /readyz calls it unreachable
REDIS_TIMEOUT = 2.0

#: set once every migration was found applied: this process's code cannot gain migrations
_migrated = False


def healthz_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz_view(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ready = all(result == OK for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def readiness() -> dict[str, str]:
    """Each check's result: ``ok``, ``failed: <what>`` or ``not checked`` (it needs the
    database, which failed)."""
    checks: dict[str, str] = {"database": _outcome("database", check_database)}
    if checks["database"] == OK:
        checks["migrations"] = _outcome("migrations", check_migrations)
    else:
        checks["migrations"] = NOT_CHECKED
    checks["broker"] = _outcome("broker", check_broker)
    return checks


def _outcome(name: str, check: Callable[[], str | None]) -> str:
    try:
        problem = check()
    except Exception as error:  # noqa: BLE001 - any failure is an answer, never a 500
        logger.warning("/readyz: %s failed: %s: %s", name, type(error).__name__, error)
        return f"failed: {type(error).__name__}"
    if problem:
        logger.warning("/readyz: %s: %s", name, problem)
        return f"failed: {problem}"
    return OK


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> str | None:
    """None once every migration of the code is applied (then remembered: it stays so for
    this process); else how many are not."""
    global _migrated
    if _migrated:
        return None
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} migration(s) not applied"
    _migrated = True
    return None


def forget_migrations() -> None:
    """Check the migrations again on the next call (tests)."""
    global _migrated
    _migrated = False


def check_broker() -> None:
    """django-q2's broker answers: a read of its queue table (ORM broker), a PING (Redis)."""
    from django_q.conf import Conf

    if Conf.ORM:
        from django_q.models import OrmQ

        OrmQ.objects.using(Conf.ORM).order_by().exists()
    elif Conf.REDIS:
        _redis(_key(Conf.REDIS)).ping()


def _key(config: Any) -> Any:
    return config if isinstance(config, str) else tuple(sorted(config.items()))


@functools.lru_cache(maxsize=4)
def _redis(config: Any) -> Any:
    """A client of django-q2's Redis with timeouts (django-q2's own has none: a Redis that
    does not answer would hold the probe, and a web worker, for ever); kept per process."""
    import redis

    timeouts = {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}
    if isinstance(config, str):
        return redis.Redis.from_url(config, **timeouts)
    return redis.Redis(**{**dict(config), **timeouts})
