"""Imports started in the admin run here, in a django-q2 worker (``start``), reading the
Bubble app through the outbound-address guard unless the operator allows its host
(``BUBBLE_IMPORT_ALLOWED_HOSTS``). The token travels encrypted in the import's row and is
wiped when the import ends; an import whose worker stopped is continued from the admin."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import httpx
from django.utils import timezone
from django_q.tasks import async_task

from workflows import conf
from workflows.actions.outbound import GuardedTransport

from .lease import ImportBusy
from .models import BubbleImport
from .run import run
from .sealed import NotSealed, seal, unseal
from .source import BubbleApp

logger = logging.getLogger(__name__)

TASK = "bubble_import.tasks.run_import"
#: seconds one request of an admin's import may take, whole (a server dripping bytes
#: cannot hold a worker)
REQUEST_DEADLINE = 120.0


def guarded_app(address: str, token: str, *, version_test: bool) -> BubbleApp:
    """The app at ``address`` as the admin may read it: through the outbound-address
    guard, each request under its own deadline, unless the operator allows its host
    (``BUBBLE_IMPORT_ALLOWED_HOSTS``)."""
    app = BubbleApp(address, token=token, version_test=version_test)  # checks the address
    host = (urlsplit(app.address).hostname or "").lower()
    if host in {h.lower() for h in conf.get("IMPORT_ALLOWED_HOSTS")}:
        return app
    app.close()
    return BubbleApp(
        address,
        token=token,
        version_test=version_test,
        trusted=False,
        client_factory=_guarded_client,
    )


def _guarded_client() -> httpx.Client:
    return httpx.Client(
        timeout=30.0,
        follow_redirects=False,
        transport=GuardedTransport(time.monotonic() + REQUEST_DEADLINE),
    )


def start(bubble_import: BubbleImport, token: str) -> None:
    """Keep the token (encrypted) and hand the import to a worker."""
    bubble_import.token = seal(token, bubble_import.app)
    bubble_import.error = ""
    bubble_import.queued_at = timezone.now()
    bubble_import.save(update_fields=["token", "error", "queued_at"])
    async_task(TASK, bubble_import.pk, task_name=f"bubble-import-{bubble_import.pk}")


def run_import(pk: int) -> None:
    bubble_import = BubbleImport.objects.filter(pk=pk).first()
    if bubble_import is None or bubble_import.status != BubbleImport.Status.RUNNING:
        return
    options = bubble_import.options
    try:
        token = unseal(bubble_import.token, bubble_import.app)
    except NotSealed as exc:
        again = "start it again with its token (Add, the same address): it continues"
        BubbleImport.objects.filter(pk=pk).update(error=f"{exc}; {again}")
        return
    app = guarded_app(options["address"], token, version_test=options["version_test"])
    try:
        run(app, bubble_import)
    except ImportBusy:
        logger.info("import %s: another process is carrying it out; this task stops", pk)
    finally:
        app.close()
        ended = BubbleImport.objects.filter(pk=pk).exclude(status=BubbleImport.Status.RUNNING)
        ended.update(token="")
