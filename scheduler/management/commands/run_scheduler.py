"""``python manage.py run_scheduler``: the whole execution side on one machine.

Starts a django-q2 cluster (the workers) on this process's own queue and the scheduler's
dispatcher (due runs → the queue, lost runs → back to due). Run one per machine, as many
machines as you like: claims are atomic, so they share the work without running anything
twice, and what a dead one held is taken back at once (docs/scheduler.md, "Recovery").

SIGTERM and SIGINT stop it cleanly at any moment, start-up included: the handlers are
installed before anything starts, django-q2's own (which stop the cluster from inside the
signal handler) are replaced, and each step of the start looks whether a stop was asked
for. It prints ``scheduler starting`` once the handlers are in place and ``scheduler
ready`` once it dispatches; it exits 0 when stopped, non-zero when its cluster dies.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = "Start a django-q2 cluster and the scheduler's dispatcher (Ctrl-C stops both)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-cluster",
            action="store_true",
            help="Only the dispatcher (run `manage.py qcluster` separately for the workers).",
        )

    def handle(self, *args: Any, no_cluster: bool = False, **options: Any) -> None:
        from scheduler import dispatch, processes

        stop = threading.Event()

        def request_stop(*_: Any) -> None:
            stop.set()

        _install(request_stop)
        self._say(f"scheduler starting (pid {os.getpid()})")
        process = None if no_cluster else processes.register()
        cluster = None
        try:
            if process is not None and not stop.is_set():
                cluster = _start_cluster(process.pk, stop, request_stop)
            if not stop.is_set():
                self._say("scheduler ready: dispatcher" + ("" if no_cluster else " + cluster"))
                alive = (lambda: True) if cluster is None else cluster.sentinel.is_alive
                dispatch.run_forever(stop, process, alive)
        finally:
            if cluster is not None:
                _stop_cluster(cluster)
            if process is not None:
                # what its queue still holds (and what killed workers were running) goes
                # back at once, for the other schedulers or the next start
                dispatch.take_back([process.pk])
                processes.unregister(process)
        if not stop.is_set():
            raise CommandError("the django-q2 cluster stopped on its own; scheduler stopped")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()


def _install(handler: Callable[..., None]) -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back (delivered on leaving) while django-q2's handlers are
    installed, so that they never run."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _start_cluster(process_id: Any, stop: threading.Event, request_stop: Callable) -> Any:
    """A django-q2 cluster on this process's own queue, started unless a stop comes first.
    A signal sent to the whole process group during the start may kill the sentinel
    (django-q2 then raises): that is a stop, not a failure."""
    from django_q.cluster import Cluster

    from scheduler import queues

    connections.close_all()  # the cluster forks: children must not share sockets
    with _signals_held():
        cluster = Cluster(broker=queues.broker_for(queues.name_for(process_id)))
        _install(request_stop)  # django-q2's constructor installed its own
    try:
        cluster.start()
    except RuntimeError:
        if not stop.is_set():
            raise
    return cluster


def _stop_cluster(cluster: Any) -> None:
    """Stop the cluster gracefully (its workers finish what they took), unless its sentinel
    is gone. A signal sent to the whole process group (systemd's default ``KillMode``,
    ``kill -- -PGID``) may end the sentinel at any moment, even while it holds the lock of
    the event that asks it to stop, so asking could block forever: the request is made
    from a helper thread, and the wait ends when the sentinel has exited, however."""
    if cluster.sentinel is None or not cluster.sentinel.is_alive():
        return
    threading.Thread(target=cluster.stop, name="stop-cluster", daemon=True).start()
    wait([cluster.sentinel.sentinel])
