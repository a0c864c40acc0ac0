"""A request's headers as a workflow may see them: without credentials, cookies or what
proxies add about the connection (``include_headers``, "Detect data")."""

from __future__ import annotations

import re
from collections.abc import Mapping

#: never shown to a workflow or a builder
LEFT_OUT = re.compile(
    r"^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-csrftoken|"
    r"x-forwarded-.*|x-real-ip|forwarded|via|connection|keep-alive|content-length|host)$",
    re.I,
)


class HeaderValues(dict):
    """Headers by name, in any case (``request.headers['x-shop']`` is ``X-Shop``); a header
    that was not sent is empty, as a missing value is in Bubble, not an error."""

    def __missing__(self, name: object) -> str | None:
        wanted = str(name).lower()
        return next((v for k, v in self.items() if k.lower() == wanted), None)


def shown_headers(headers: Mapping[str, str]) -> HeaderValues:
    """``headers`` (names as the request spelt them, e.g. ``X-Shop``) minus ``LEFT_OUT``."""
    return HeaderValues(
        (name, value) for name, value in headers.items() if not LEFT_OUT.match(name)
    )
