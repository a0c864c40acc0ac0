"""A request a caller sent with an ``Idempotency-Key``: its answer, kept for repeats
(workflows/idempotency.py, docs/api.md#idempotent-calls)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """One caller's key: the request it first came with (its fingerprint) and, once that
    request was answered, the answer — status, headers, body — every repeat gets."""

    class State(models.TextChoices):
        RUNNING = "running", "running"
        DONE = "done", "answered"

    #: who sent it: an API key, a user token, a user, or an anonymous caller's address
    caller = models.CharField(max_length=150)
    key = models.CharField(max_length=255)
    #: SHA-256 of the method, path, query string, content type and body
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "idempotent request"
        constraints = [
            models.UniqueConstraint("caller", "key", name="one_request_per_caller_and_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_state_display()})"
