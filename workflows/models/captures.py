""" "Detect data": one request to an API workflow's ``/initialize`` URL, captured for its
builder (docs/api.md#detect-data-initialize)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .definitions import Workflow
from .fields import OrderedJSONField


class DataCapture(models.Model):
    """A builder's "Detect data": waiting for the next call to ``/initialize`` until
    ``expires_at``, then holding what it sent (until ``expires_at`` again)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="captures")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    captured_at = models.DateTimeField(null=True, blank=True)
    #: ``{"body": {...}, "query": {...}, "headers": {...}, "files": [...]}`` as sent
    data = OrderedJSONField(null=True, blank=True)

    class Meta:
        verbose_name = "detected request"
        constraints = [
            models.UniqueConstraint(fields=["workflow"], name="one_capture_per_workflow")
        ]

    def __str__(self) -> str:
        return f"detect data for {self.workflow_id}"
