"""``send_email``'s attachments: files of the project's storage (a file parameter, a file
field's value) read from the storage, other URLs fetched through the outbound-address
guard (``outbound.build_client``), all of them within ``EMAIL_ATTACHMENTS_MAX_BYTES``
together. Only their names and sizes reach the run log, never their content."""

from __future__ import annotations

import mimetypes
import posixpath
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage

from .. import conf
from ..engine.values_types import FileValue, ThingList
from ..exceptions import WorkflowError
from .outbound import BlockedDestination, body_within, build_client

#: the most files one email carries
MAX_FILES = 20


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    mimetype: str

    def logged(self) -> dict[str, Any]:
        return {"name": self.name, "size": len(self.content)}


def attachments(value: Any, key: str = "attachments") -> list[Attachment]:
    """The files ``value`` names (one, or a list), read; ``WorkflowError`` naming the file
    and what is wrong (unreadable, past the size limit in all)."""
    if value is None or value == "":
        return []
    if isinstance(value, ThingList):
        value = list(value)
    items = value if isinstance(value, list | tuple) else [value]
    if len(items) > MAX_FILES:
        raise WorkflowError(f"{key}: {len(items)} files; at most {MAX_FILES} in one email")
    limit = int(conf.get("EMAIL_ATTACHMENTS_MAX_BYTES"))
    deadline = time.monotonic() + float(conf.get("HTTP_TIMEOUT"))  # for all the URLs
    files: list[Attachment] = []
    left = limit
    for item in items:
        url, name = _url_and_name(item, key)
        name = _clean(name or unquote(posixpath.basename(urlsplit(url).path))) or "attachment"
        content = _read(url, name, left, key, limit, deadline)
        left -= len(content)
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append(Attachment(name, content, mimetype))
    return files


def _url_and_name(item: Any, key: str) -> tuple[str, str]:
    if isinstance(item, FileValue):
        return item.url, item.name
    if isinstance(item, Mapping) and isinstance(item.get("url"), str):
        return item["url"], str(item.get("name") or "")
    if isinstance(item, str) and item.strip():
        return item.strip(), ""
    raise WorkflowError(f"{key}: expected a file or a URL, got {type(item).__name__}")


def _clean(name: str) -> str:
    """A file name an email header carries: one line, printable, at most 200 characters."""
    return "".join(c for c in name if c.isprintable()).strip()[:200]


def _read(url: str, name: str, left: int, key: str, limit: int, deadline: float) -> bytes:
    shown = name
    too_big = WorkflowError(
        f"{key}: {shown}: the attachments are over {limit:,} bytes in all "
        "(EMAIL_ATTACHMENTS_MAX_BYTES)"
    )
    stored = _storage_name(url)
    if stored is not None:
        try:
            with default_storage.open(stored) as handle:
                content = handle.read(left + 1)
        except (OSError, ValueError, SuspiciousFileOperation):
            raise WorkflowError(f"{key}: {shown}: not found in the file storage") from None
    else:
        if not url.lower().startswith(("http://", "https://")):
            raise WorkflowError(f"{key}: {shown}: not a file of this project nor an http(s) URL")
        content = _fetch(url, shown, left, key, deadline)
    if content is None or len(content) > left:
        raise too_big
    return content


def _storage_name(url: str) -> str | None:
    """The storage's name of a file stored here (its URL under the storage's), else None."""
    root = default_storage.url("")
    if not root or not url.startswith(root):
        return None
    name = unquote(url[len(root) :].split("?", 1)[0])
    if not name or ".." in name.split("/") or name.startswith("/"):
        return None
    return name


def _fetch(url: str, shown: str, left: int, key: str, deadline: float) -> bytes | None:
    """The file at ``url``, or None past ``left`` bytes."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WorkflowError(f"{key}: {shown}: no time left to fetch it (HTTP_TIMEOUT in all)")
    identity = {"Accept-Encoding": "identity"}  # the bytes as they come: no zip bomb
    try:
        with (
            build_client(remaining) as client,
            client.stream("GET", url, headers=identity) as response,
        ):
            if response.status_code != 200:
                raise WorkflowError(f"{key}: {shown}: HTTP {response.status_code}")
            if response.headers.get("Content-Encoding", "identity").lower() != "identity":
                raise WorkflowError(f"{key}: {shown}: sent compressed; a file is wanted")
            return body_within(response, left)
    except BlockedDestination as exc:
        raise WorkflowError(f"{key}: {shown}: {exc.message}") from None
    except httpx.HTTPError as exc:
        raise WorkflowError(f"{key}: {shown}: {type(exc).__name__}") from None
