"""Logging filters, importable while settings load (no models imported until used)."""

from __future__ import annotations

import logging
import threading

_in_filter = threading.local()


class MaskSecretsFilter(logging.Filter):
    """``LOGGING["filters"]``: masks secrets (``workflows.masking``) in every record, its
    traceback included, so a crash while a run held a secret never prints it to the server
    log. The record is formatted here, once; the handler's formatter reuses the text."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.apps import apps

        if not apps.ready or getattr(_in_filter, "active", False):
            return True  # too early to know the secrets, or masking's own database reads
        from .masking import mask_text

        _in_filter.active = True
        try:
            record.msg = mask_text(record.getMessage())
            record.args = ()
            if record.exc_info and not record.exc_text:
                record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        except Exception:  # never lose a log line to masking: it is kept as it was
            return True
        finally:
            _in_filter.active = False
        return True


class RunIdFilter(logging.Filter):
    """``LOGGING["filters"]``: sets ``record.run_id`` to the id of the run the line was
    logged in (None outside runs), so the JSON log lines name it: the innermost run, a
    custom event's own while it runs (``engine.context.current_run``), else the run whose
    scope is open (``log_context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .log_context import current_run_id

        run_id = current_run_id()
        if run_id is not None:
            from django.apps import apps

            if apps.ready:
                from .engine.context import current_run

                ctx = current_run()
                if ctx is not None:
                    run_id = str(ctx.run.pk)
        record.run_id = run_id
        return True
