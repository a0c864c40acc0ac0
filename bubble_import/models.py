"""What an import of a Bubble app remembers: where each type's copy stands (so a killed
import continues where it stopped), the links waiting for every type to arrive, and the
report (docs/coming-from-bubble.md, "Bring your app over")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class BubbleImport(models.Model):
    """One import of a Bubble app: its plan, each type's progress, its report."""

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        FINISHED = "finished", "finished: every row arrived"
        INCOMPLETE = "incomplete", "finished: some rows did not arrive"
        FAILED = "failed", "failed"

    #: the app's Data API root (``https://myapp.example.com/version-test/api/1.1``)
    app = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: rows changed after this moment only (``--since-last``: the previous import's start)
    since = models.DateTimeField(null=True, blank=True)
    options = models.JSONField(default=dict, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    #: moved by the process carrying the import out, at each page: a second process
    #: leaves it alone while it is recent (``bubble_import.lease``)
    heartbeat = models.DateTimeField(null=True, blank=True, editable=False)
    #: when it was last handed to a worker (the admin's start or *Continue*): until a worker
    #: takes it, it is waiting, not stopped
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: the Data API token of an import started in the admin, encrypted as the project's
    #: secrets are (``workflows.secrets``), for its background task; wiped when it ends
    token = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "Bubble app import"

    def __str__(self) -> str:
        return f"Import of {self.app} ({self.get_status_display()})"


class ImportedType(models.Model):
    """One Bubble type's copy within an import: the next page to read, and counts."""

    bubble_import = models.ForeignKey(BubbleImport, on_delete=models.CASCADE, related_name="types")
    bubble_name = models.CharField(max_length=200)
    #: the data type here (``Unit``), or ``User`` for user accounts
    data_type = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    bubble_count = models.PositiveIntegerField(null=True, blank=True)
    copied = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    next_cursor = models.PositiveIntegerField(default=0)
    copied_all = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: rows here once the import ended (Bubble's count beside it, in the report)
    here = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["bubble_import", "position"]
        constraints = [
            models.UniqueConstraint(
                "bubble_import", "bubble_name", name="one_progress_per_type_and_import"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bubble_name}: {self.copied} of {self.bubble_count}"

    def rows_per_second(self, now: object = None) -> float | None:
        if self.started_at is None or self.copied == 0:
            return None
        end = self.finished_at or now or timezone.now()
        seconds = (end - self.started_at).total_seconds()  # type: ignore[operator]
        return self.copied / seconds if seconds > 0 else None


class PendingLinks(models.Model):
    """A copied row's links (things, lists of things, Created By) as Bubble's ids, kept
    until every type has arrived; then resolved into the row and deleted."""

    bubble_import = models.ForeignKey(BubbleImport, on_delete=models.CASCADE, related_name="+")
    bubble_name = models.CharField(max_length=200)
    unique_id = models.CharField(max_length=64)
    links = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "bubble_import", "bubble_name", "unique_id", name="one_pending_per_row"
            )
        ]

    def __str__(self) -> str:
        return f"links of {self.bubble_name} {self.unique_id}"
