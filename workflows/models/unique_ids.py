"""Bubble unique ids of user accounts: users brought over from a Bubble app keep the id
their callers stored (``1503408875694x944431186090727200``), beside their numeric one."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserUniqueId(models.Model):
    """A user account's Bubble unique id. Data types carry theirs in their own
    ``unique_id`` column (``workflows.bubble_fields.BubbleThing``); Django's user model has
    none, so this row holds it: the Data API, workflow parameters and links find the user
    by it (``workflows.thing_ids``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="bubble_unique_id",
    )
    unique_id = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "user's Bubble unique id"

    def __str__(self) -> str:
        return self.unique_id
