"""Operator-defined secrets, readable by expressions as ``secrets.NAME``.

Values are stored encrypted (``workflows.secrets``); they are never exported, never shown
in the admin after saving, and masked wherever they would appear in a run log.
"""

from __future__ import annotations

from django.db import models

from .definitions import identifier_validator


class Secret(models.Model):
    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[identifier_validator],
        help_text="Expressions read it as secrets.NAME.",
    )
    encrypted_value = models.TextField(editable=False)
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
