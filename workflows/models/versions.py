"""Deployed versions of the backend: numbered, immutable snapshots (docs/versions.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from .fields import OrderedJSONField


class VersionImmutable(Exception):
    """A deployed version is history: it is never changed nor deleted."""


class Version(models.Model):
    """One deploy: the whole backend as it was made live (a definition file's data:
    ``option_sets``, ``data_types``, ``workflows``, ``privacy_rules``), with its message,
    author and what changed against the version before it. The live version is the one
    with the highest number; a rollback deploys an earlier one's definition again as a new
    number, so history only grows."""

    number = models.PositiveIntegerField(unique=True, editable=False)
    message = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: kept when the user is deleted ("" for the command line)
    author_name = models.CharField(max_length=150, blank=True)
    deployed_at = models.DateTimeField(default=timezone.now)
    # as written (a definition file's order, a builder's keys): jsonb would sort the keys
    definition = OrderedJSONField(help_text="The whole backend, as a definition file has it.")
    #: ``[{"kind", "name", "action"}]`` against the version before (created, changed, deleted)
    changes = models.JSONField(default=list)
    #: a rollback: the number of the version deployed again
    restored_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        permissions = [("deploy_version", "Can deploy to live and deploy an earlier version")]

    def __str__(self) -> str:
        return f"version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise VersionImmutable(f"{self} is deployed: it cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise VersionImmutable(f"{self} is deployed: it cannot be deleted")
