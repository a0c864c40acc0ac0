"""``python manage.py run_scheduler``: the whole execution side on one machine.

Starts a django-q2 cluster (the workers) and the scheduler's dispatcher (due runs → the
queue, lost runs → back to due). Run one per machine, as many machines as you like: claims
are atomic, so they share the work without running anything twice.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = "Start a django-q2 cluster and the scheduler's dispatcher (Ctrl-C stops both)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-cluster",
            action="store_true",
            help="Only the dispatcher (run `manage.py qcluster` separately for the workers).",
        )

    def handle(self, *args: Any, no_cluster: bool = False, **options: Any) -> None:
        from django_q.cluster import Cluster

        from scheduler.dispatch import run_forever

        stop = threading.Event()
        cluster = None
        if not no_cluster:
            connections.close_all()  # the cluster forks: children must not share sockets
            cluster = Cluster()
            cluster.start()

        def request_stop(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write("scheduler running: dispatcher" + ("" if no_cluster else " + cluster"))
        try:
            run_forever(stop)
        finally:
            if cluster is not None:
                _stop_cluster(cluster)


def _stop_cluster(cluster: Any) -> None:
    """Stop the cluster gracefully, unless a signal sent to the whole process group (systemd's
    default ``KillMode``, ``kill -- -PGID``) has already ended its sentinel: then asking it to
    stop would wait forever on an event the dead process can no longer acknowledge. Runs its
    workers held are put back by the reaper (or finish elsewhere), as after any crash."""
    cluster.sentinel.join(timeout=1)
    if cluster.sentinel.is_alive():
        cluster.stop()
