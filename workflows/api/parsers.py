"""The API's JSON body parser: DRF's, reading through ``jsontext``.

DRF's own catches only ``ValueError``: a body nested ~1,000 levels deep raised
``RecursionError`` (a 500), and a lone surrogate escape (``"\\ud800"``) went on to fail the
run's insert on PostgreSQL. Both are now 400 ``INVALID_REQUEST`` before any view reads the
body — the Workflow API, webhooks, the scheduler and the Data API alike (docs/api.md).
"""

from __future__ import annotations

import codecs
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from .. import jsontext


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            return jsontext.loads(text, parse_constant=strict_constant if self.strict else None)
        except jsontext.UnsafeJson as exc:
            raise ParseError(f"JSON body refused: {exc}") from None
        except ValueError as exc:  # malformed, or not text in its charset
            raise ParseError(f"JSON parse error - {exc}") from None


class PlainTextParser(parsers.BaseParser):
    """A ``text/plain`` body as text, in its charset (UTF-8 unless it says otherwise): the
    Data API's bulk create reads one JSON object per line of it."""

    media_type = "text/plain"

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> str:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return codecs.getreader(encoding)(stream).read()
        except (LookupError, ValueError) as exc:  # an unknown charset, or bytes not in it
            raise ParseError(f"the body is not text in {encoding}: {exc}") from None
