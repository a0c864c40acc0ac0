"""Workflow definitions: a workflow, its typed parameters and its ordered actions.

Definitions are plain rows; their meaning (validation, compilation) lives in
``workflows.definitions`` and ``workflows.engine``. ``Workflow.revision`` increases on every
change to a workflow or its parameters and actions, so caches of compiled workflows (and
of the OpenAPI schema) key on ``(pk, revision)`` and never serve a stale definition.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F
from django.utils import timezone

from ..choices import AuthMode, Commit, ConditionNotMet, ParameterType, WorkflowKind
from .fields import OrderedJSONField

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
identifier_validator = RegexValidator(
    IDENTIFIER, "Use letters, digits and underscores, not starting with a digit."
)
workflow_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    "Use letters, digits, '-' and '_' (URL-safe), starting with a letter or digit.",
)


class Workflow(models.Model):
    """A backend workflow: an API workflow, a custom event or a database trigger."""

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[workflow_name_validator],
        help_text="URL-safe name; an exposed API workflow answers at /api/1.1/wf/<name>.",
    )
    kind = models.CharField(max_length=20, choices=WorkflowKind.choices, default=WorkflowKind.API)
    folder = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="Groups workflows in the admin and the editor, as Bubble's folders of "
        "backend workflows do.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="The IANA time zone its dates are shown and read in (Europe/Paris); "
        "empty: the project's TIME_ZONE.",
    )
    description = models.TextField(blank=True)
    expose = models.BooleanField(
        "expose as a public API workflow",
        default=False,
        help_text="Only exposed API workflows can be called over REST.",
    )
    auth = models.CharField(
        "authentication",
        max_length=10,
        choices=AuthMode.choices,
        default=AuthMode.USER,
        help_text="Who may call it over REST.",
    )
    ignore_privacy = models.BooleanField(
        "ignore privacy rules", default=False, help_text="Run with access to all data."
    )
    only_when = models.TextField(
        blank=True,
        help_text="Run only when this expression is true, e.g. <code>params.order.total &gt; 0"
        "</code>. Otherwise no action runs and the caller gets CONDITION_NOT_MET.",
    )
    condition_not_met = models.PositiveSmallIntegerField(
        "when the condition is not met",
        choices=ConditionNotMet.choices,
        default=ConditionNotMet.ERROR_400,
    )
    commit = models.CharField(
        "save changes",
        max_length=10,
        choices=Commit.choices,
        default=Commit.TOGETHER,
        help_text="Together: a failing step undoes every change of the run. After each step: "
        "a step calling another server (http_request) holds no database lock, but a failing "
        "step keeps what the steps before it changed.",
    )
    timeout = models.PositiveIntegerField(
        "timeout (seconds)",
        default=300,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="A run still going after this long fails with TIMEOUT (Bubble's limit: 300).",
    )
    # Scheduled runs of this workflow (scheduler): retries, backoff and lateness tolerance.
    retries = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(10)],
        help_text="Scheduled runs that fail are tried again this many times (0 to 10).",
    )
    retry_delay = models.PositiveIntegerField(
        "retry delay (seconds)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(86400)],
        help_text="Wait before the first retry; doubled before each further retry.",
    )
    missed_after = models.PositiveIntegerField(
        "missed after (seconds)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="A scheduled run found this late (the scheduler was down) is marked missed "
        "instead of run. Empty: late runs always run.",
    )
    # n8n's error workflow: an API workflow run (by the scheduler) when a run of this one
    # fails for good; by name, as definition files name workflows (workflows/failures.py)
    error_workflow = models.CharField(
        max_length=100,
        blank=True,
        help_text="An API workflow run when a run of this one fails for good (after its "
        "retries), given run_id, workflow, error_code, error_message and step.",
    )
    # Database triggers (kind=trigger): the data type watched and the changes that fire.
    data_type = models.CharField(
        max_length=100, blank=True, help_text="Triggers: the data type watched (app.Model)."
    )
    trigger_on = models.JSONField(
        "fires on",
        default=list,
        blank=True,
        help_text='Triggers: a list of "create", "update", "delete".',
    )
    # Recurring schedule: {"cron": "0 3 * * *"} or {"every": "1 day", "start": ISO8601}.
    schedule = models.JSONField(null=True, blank=True)
    # A signed-request requirement (webhooks): {"secret": NAME, "scheme": "stripe", ...};
    # see workflows.webhooks. The secret itself is an operator secret, never stored here.
    webhook = models.JSONField("webhook signature", null=True, blank=True)
    include_headers = models.BooleanField(
        "include headers in request data",
        default=False,
        help_text="API workflows: expressions read the request's headers as request.headers "
        "(credentials and cookies left out).",
    )
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("run_workflow", "Can run workflows from the admin")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            self.revision = F("revision") + 1
        super().save(*args, **kwargs)
        if self.pk is not None:
            self.refresh_from_db(fields=["revision"])

    def bump_revision(self) -> None:
        """Mark the definition changed so compiled copies (and schemas) are rebuilt."""
        Workflow.objects.filter(pk=self.pk).update(
            revision=F("revision") + 1, updated_at=timezone.now()
        )
        self.refresh_from_db(fields=["revision", "updated_at"])


class _WorkflowPart(models.Model):
    """A parameter or action: saving or deleting one changes its workflow's revision."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=1, help_text="1 for the first.")

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self.workflow.bump_revision()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        if Workflow.objects.filter(pk=self.workflow_id).exists():
            self.workflow.bump_revision()
        return result


class Parameter(_WorkflowPart):
    """A typed input of a workflow (Bubble's "key" and "type of content")."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="parameters")
    key = models.CharField(max_length=100, validators=[identifier_validator])
    type = models.CharField(max_length=10, choices=ParameterType.choices, default="text")
    data_type = models.CharField(
        max_length=100, blank=True, help_text="For type thing: the data type (app.Model)."
    )
    is_list = models.BooleanField("is a list", default=False)
    optional = models.BooleanField(default=False)
    default = OrderedJSONField(
        null=True, blank=True, help_text="Used when the parameter is not sent (JSON)."
    )
    description = models.TextField(blank=True)
    secret = models.BooleanField(
        default=False, help_text="Mask its value in run logs, the admin and error messages."
    )
    querystring = models.BooleanField(
        default=False,
        help_text="Read from the URL's query string (?key=value) instead of the request body, "
        "as Bubble's 'Querystring' option.",
    )

    class Meta(_WorkflowPart.Meta):
        constraints = [
            models.UniqueConstraint(fields=["workflow", "key"], name="unique_parameter_key")
        ]

    def __str__(self) -> str:
        return self.key


class Action(_WorkflowPart):
    """One step of a workflow; ``config`` holds the keys of its action type."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="actions")
    step_id = models.CharField(
        "id",
        max_length=100,
        blank=True,
        validators=[identifier_validator],
        help_text="Optional; later steps read its result as steps.&lt;id&gt;.",
    )
    type = models.CharField(max_length=50)
    label = models.CharField(max_length=200, blank=True)
    only_when = models.TextField(
        blank=True, help_text="Skip this action unless the expression is true."
    )
    config = OrderedJSONField(default=dict, blank=True)

    class Meta(_WorkflowPart.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "step_id"],
                condition=~models.Q(step_id=""),
                name="unique_action_step_id",
            )
        ]

    def __str__(self) -> str:
        return self.label or self.step_id or self.type
