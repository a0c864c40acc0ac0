"""Who changed which definition, when, and what it was before and after."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .fields import OrderedJSONField


class DefinitionChange(models.Model):
    class Kind(models.TextChoices):
        WORKFLOW = "workflow", "Workflow"
        PRIVACY_RULE = "privacy_rule", "Privacy rule"
        SECRET = "secret", "Secret"
        DATA_TYPE = "data_type", "Data type"
        OPTION_SET = "option_set", "Option set"

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200, help_text="The workflow's or rule's name.")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: kept when the user is deleted
    username = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, help_text="admin, import, or code.")
    at = models.DateTimeField(default=timezone.now)
    # as written: a diff of two definitions must not show keys PostgreSQL reordered
    before = OrderedJSONField(null=True, blank=True)
    after = OrderedJSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "name", "-at"], name="change_kind_name_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.action} by {self.username or 'unknown'}"
