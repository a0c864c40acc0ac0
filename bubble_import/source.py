"""Reading a Bubble app: its Swagger file, ``/api/1.1/meta`` and the Data API's pages.

Read-only by construction: the only request this module can send is a GET. The token is
sent as ``Authorization: Bearer`` and kept nowhere else: never logged, never in an error
(``SourceError`` names the address and the status, not the headers).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

#: the Data API's largest page (Bubble's limit)
PAGE_SIZE = 100
#: how often a 429 is waited out and tried again before the import gives up
RETRIES_429 = 5
#: the longest wait a ``Retry-After`` is taken for (seconds)
LONGEST_WAIT = 60.0


class SourceError(Exception):
    """The Bubble app did not answer as expected; the message names the address."""


@dataclass
class Page:
    results: list[dict[str, Any]]
    cursor: int
    count: int
    remaining: int


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
    ) -> None:
        address = address.strip().rstrip("/")
        if not address.startswith(("http://", "https://")):
            address = f"https://{address}"
        self.address = address
        self.base = f"{address}/version-test/api/1.1" if version_test else f"{address}/api/1.1"
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = client or httpx.Client(timeout=30.0, follow_redirects=False)
        self._headers = headers
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` (under ``/api/1.1``) as JSON; a 429 is waited out as its
        ``Retry-After`` says and tried again; ``SourceError`` for anything else but 200."""
        url = f"{self.base}{path}"
        for attempt in range(RETRIES_429 + 1):
            try:
                response = self._client.get(url, params=params, headers=self._headers)
            except httpx.HTTPError as exc:
                raise SourceError(f"GET {url}: {type(exc).__name__}: {exc}") from None
            if response.status_code == 429 and attempt < RETRIES_429:
                self._sleep(_retry_after(response.headers.get("Retry-After"), attempt))
                continue
            if response.status_code != 200:
                raise SourceError(f"GET {url}: HTTP {response.status_code}")
            try:
                return response.json()
            except json.JSONDecodeError:
                raise SourceError(f"GET {url}: the answer is not JSON") from None
        raise SourceError(f"GET {url}: still HTTP 429 after {RETRIES_429} waits")

    def swagger(self) -> Any:
        return self.get("/meta/swagger.json")

    def meta(self) -> Any:
        return self.get("/meta")

    def page(self, bubble_name: str, cursor: int = 0, limit: int = PAGE_SIZE) -> Page:
        """One page of type ``bubble_name``'s rows, oldest first."""
        body = self.get(
            f"/obj/{bubble_name}",
            {"cursor": cursor, "limit": limit, "sort_field": "Created Date"},
        )
        answer = body.get("response") if isinstance(body, Mapping) else None
        if not isinstance(answer, Mapping) or not isinstance(answer.get("results"), list):
            raise SourceError(f"GET {self.base}/obj/{bubble_name}: no response.results")
        return Page(
            [r for r in answer["results"] if isinstance(r, dict)],
            int(answer.get("cursor") or cursor),
            int(answer.get("count") or 0),
            int(answer.get("remaining") or 0),
        )


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: ``Retry-After`` in seconds when given, else 1, 2, 4… seconds."""
    try:
        wait = float(value) if value is not None else 2.0**attempt
    except ValueError:
        wait = 2.0**attempt
    return min(max(wait, 0.0), LONGEST_WAIT)
