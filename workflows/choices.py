"""Enumerations shared by models, engine, API and admin."""

from django.db import models


class WorkflowKind(models.TextChoices):
    API = "api", "API workflow"
    CUSTOM_EVENT = "custom_event", "Custom event"
    TRIGGER = "trigger", "Database trigger"


class AuthMode(models.TextChoices):
    NONE = "none", "None required (anyone may run it)"
    USER = "user", "User & admin (any valid API key)"
    ADMIN = "admin", "Admin only (a staff user's API key)"


class Commit(models.TextChoices):
    """When a run's database changes are saved (docs/actions.md#when-changes-are-saved)."""

    TOGETHER = "together", "Together at the end, or not at all (one transaction)"
    EACH_STEP = "each_step", "After each step, as Bubble does (a failing step keeps earlier ones)"


class ConditionNotMet(models.IntegerChoices):
    ERROR_400 = 400, "Answer 400 CONDITION_NOT_MET"
    OK_200 = 200, "Answer 200 (return a 200 if the condition is not met)"


class TriggerEvent(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Modified"
    DELETE = "delete", "Deleted"


class ParameterType(models.TextChoices):
    TEXT = "text", "text"
    NUMBER = "number", "number"
    YES_NO = "yes_no", "yes / no"
    DATE = "date", "date"
    THING = "thing", "thing (a data type)"
    FILE = "file", "file"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CONDITION_NOT_MET = "condition_not_met", "Condition not met"


class StepStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (only when was false)"
    NOT_RUN = "not_run", "Not run (an earlier step ended the run)"


class RunSource(models.TextChoices):
    API = "api", "Workflow API"
    ADMIN = "admin", "Admin: run now"
    CUSTOM_EVENT = "custom_event", "Custom event"
    SCHEDULED = "scheduled", "Scheduled"
    #: one of the runs a schedule_workflow_on_list step scheduled, one per item
    ON_A_LIST = "list", "Scheduled on a list"
    RECURRING = "recurring", "Recurring"
    TRIGGER = "trigger", "Database trigger"
    CLI = "cli", "Command line / code"
