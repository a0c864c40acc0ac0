"""``http_request``: call an outside API with httpx; the response feeds later steps."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from .. import conf
from ..exceptions import WorkflowError
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedDestination(WorkflowError):
    """The URL's host is (or resolves to) an address outbound requests may not reach."""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one (``::ffff:127.0.0.1``, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress) -> bool:
    """Public unicast addresses, plus what the operator allows (``HTTP_ALLOW_PRIVATE``,
    ``HTTP_ALLOWED_NETWORKS``). Loopback, private, link-local (cloud metadata at
    169.254.169.254), shared, reserved and multicast addresses are refused by default: a
    URL built from a caller's parameters must not reach the server's own network."""
    if conf.get("HTTP_ALLOW_PRIVATE"):
        return True
    address = _embedded_ipv4(address) or address
    for network in conf.get("HTTP_ALLOWED_NETWORKS"):
        if address in ipaddress.ip_network(network, strict=False):
            return True
    return address.is_global and not address.is_multicast


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads and writes all end by one deadline.

    httpx's timeouts apply to each read, so a server sending a byte every few seconds
    would otherwise hold a run (and a worker) far beyond its timeout.
    """

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _timeout(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the request did not finish within its timeout")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._timeout(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, self._timeout(timeout))
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses it if any address is not allowed, then connects
    to a checked address, so DNS cannot answer differently between check and connect.
    Every connection (redirects included) goes through here."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        for address in addresses:
            if not address_allowed(ipaddress.ip_address(address)):
                raise BlockedDestination(
                    f"{host} is {address}, a loopback, private or link-local address; "
                    "requests there are refused (an operator can allow them with "
                    "BUBBLE_HTTP_ALLOW_PRIVATE or HTTP_ALLOWED_NETWORKS)"
                )
        error: Exception = httpcore.ConnectError(f"cannot resolve {host}")
        for address in addresses:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ConnectTimeout("the request did not finish within its timeout")
            try:
                stream = super().connect_tcp(
                    address,
                    port,
                    timeout=left if timeout is None else min(timeout, left),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise error


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with connections made by ``_GuardedBackend``.

    Proxies from the environment (``HTTP_PROXY``) are not used: through a proxy the
    destination's address could not be checked.
    """

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_GuardedBackend(deadline),
        )


def build_client(timeout: float) -> httpx.Client:
    """The client every outbound request uses (one place to add guards and limits):
    destinations checked on every connection and redirect, ``timeout`` as a total."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": "bubble-backend"},
        transport=GuardedTransport(time.monotonic() + timeout),
    )


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
