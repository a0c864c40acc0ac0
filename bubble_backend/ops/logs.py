"""``LOG_FORMAT=json``: one JSON object per line, for log collectors.

Each line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; ``run_id``
when it was logged during a run (``workflows.log_filters.RunIdFilter``), ``exception`` and
``stack`` when the record has them. The handler's filters run first, so the message and
traceback are the ones ``MaskSecretsFilter`` masked. Importable while settings load.
"""

from __future__ import annotations

import datetime
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        run_id = getattr(record, "run_id", None)
        if run_id is not None:
            line["run_id"] = run_id
        if record.exc_info and not record.exc_text:
            # not masked only when no MaskSecretsFilter ran (it formats tracebacks itself)
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
