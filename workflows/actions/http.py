"""``http_request``: call an outside API with httpx; the response feeds later steps."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx

from .. import conf
from ..exceptions import WorkflowError
from .outbound import build_client
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def redact(url: str) -> str:
    """A URL for error messages: no user:password, query string or fragment (where API
    keys tend to be), since messages reach callers and the run log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return url.split("?", 1)[0][:100]
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"[:200]


def read_limited(response: httpx.Response, limit: int) -> bytes:
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > limit:
            raise WorkflowError(f"the response is larger than {limit:,} bytes")
    return bytes(body)


@register
class HttpRequest(ActionType):
    name = "http_request"
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
            help_text="An http(s) URL.",
            example="https://api.example.com/items/{{ params.id }}",
        ),
        ConfigField(
            "headers", FieldKind.MAPPING, required=False, help_text="Header: value per line."
        ),
        ConfigField(
            "query", FieldKind.MAPPING, required=False, help_text="Query-string parameters."
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
        if (
            isinstance(url, str)
            and "{{" not in url
            and not url.lower().startswith(("http://", "https://"))
        ):
            raise ConfigError("url", "must start with http:// or https://")

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        url = str(inputs["url"])
        if not url.lower().startswith(("http://", "https://")):
            raise WorkflowError(f"url: {redact(url)[:100]!r} is not an http(s) URL")
        limit = float(conf.get("HTTP_TIMEOUT"))
        if inputs.get("timeout") is not None:
            try:
                limit = min(limit, float(inputs["timeout"]))
            except (TypeError, ValueError):
                raise WorkflowError("timeout: must be a number of seconds") from None
        timeout = max(0.1, min(limit, run.remaining()))
        headers = {str(k): str(v) for k, v in (inputs.get("headers") or {}).items()}
        query = {
            str(k): "" if v is None else str(v) for k, v in (inputs.get("query") or {}).items()
        }
        kwargs: dict[str, Any] = {"headers": headers, "params": query}
        if inputs.get("json") is not None:
            kwargs["json"] = inputs["json"]
        elif inputs.get("body") not in (None, ""):
            kwargs["content"] = str(inputs["body"]).encode()
        method = inputs.get("method") or "GET"
        try:
            with build_client(timeout) as client, client.stream(method, url, **kwargs) as response:
                raw = read_limited(response, conf.get("HTTP_MAX_RESPONSE_BYTES"))
        except httpx.TimeoutException:
            raise WorkflowError(f"{method} {redact(url)} timed out after {timeout:.1f} s") from None
        except httpx.HTTPError as exc:
            raise WorkflowError(f"{method} {redact(url)} failed: {exc}") from None
        text = raw.decode(response.encoding or "utf-8", errors="replace")
        body_json = None
        if raw and "json" in response.headers.get("content-type", ""):
            try:
                body_json = json.loads(raw)
            except ValueError:
                body_json = None
        return {
            "status": response.status_code,
            "headers": dict(response.headers),
            "json": body_json,
            "text": text,
        }
