"""When the admins were last emailed about a workflow: one row per (kind of alert,
workflow), so a storm of failures is one email per ``BUBBLE_ALERT_PERIOD``
(``workflows/alerts.py``)."""

from __future__ import annotations

from django.db import models


class FailureAlert(models.Model):
    """The last alert of one kind sent about one workflow. Claimed with a guarded UPDATE
    (``sent_at`` older than the period) or the unique insert, so several processes failing
    at once send one email."""

    kind = models.CharField(max_length=20)
    workflow_name = models.CharField(max_length=100)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "workflow_name"], name="one_alert_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert about {self.workflow_name} at {self.sent_at:%Y-%m-%d %H:%M}"
