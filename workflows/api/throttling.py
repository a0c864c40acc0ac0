"""Request throttling for every API view (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``).

Two budgets, both DRF ``SimpleRateThrottle`` (a sliding window kept in Django's default
cache):

* ``KeyRateThrottle`` (rate ``key``, env ``BUBBLE_THROTTLE_KEY``): requests made with an
  API key, counted per key (by its prefix, unique and not secret);
* ``AddressRateThrottle`` (rate ``address``, env ``BUBBLE_THROTTLE_ADDRESS``): requests
  without a key, counted per client address (DRF's ``get_ident``: ``REMOTE_ADDR``, or the
  ``X-Forwarded-For`` entry ``NUM_PROXIES`` hops back when behind proxies).

A keyed caller is held to its key's budget only, so an integrator's server behind one
address is not capped by the anonymous limit. A rate of ``0``, ``off`` or empty turns a
budget off. Rates are read from settings on each request, so tests can change them.

The counters live in the default cache: Redis when ``REDIS_URL`` is set (one budget shared
by every process), else per-process local memory (each server process counts on its own,
so the effective limit is the rate times the number of processes).
"""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

DISABLED = frozenset({"", "0", "off", "none"})


def configured_rate(scope: str) -> str | None:
    """The rate of ``scope`` in ``DEFAULT_THROTTLE_RATES``; None when it is off."""
    rate = str(api_settings.DEFAULT_THROTTLE_RATES.get(scope) or "").strip()
    if rate.lower() in DISABLED or rate.split("/")[0] == "0":
        return None  # "0/min" is off too: refusing everything is not a rate
    return rate


class _SettingsRateThrottle(SimpleRateThrottle):
    """Reads its rate from ``DEFAULT_THROTTLE_RATES`` when used, not when imported."""

    def get_rate(self) -> str | None:
        return configured_rate(self.scope)


class KeyRateThrottle(_SettingsRateThrottle):
    scope = "key"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        prefix = getattr(request.auth, "prefix", None)
        if not prefix:
            return None  # no key: AddressRateThrottle counts it
        return self.cache_format % {"scope": self.scope, "ident": prefix}


class AddressRateThrottle(_SettingsRateThrottle):
    scope = "address"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if getattr(request.auth, "prefix", None):
            return None  # keyed: KeyRateThrottle counts it
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def rate_problems() -> list[str]:
    """What is wrong with the configured rates (for the system check)."""
    problems = []
    for scope in (KeyRateThrottle.scope, AddressRateThrottle.scope):
        rate = configured_rate(scope)
        if rate is None:
            continue
        number, _, period = rate.partition("/")
        if not number.isdigit() or period[:1] not in ("s", "m", "h", "d"):
            problems.append(f"the {scope!r} throttle rate {rate!r} is not N/period.")
    return problems
