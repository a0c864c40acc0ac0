"""The door every read of things goes through."""

from __future__ import annotations

from typing import Any

from django.db import models


class DataAccess:
    def __init__(self, actor: Any, *, ignore_privacy: bool):
        self.actor = actor
        self.ignore_privacy = ignore_privacy

    def queryset(self, model: type[models.Model]) -> models.QuerySet:
        return model._default_manager.all()
