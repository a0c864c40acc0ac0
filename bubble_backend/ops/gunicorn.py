"""gunicorn's own log lines (its error log and access log) in the project's format:
``--logger-class bubble_backend.ops.gunicorn.Logger`` (``manage.py serve``, deploy/) writes
them as JSON objects when ``LOG_FORMAT=json``, as gunicorn does otherwise."""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from .logs import JsonFormatter


def json_lines() -> bool:
    """Whether the settings ask for JSON lines (gunicorn's master reads them before it loads
    the application, which sets the settings module the same way)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bubble_backend.settings")
    from django.conf import settings

    return settings.LOG_FORMAT == "json"


class Logger(GunicornLogger):
    def _set_handler(
        self, log: logging.Logger, output: Any, fmt: logging.Formatter, stream: Any = None
    ) -> None:
        super()._set_handler(log, output, JsonFormatter() if json_lines() else fmt, stream)
