"""``python manage.py serve`` (what ``make run`` starts): gunicorn and ``run_scheduler``
together, for one machine.

The port is checked before anything starts, and the "is up" banner is printed only once
gunicorn accepts connections on it. If either child stops on its own, the other is stopped
and serve exits non-zero (a supervisor restarting on failure then restarts it); Ctrl-C or
SIGTERM stop both and exit 0.
"""

from __future__ import annotations

import errno
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

#: Seconds gunicorn has to open its port before serve gives up.
STARTUP_TIMEOUT = 60.0
#: Seconds each child has to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 15.0


class Command(BaseCommand):
    help = (
        "Start the web server (gunicorn) and the scheduler (django-q2 cluster + dispatcher) "
        "together, for one machine. "
        "Stops both when either stops or on Ctrl-C."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--port", type=int, default=None, help="Default: the PORT setting (8000)."
        )
        parser.add_argument("--host", default=None, help="Default: the HOST setting (127.0.0.1).")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="gunicorn worker processes. Default: the WEB_WORKERS setting (2).",
        )

    def handle(
        self, *args: Any, port: int | None, host: str | None, workers: int | None, **options: Any
    ) -> None:
        # One source of truth: the settings, read from the environment or .env.
        port = settings.PORT if port is None else port
        host = (settings.HOST if host is None else host).strip("[]")
        workers = settings.WEB_WORKERS if workers is None else workers
        check_port_free(host, port)

        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        web = [sys.executable, "-m", *gunicorn_command(bind, workers, settings.WEB_TIMEOUT)]
        scheduler = [sys.executable, "manage.py", "run_scheduler"]

        children: list[tuple[str, subprocess.Popen]] = []
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True
            for _name, child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            children.append(("the web server (gunicorn)", subprocess.Popen(web)))  # noqa: S603
            if not wait_until_listening(children[0][1], host, port, lambda: stopping):
                if not stopping:
                    raise CommandError(
                        f"The web server (gunicorn) did not start listening on {bind}"
                        + exit_status(children[0][1])
                        + "; see its log above.",
                        returncode=failure_code(children[0][1]),
                    )
                return
            children.append(("the scheduler (run_scheduler)", subprocess.Popen(scheduler)))  # noqa: S603
            base = f"http://{bind}"
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nbubble-backend is up:\n  admin     {base}/admin/\n"
                    f"  workflows {base}/api/1.1/wf/<name>\n"
                    f"  API docs  {base}/api/docs/\n(Ctrl-C stops the server and the cluster)\n"
                )
            )
            self.stdout.flush()
            while not stopping and all(child.poll() is None for _name, child in children):
                time.sleep(0.5)
            if not stopping:
                name, child = next((n, c) for n, c in children if c.poll() is not None)
                raise CommandError(
                    f"{name[0].upper()}{name[1:]} stopped{exit_status(child)}; "
                    "stopping everything (see its log above).",
                    returncode=failure_code(child),
                )
        finally:
            stop()
            for _name, child in children:
                try:
                    child.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


def gunicorn_command(bind: str, workers: int, timeout: int) -> list[str]:
    """The web server's command line; deploy/ starts it the same way (tests/test_deploy.py
    keeps them in step)."""
    return [
        "gunicorn",
        "bubble_backend.wsgi",
        "--bind",
        bind,
        "--workers",
        str(workers),
        # a workflow's own timeout (up to 300 s, Bubble's limit) ends it first
        "--timeout",
        str(timeout),
        "--access-logfile",
        "-",
        "--no-control-socket",  # several servers on one machine must not share one
        # its own lines as JSON too with LOG_FORMAT=json
        "--logger-class",
        "bubble_backend.ops.gunicorn.Logger",
    ]


def check_port_free(host: str, port: int) -> None:
    """Bind ``host:port`` the way gunicorn will (``SO_REUSEADDR``) and let go at once: a
    CommandError naming the port, and how to choose another, if that fails."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise CommandError(f"Cannot listen on host {host!r}: {error}.") from error
    family, type_, proto, _canonname, address = infos[0]
    with socket.socket(family, type_, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            raise CommandError(port_error(host, port, error)) from error


def port_error(host: str, port: int, error: OSError) -> str:
    another = "choose another port with PORT=9000 make run (or manage.py serve --port 9000)"
    if error.errno == errno.EADDRINUSE:
        return (
            f"Port {port} on {host} is already in use (is bubble-backend or another server "
            f"already running?). Stop that server, or {another}."
        )
    if error.errno == errno.EACCES:
        return (
            f"Not allowed to listen on port {port} on {host} (ports below 1024 need root); "
            f"{another}."
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"Cannot listen on {host}: not an address of this machine; set HOST "
            "(or manage.py serve --host), e.g. 127.0.0.1 or 0.0.0.0."
        )
    return f"Cannot listen on port {port} on {host}: {error.strerror or error}."


def wait_until_listening(
    child: subprocess.Popen, host: str, port: int, stopping: Any, timeout: float = STARTUP_TIMEOUT
) -> bool:
    """True once ``host:port`` accepts connections; False if ``child`` exits first, serve is
    asked to stop, or ``timeout`` passes."""
    # A wildcard address is reached through loopback.
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    deadline = time.monotonic() + timeout
    while child.poll() is None and not stopping() and time.monotonic() < deadline:
        try:
            with socket.create_connection((target, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def exit_status(child: subprocess.Popen) -> str:
    code = child.poll()
    if code is None:
        return ""
    if code < 0:
        try:
            return f" (killed by {signal.Signals(-code).name})"
        except ValueError:
            return f" (killed by signal {-code})"
    return f" (exit code {code})"


def failure_code(child: subprocess.Popen) -> int:
    """serve's exit code for a child that stopped on its own: the child's, else 1 (an
    unexpected stop is a failure even with code 0, or when killed by a signal)."""
    code = child.poll()
    return code if code is not None and code > 0 else 1
