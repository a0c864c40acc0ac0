"""Privacy rules: per data type, who may find which things and see which of their fields.

A rule's ``condition`` is an expression over ``thing`` and ``current_user``; it is
translated into a database filter (``workflows.privacy``), so enforcing rules never loads
rows to test them in Python. A user gets the union of what every rule whose condition
holds grants; the "everyone else" rule (one per data type) grants what is left to
everybody, anonymous callers included. Without it, nothing more is granted.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class PrivacyRule(models.Model):
    data_type = models.CharField(
        max_length=100, help_text="The data type the rule protects (app_label.ModelName)."
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        help_text='A name for the rule, e.g. "owner-sees-own". Not needed for everyone else.',
    )
    position = models.PositiveIntegerField(default=0)
    everyone_else = models.BooleanField(
        "everyone else (default permissions)",
        default=False,
        help_text="The fallback: what every user (and anonymous callers) may do. "
        "Without one, nobody is granted anything beyond the other rules.",
    )
    condition = models.TextField(
        "when",
        blank=True,
        help_text="An expression over <code>thing</code> and <code>current_user</code>, e.g. "
        "<code>thing.customer.user == current_user</code>.",
    )
    view_all = models.BooleanField("view all fields", default=False)
    view_fields = models.JSONField(
        "view these fields",
        default=list,
        blank=True,
        help_text="Without “view all fields”: the fields that may be seen (the id always).",
    )
    find_in_searches = models.BooleanField(default=False)
    create_via_api = models.BooleanField("create via API", default=False)
    modify_via_api = models.BooleanField("modify via API", default=False)
    delete_via_api = models.BooleanField("delete via API", default=False)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["data_type", "everyone_else", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["data_type", "name"],
                condition=~Q(name=""),
                name="unique_privacy_rule_name",
            ),
            models.UniqueConstraint(
                fields=["data_type"],
                condition=Q(everyone_else=True),
                name="one_everyone_else_rule",
            ),
        ]
        indexes = [models.Index(fields=["data_type", "position"], name="privacy_type_pos_idx")]

    def __str__(self) -> str:
        return f"{self.data_type}: {'everyone else' if self.everyone_else else self.name}"
