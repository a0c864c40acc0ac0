import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Start the web server (gunicorn) and the scheduler (django-q2 cluster + dispatcher) "
        "together, for one machine. "
        "Stops both when either stops or on Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)))

    def handle(self, *args, port: int, host: str, workers: int, **options):
        manage = [sys.executable, "manage.py"]
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "bubble_backend.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--no-control-socket",  # several servers on one machine must not share one
        ]
        children = [
            subprocess.Popen(web),  # noqa: S603 - fixed argv
            subprocess.Popen([*manage, "run_scheduler"]),  # noqa: S603
        ]
        base = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nbubble-backend is up:\n  admin     {base}/admin/\n"
                f"  workflows {base}/api/1.1/wf/<name>\n"
                f"  API docs  {base}/api/docs/\n(Ctrl-C stops the server and the cluster)\n"
            )
        )

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
