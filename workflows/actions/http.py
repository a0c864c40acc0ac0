"""``http_request``: call an outside API with httpx; the response feeds later steps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import conf, jsontext
from ..engine import kinds
from ..engine.kinds import Kind
from ..engine.outbox import current_outbox
from ..engine.sandbox import _finalize
from ..exceptions import WorkflowError
from .outbound import body_within, build_client
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")

_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")  # printable ASCII: no line breaks


def redact(url: str) -> str:
    """A URL for error messages: no user:password, query string or fragment (where API
    keys tend to be), since messages reach callers and the run log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # still no credentials, query or fragment
        return re.sub(r"//[^/]*@", "//", re.split(r"[?#]", url, maxsplit=1)[0])[:100]
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"[:200]


def as_text(value: Any) -> str:
    """A value as it prints inside text (none as empty, dates in ISO 8601), so a value sent
    in ``query`` or ``headers`` reads the same as written into the url with ``{{ }}``."""
    return value if isinstance(value, str) else str(_finalize(value))


def parse_url(url: str) -> httpx.URL:
    """``url`` as httpx will send it; ValueError saying why it cannot be sent."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None
    if not parsed.host:
        raise ValueError("it has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ValueError(f"{parsed.port} is not a TCP port")
    return parsed


def request_url(url: str, query: Mapping[str, Any]) -> httpx.URL:
    """The URL to send: ``url`` with its own query string kept as written (repeated names
    and escapes included) and ``query``'s items added after it, so a name in both is sent
    twice. httpx's ``params=`` would replace the URL's query instead."""
    try:
        parsed = parse_url(url)
    except ValueError as exc:
        raise WorkflowError(f"url: {redact(url)!r} is not a valid URL: {exc}") from None
    if not query:
        return parsed
    added = str(httpx.QueryParams([(str(k), as_text(v)) for k, v in query.items()])).encode()
    return parsed.copy_with(query=parsed.query + b"&" + added if parsed.query else added)


def request_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Header values as text, surrounding spaces dropped (HTTP ignores them). A name or a
    value HTTP cannot carry fails naming the header, not showing the value (often a key)."""
    checked = {}
    for name, value in headers.items():
        text = as_text(value).strip(" \t")
        if not _HEADER_NAME.fullmatch(name):
            raise WorkflowError(f"headers: {name[:100]!r} is not a valid header name")
        if not _HEADER_VALUE.fullmatch(text):
            raise WorkflowError(
                f"headers: {name!r} has a value HTTP cannot carry (a line break, a control "
                "character or a character that is not ASCII)"
            )
        checked[name] = text
    return checked


def read_limited(response: httpx.Response, limit: int) -> bytes:
    body = body_within(response, limit)
    if body is None:
        raise WorkflowError(f"the response is larger than {limit:,} bytes")
    return body


@register
class HttpRequest(ActionType):
    name = "http_request"
    summary_template = "{method} {url}"
    writes = False
    waits_on_network = True
    label = "Send an HTTP request"
    family = "http"
    description = (
        "Calls an outside URL. Later steps read steps.<id>.status, .headers, .json and .text. "
        "A 4xx/5xx answer does not fail the step; network errors and timeouts do."
    )
    example = """- id: charge
  type: http_request
  method: POST
  url: https://api.example.com/charges
  headers: {Authorization: "Bearer {{ settings.PAYMENT_KEY }}"}
  json: {amount: "{{ params.order.total }}"}"""
    fields = (
        ConfigField("method", FieldKind.CHOICE, required=False, choices=METHODS, default="GET"),
        ConfigField(
            "url",
            FieldKind.TEXT,
            help_text="An http(s) URL; its query string is sent as written.",
            example="https://api.example.com/items/{{ params.id }}",
        ),
        ConfigField(
            "headers", FieldKind.MAPPING, required=False, help_text="Header: value per line."
        ),
        ConfigField(
            "query",
            FieldKind.MAPPING,
            required=False,
            help_text="Query-string parameters, added after the url's own.",
        ),
        ConfigField("json", required=False, help_text="A JSON body (a mapping or a list)."),
        ConfigField(
            "body",
            FieldKind.TEXT,
            required=False,
            multiline=True,
            help_text="A raw text body (instead of json).",
        ),
        ConfigField(
            "timeout",
            FieldKind.NUMBER,
            required=False,
            help_text="Seconds (capped by the workflow's own timeout).",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        if config.get("json") is not None and config.get("body") not in (None, ""):
            raise ConfigError("body", "give either json or body, not both")
        url = config.get("url")
        if isinstance(url, str) and "{{" not in url:
            if not url.lower().startswith(("http://", "https://")):
                raise ConfigError("url", "must start with http:// or https://")
            try:
                parse_url(url)
            except ValueError as exc:
                raise ConfigError("url", f"is not a valid URL: {exc}") from None

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return Kind.object(
            {
                "status": kinds.WHOLE_NUMBER,
                "headers": kinds.OBJECT,
                "json": kinds.ANY,
                "text": kinds.TEXT,
            }
        )

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        url = str(inputs["url"])
        if not url.lower().startswith(("http://", "https://")):
            raise WorkflowError(f"url: {redact(url)[:100]!r} is not an http(s) URL")
        target = request_url(url, inputs.get("query") or {})
        limit = float(conf.get("HTTP_TIMEOUT"))
        if inputs.get("timeout") is not None:
            try:
                limit = min(limit, float(inputs["timeout"]))
            except (TypeError, ValueError):
                raise WorkflowError("timeout: must be a number of seconds") from None
        timeout = max(0.1, min(limit, run.remaining()))
        kwargs: dict[str, Any] = {"headers": request_headers(inputs.get("headers") or {})}
        if inputs.get("json") is not None:
            kwargs["json"] = inputs["json"]
        elif inputs.get("body") not in (None, ""):
            kwargs["content"] = str(inputs["body"]).encode()
        method = inputs.get("method") or "GET"
        outbox = current_outbox()
        if outbox is not None:  # a test run: recorded; sent only when the builder asks
            outbox.requests.append(
                {"method": method, "url": str(target), "sent": outbox.send, **_shown(kwargs)}
            )
            if not outbox.send:
                return {"status": None, "headers": {}, "json": None, "text": "", "sent": False}
        try:
            with (
                build_client(timeout) as client,
                client.stream(method, target, **kwargs) as response,
            ):
                raw = read_limited(response, conf.get("HTTP_MAX_RESPONSE_BYTES"))
        except httpx.TimeoutException:
            raise WorkflowError(f"{method} {redact(url)} timed out after {timeout:.1f} s") from None
        except httpx.HTTPError as exc:
            raise WorkflowError(f"{method} {redact(url)} failed: {exc}") from None
        text = raw.decode(response.encoding or "utf-8", errors="replace")
        body_json = None
        if raw and "json" in response.headers.get("content-type", ""):
            try:  # not JSON at all, nested past jsontext's depth, or a lone surrogate: text only
                body_json = jsontext.loads(raw)
            except ValueError:
                body_json = None
        return {
            "status": response.status_code,
            "headers": dict(response.headers),
            "json": body_json,
            "text": text,
        }


def _shown(kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a test run shows of a request it records: headers (secret ones masked by the
    run log) and the body."""
    shown: dict[str, Any] = {"headers": dict(kwargs.get("headers") or {})}
    if "json" in kwargs:
        shown["json"] = kwargs["json"]
    elif "content" in kwargs:
        shown["body"] = kwargs["content"].decode(errors="replace")
    return shown
