"""Idempotent calls: a caller sends ``Idempotency-Key: <text>`` with a POST, and a repeat
of that key by the same caller within ``IDEMPOTENCY_TTL`` (24 hours) gets the first call's
answer — same status, same body — without anything running again
(docs/api.md#idempotent-calls).

The first request claims the key by inserting its row (the caller and the key are unique
together, so of two at once only one inserts); it is answered, and the answer stored, or,
if it ends in a server fault, the claim is dropped so a retry runs. A repeat that finds the
row waits for the answer while the first is still running (``IDEMPOTENCY_WAIT``), then
answers 409; the same key with another request (method, path, query, body) is refused
with 422. A claim left running by a process that died is taken over after
``STALE_RUNNING``. Rows go with the housekeeping once past the TTL.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import conf
from .exceptions import WorkflowError
from .models import IdempotentRequest

HEADER = "Idempotency-Key"
#: the longest key taken (Stripe's limit)
MAX_KEY = 255
#: a running claim older than this belongs to a process that died: it is taken over
STALE_RUNNING = timedelta(minutes=15)
#: how often a repeat looks whether the first call was answered
POLL = 0.05
#: the headers of an answer repeats get (its run, a throttled log-in's wait)
KEPT_HEADERS = ("X-Run-Id", "Retry-After", "Location")


class KeyInUse(WorkflowError):
    code = "IDEMPOTENCY_KEY_IN_USE"
    http_status = 409


class KeyReused(WorkflowError):
    code = "IDEMPOTENCY_KEY_REUSED"
    http_status = 422


class BadKey(WorkflowError):
    code = "INVALID_REQUEST"
    http_status = 400


def checked_key(value: str) -> str:
    if not value or len(value) > MAX_KEY or not value.isprintable() or not value.isascii():
        raise BadKey(f"{HEADER}: 1 to {MAX_KEY} printable ASCII characters (a UUID is a good one)")
    return value


def fingerprint(method: str, path: str, query: str, content_type: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method, path, query, content_type):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(body)
    return digest.hexdigest()


def claim(caller: str, key: str, print_: str) -> IdempotentRequest:
    """This request's row: a new claim (``state`` running: answer it, then ``settle``) or
    the first request's answer (``state`` done: repeat it). ``KeyReused`` when the key came
    with another request; ``KeyInUse`` when the first is still running after the wait."""
    waited_until = time.monotonic() + float(conf.get("IDEMPOTENCY_WAIT"))
    while True:
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(
                    caller=caller, key=key, fingerprint=print_, created_at=timezone.now()
                )
        except IntegrityError:
            pass
        row = IdempotentRequest.objects.filter(caller=caller, key=key).first()
        if row is None:  # dropped or pruned meanwhile: claim it again
            continue
        now = timezone.now()
        if row.created_at < now - ttl() or (
            row.state == IdempotentRequest.State.RUNNING and row.created_at < now - STALE_RUNNING
        ):
            IdempotentRequest.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.fingerprint != print_:
            raise KeyReused(
                f"{HEADER} {key!r} was used with another request (another method, path or "
                "body): a key goes with one request; use a new key for a new request"
            )
        if row.state == IdempotentRequest.State.DONE:
            return row
        if time.monotonic() >= waited_until:
            raise KeyInUse(
                f"the first request with {HEADER} {key!r} is still running: repeat it later "
                "for its answer"
            )
        pause()


def pause() -> None:
    """A repeat's wait before it looks again whether the first call was answered."""
    time.sleep(POLL)


def settle(row: IdempotentRequest, status: int, content_type: str, headers: dict, body: bytes):
    """Keep the answer of the claim ``row`` for repeats."""
    IdempotentRequest.objects.filter(pk=row.pk, state=IdempotentRequest.State.RUNNING).update(
        state=IdempotentRequest.State.DONE,
        status=status,
        content_type=content_type,
        headers=headers,
        body=body,
    )


def abandon(row: IdempotentRequest) -> None:
    """Drop a claim whose request was not answered (a server fault): a retry runs."""
    IdempotentRequest.objects.filter(pk=row.pk, state=IdempotentRequest.State.RUNNING).delete()


def ttl() -> timedelta:
    return timedelta(seconds=max(int(conf.get("IDEMPOTENCY_TTL") or 0), 0))


def prune(*, now: datetime | None = None) -> int:
    """Delete the keys past ``IDEMPOTENCY_TTL`` (the scheduler's housekeeping)."""
    before = (now or timezone.now()) - ttl()
    count, _ = IdempotentRequest.objects.filter(created_at__lt=before).delete()
    return count
