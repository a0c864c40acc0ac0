"""Action types, one module per family; importing this package registers them all."""

from . import account, data, email, flow, http  # noqa: F401
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register  # noqa: F401
