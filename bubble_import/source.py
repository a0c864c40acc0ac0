"""Reading a Bubble app: its Swagger file, ``/api/1.1/meta`` and the Data API's pages.

Read-only by construction: the only request this module can send is a GET. The token is
sent as ``Authorization: Bearer`` and kept nowhere else: never logged, never in an error
(``SourceError`` names the address and the status, not the headers).
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from workflows.actions.outbound import BlockedDestination, body_within

#: the Data API's largest page (Bubble's limit)
PAGE_SIZE = 100
#: how often a 429 is waited out and tried again before the import gives up
RETRIES_429 = 5
#: the longest wait a ``Retry-After`` is taken for (seconds)
LONGEST_WAIT = 60.0
#: the largest answer read (bytes): a Swagger file of a large app is a few MB
MAX_BODY = 50 * 1024 * 1024


class SourceError(Exception):
    """The Bubble app did not answer as expected; the message names the address."""


def check_token(token: str) -> str:
    """``token`` if it can go in a header as it is: printable ASCII, no spaces. Refused
    without repeating it (an error naming a header would print the token)."""
    if token and not (token.isascii() and token.isprintable() and " " not in token):
        raise SourceError(
            "the token holds spaces, line breaks or characters other than ASCII: check the "
            "file or variable it comes from (one token, on one line)"
        )
    return token


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Page:
    results: list[dict[str, Any]]
    cursor: int
    count: int
    remaining: int

    @property
    def total(self) -> int:
        """The rows the search has in all, as this page counts them."""
        return self.cursor + self.count + self.remaining


class Pacer:
    """At most ``rate`` requests a second, whichever thread sends them (``--max-rps``):
    each request takes the next free slot and waits for it."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("the rate is a number of requests a second, above 0")
        self._gap = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._gap
        if slot > now:
            self._sleep(slot - now)


class BubbleApp:
    """A Bubble app at ``address`` (its live version, or ``version_test``'s)."""

    def __init__(
        self,
        address: str,
        *,
        token: str = "",
        version_test: bool = False,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
        trusted: bool = True,
        client_factory: Callable[[], httpx.Client] | None = None,
    ) -> None:
        address = address.strip().rstrip("/")
        if not address.startswith(("http://", "https://")):
            address = f"https://{address}"
        try:
            url = httpx.URL(address)
        except (httpx.InvalidURL, ValueError, TypeError):
            raise SourceError(f"{address!r} is not a web address") from None
        if token and url.scheme == "http" and not _loopback(url.host):
            raise SourceError(
                f"{address}: the token would travel unencrypted; use https:// (plain http is "
                "taken only for this machine: a local stand-in)"
            )
        check_token(token)
        self.address = address
        self.base = f"{address}/version-test/api/1.1" if version_test else f"{address}/api/1.1"
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = client or httpx.Client(timeout=30.0, follow_redirects=False)
        self._headers = headers
        self._sleep = sleep
        self._pacer = pacer
        #: a new client for each request (the admin's: each under its own deadline)
        self._client_factory = client_factory
        #: the operator typed this address (the command): files on its host are read as
        #: the app is; the admin's imports read everything through the outbound guard
        self.trusted = trusted

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` (under ``/api/1.1``) as JSON; a 429 is waited out as its
        ``Retry-After`` says and tried again; ``SourceError`` for anything else but 200."""
        url = f"{self.base}{path}"
        for attempt in range(RETRIES_429 + 1):
            if self._pacer is not None:
                self._pacer.wait()
            client = self._client_factory() if self._client_factory else self._client
            try:
                with client.stream("GET", url, params=params, headers=self._headers) as r:
                    status, retry_after = r.status_code, r.headers.get("Retry-After")
                    body = _read_limited(r) if status == 200 else b""
            except BlockedDestination as exc:  # the admin's imports: the outbound guard
                raise SourceError(f"GET {url}: {exc.message}") from None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError, TypeError) as exc:
                # the type only: some errors quote the request's headers, the token with them
                raise SourceError(f"GET {url}: {type(exc).__name__}") from None
            finally:
                if client is not self._client:
                    client.close()
            if status == 429 and attempt < RETRIES_429:
                self._sleep(_retry_after(retry_after, attempt))
                continue
            if status != 200:
                raise SourceError(f"GET {url}: HTTP {status}")
            try:
                return json.loads(body)
            except (ValueError, UnicodeError, RecursionError):
                raise SourceError(f"GET {url}: the answer is not JSON") from None
        raise SourceError(f"GET {url}: still HTTP 429 after {RETRIES_429} waits")

    def swagger(self) -> Any:
        return self.get("/meta/swagger.json")

    def meta(self) -> Any:
        return self.get("/meta")

    def page(
        self,
        bubble_name: str,
        cursor: int = 0,
        limit: int = PAGE_SIZE,
        constraints: list[dict[str, Any]] | None = None,
    ) -> Page:
        """One page of type ``bubble_name``'s rows, oldest first, those that meet
        ``constraints`` (Bubble's: ``[{"key", "constraint_type", "value"}]``)."""
        params: dict[str, Any] = {"cursor": cursor, "limit": limit, "sort_field": "Created Date"}
        if constraints:
            params["constraints"] = json.dumps(constraints)
        body = self.get(f"/obj/{bubble_name}", params)
        answer = body.get("response") if isinstance(body, Mapping) else None
        if not isinstance(answer, Mapping) or not isinstance(answer.get("results"), list):
            raise SourceError(f"GET {self.base}/obj/{bubble_name}: no response.results")
        return Page(
            [r for r in answer["results"][:limit] if isinstance(r, dict)],
            cursor,  # where it was asked from: the app's own word is not needed
            _whole(answer.get("count"), 0),
            _whole(answer.get("remaining"), 0),
        )


def _whole(value: Any, default: int) -> int:
    """A page's count as a whole number; anything else is ``default``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _read_limited(response: httpx.Response) -> bytes:
    body = body_within(response, MAX_BODY)
    if body is None:
        raise SourceError(f"GET {response.url}: the answer is over {MAX_BODY:,} bytes")
    return body


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: ``Retry-After`` in seconds when given, else 1, 2, 4… seconds."""
    try:
        wait = float(value) if value is not None else 2.0**attempt
    except ValueError:
        wait = 2.0**attempt
    if not math.isfinite(wait):
        wait = 2.0**attempt
    return min(max(wait, 0.0), LONGEST_WAIT)
