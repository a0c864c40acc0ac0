"""``--download-files``: each file and image the rows point to is copied into the project's
file storage (Django's storage API: local disk by default, object storage when configured)
and the field points there, since Bubble's copies go when the Bubble app is closed.

A file on the Bubble app's own address is read as the app is (the operator typed it);
any other (Bubble's S3 bucket, a CDN) through the outbound-address guard every workflow
request goes through. The Data API token is never sent with a file. A file read twice (an
import continued) is stored under the same name and not read again.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from workflows import conf
from workflows.actions.outbound import BlockedDestination, body_within, build_client

from .problems import Problems
from .source import MAX_BODY, BubbleApp
from .targets import Target

#: where copied files go in the storage
FOLDER = "bubble"
#: seconds for one file
TIMEOUT = 120.0


def download_files(
    app: BubbleApp,
    targets: list[Target],
    problems: Problems,
    beat: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Copy every file the targets' file and image fields point to; counts. ``beat`` is
    called after each thing (the import's lease)."""
    copied = failed = 0
    for target in targets:
        model = target.model
        if model is None:
            continue
        for key, name in _file_fields(target):
            field = model._meta.get_field(name)
            rows = model._default_manager.exclude(**{f"{name}__isnull": True})
            for thing in rows.only("pk", "unique_id", name).iterator():
                value = getattr(thing, field.attname)
                urls = value if isinstance(value, list) else [value]
                moved = []
                for url in urls:
                    if not _remote(url):
                        moved.append(url)
                        continue
                    try:
                        moved.append(_copy(app, url, target.typed.bubble_name, thing.unique_id))
                        copied += 1
                    except (FileNotCopied, BlockedDestination) as exc:
                        problems.value_not_kept(
                            target.typed.bubble_name, thing.unique_id, key, f"file: {exc}"
                        )
                        moved.append(url)
                        failed += 1
                    except Exception as exc:  # noqa: BLE001 - an address the app made up
                        # (not a URL, an IDNA error, a name storage refuses): said, not fatal
                        problems.value_not_kept(
                            target.typed.bubble_name,
                            thing.unique_id,
                            key,
                            f"file: not copied ({type(exc).__name__})",
                        )
                        moved.append(url)
                        failed += 1
                new = moved if isinstance(value, list) else moved[0]
                if new != value:
                    model._default_manager.filter(pk=thing.pk).update(**{name: new})
                beat()
    return {"copied": copied, "failed": failed}


class FileNotCopied(Exception):
    pass


def _file_fields(target: Target) -> list[tuple[str, str]]:
    kinds = {p.key: p.type for p in target.typed.fields}
    return [(key, name) for key, name, _ in target.readers if kinds.get(key) in ("file", "image")]


def _remote(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("http://", "https://"))


def _copy(app: BubbleApp, url: str, bubble_name: str, unique_id: str) -> str:
    """The file at ``url`` stored here; its URL here."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    base = posixpath.basename(urlsplit(url).path) or "file"
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)[-100:] or "file"
    name = f"{FOLDER}/{bubble_name}/{unique_id}/{digest}-{base}"
    if default_storage.exists(name):
        return default_storage.url(name)
    data = _read(app, url)
    return default_storage.url(default_storage.save(name, ContentFile(data)))


def _read(app: BubbleApp, url: str) -> bytes:
    own = urlsplit(url).netloc == urlsplit(app.address).netloc
    host = (urlsplit(url).hostname or "").lower()
    allowed = host in {h.lower() for h in conf.get("IMPORT_ALLOWED_HOSTS")}
    unguarded = (own and app.trusted) or allowed
    client = (
        httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        if unguarded
        else build_client(TIMEOUT)
    )
    try:
        with client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise FileNotCopied(f"HTTP {response.status_code}")
            body = body_within(response, MAX_BODY)
            if body is None:
                raise FileNotCopied(f"over {MAX_BODY:,} bytes")
            return body
    except httpx.HTTPError as exc:
        raise FileNotCopied(type(exc).__name__) from None
