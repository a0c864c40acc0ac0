"""API keys: bearer keys belonging to a user, stored hashed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class ApiKey(AbstractAPIKey):
    """A bearer key belonging to a user; runs made with it run as that user.

    Hashing, prefix lookup, revocation and expiry come from djangorestframework-api-key.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Scope: what the key may do beyond "whatever its user may do". Empty = unrestricted.
    allowed_workflows = models.JSONField(
        "workflows",
        default=list,
        blank=True,
        help_text="Names of the workflows this key may run (REST and /schedule). "
        "Empty: every workflow its user may run.",
    )
    allow_data_api = models.BooleanField(
        "may use the Data API",
        default=True,
        help_text="Whether this key may read and write things through /api/1.1/obj/.",
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
