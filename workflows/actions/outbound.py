"""The httpx client every outbound request uses: each connection (redirects included) goes
to an address ``addresses.allowed`` accepts, and the whole request ends by one deadline."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import httpcore
import httpx

from .. import conf
from ..exceptions import WorkflowError
from .addresses import IPAddress, allowed

MAX_REDIRECTS = 5


class BlockedDestination(WorkflowError):
    """The URL's host is (or resolves to) an address outbound requests may not reach."""


def address_allowed(address: IPAddress) -> bool:
    """Globally routable addresses, plus what the operator allows (``HTTP_ALLOW_PRIVATE``,
    ``HTTP_ALLOWED_NETWORKS``): a URL built from a caller's parameters must not reach the
    server's own network or the cloud metadata service."""
    if conf.get("HTTP_ALLOW_PRIVATE"):
        return True
    networks = (ipaddress.ip_network(n, strict=False) for n in conf.get("HTTP_ALLOWED_NETWORKS"))
    return allowed(address, networks)


def _check(host: str, address: IPAddress) -> None:
    if not address_allowed(address):
        where = host if host == str(address) else f"{host} is {address},"
        raise BlockedDestination(
            f"{where} not a public address (loopback, private, link-local or another "
            "range that is not globally routable); requests there are refused (an "
            "operator can allow them with BUBBLE_HTTP_ALLOW_PRIVATE or "
            "BUBBLE_HTTP_ALLOWED_NETWORKS)"
        )


def _literal(host: str) -> IPAddress | None:
    """The address a host written as one is (IPv6 zone ids decoded: ``fe80::1%25eth0``
    in a URL means ``fe80::1%eth0``, RFC 6874); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _connect_host(sockaddr: tuple[Any, ...]) -> str:
    """An address from ``getaddrinfo`` as a host to connect to, keeping an IPv6 zone."""
    if len(sockaddr) == 4 and sockaddr[3]:
        return f"{sockaddr[0]}%{sockaddr[3]}"
    return str(sockaddr[0])


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
        if not 0 < port < 65536:  # getaddrinfo would quietly take port 99999 as 34463
            raise httpcore.ConnectError(f"{port} is not a TCP port")
        if ":" in host:  # an IPv6 literal, whose zone id a URL percent-encodes
            host = unquote(host)
        literal = _literal(host)
        if literal is not None:
            _check(host, literal)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(_connect_host(info[4]) for info in infos))
        for address in addresses:
            _check(host, ipaddress.ip_address(address))
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


def body_within(response: httpx.Response, limit: int) -> bytes | None:
    """The response's body, read as it streams in; None once it goes past ``limit`` bytes:
    what a hostile server sends is never all held."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
