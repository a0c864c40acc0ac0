"""Who may read ``/metrics``: nobody until the operator sets ``BUBBLE_METRICS_TOKEN`` or
``BUBBLE_METRICS_ALLOWED_NETWORKS``; then whoever satisfies every one of them that is set.

The token is a shared secret Prometheus sends as ``Authorization: Bearer <token>``; it is
compared in constant time (as SHA-256 digests, so its length does not show either). The
client's address is the connection's, or, behind proxies, the ``X-Forwarded-For`` entry
``NUM_PROXIES`` hops back (the setting throttling uses); a header with fewer entries than
that was not written by the proxies and is refused.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("bubble_backend.ops")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: what ``refusal`` answers: the status, and why (for the server log)
NOT_CONFIGURED = 404
FORBIDDEN = 403


def refusal(request: HttpRequest) -> int | None:
    """None if ``request`` may read the metrics, else the status to answer: 404 while
    metrics are off, 403 when a configured check fails."""
    token = settings.BUBBLE_METRICS_TOKEN
    networks = allowed_networks(tuple(settings.BUBBLE_METRICS_ALLOWED_NETWORKS))
    if not token and not networks:
        return NOT_CONFIGURED
    address = client_address(request)
    if networks and (address is None or not any(address in n for n in networks)):
        logger.warning("/metrics refused to %s: not in BUBBLE_METRICS_ALLOWED_NETWORKS", address)
        return FORBIDDEN
    if token and not token_matches(request.META.get("HTTP_AUTHORIZATION", ""), token):
        logger.warning("/metrics refused to %s: no or wrong bearer token", address)
        return FORBIDDEN
    return None


def token_matches(header: str, token: str) -> bool:
    scheme, _, sent = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(_digest(sent.strip()), _digest(token))


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


@functools.lru_cache(maxsize=4)
def allowed_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of ``cidrs`` (checked when the settings load)."""
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def client_address(request: HttpRequest) -> Address | None:
    """The client's address as far as it can be trusted, None when it cannot be known."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded is not None:
        entries = [entry.strip() for entry in forwarded.split(",")]
        if len(entries) < proxies:
            return None
        text = entries[-proxies]
    else:
        text = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address
