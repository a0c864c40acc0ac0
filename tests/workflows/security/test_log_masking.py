"""The server log masks secrets too, tracebacks included."""

from __future__ import annotations

import logging

from workflows import secrets
from workflows.log_filters import MaskSecretsFilter


def test_secrets_are_masked_in_log_lines_and_tracebacks(db):
    secrets.set_secret("STRIPE_KEY", "sk_live_abcdef123456")
    try:
        raise ValueError("bad key sk_live_abcdef123456")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "calling with %s", ("sk_live_abcdef123456",), None
        )
        import sys

        record.exc_info = sys.exc_info()
    assert MaskSecretsFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "sk_live_abcdef123456" not in line
    assert "calling with ********" in line and "ValueError: bad key ********" in line
