"""The workflows app's models, one module per concept; import them from here."""

from .alerts import FailureAlert
from .audit import DefinitionChange
from .captures import DataCapture
from .data_model import DataField, DataType, Option, OptionSet, SchemaVersion
from .definitions import Action, Parameter, Workflow
from .idempotency import IdempotentRequest
from .keys import ApiKey
from .privacy import PrivacyRule
from .runs import Run, StepRun
from .secrets import Secret
from .stats import RunStatsHour, RunStatsTotal, RunStatsWatermark
from .tokens import UserToken
from .unique_ids import UserUniqueId
from .versions import Version

__all__ = [
    "Action",
    "ApiKey",
    "DataCapture",
    "DataField",
    "DataType",
    "DefinitionChange",
    "FailureAlert",
    "IdempotentRequest",
    "Option",
    "OptionSet",
    "Parameter",
    "PrivacyRule",
    "Run",
    "RunStatsHour",
    "RunStatsTotal",
    "RunStatsWatermark",
    "SchemaVersion",
    "Secret",
    "StepRun",
    "UserToken",
    "UserUniqueId",
    "Version",
    "Workflow",
]
