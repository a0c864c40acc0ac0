"""Masking secrets in run logs and error messages: operator secrets and secret parameters.

Every string written to the run log (``serialize.to_log``), every step error and every
run error goes through ``mask_text``, which replaces each secret value with ``MASK``:

* operator secrets (``workflows.secrets``): one regex over all values, longest first,
  compiled once and rebuilt when ``secrets.generation()`` changes (a save or delete in this
  process, a value read that it did not know) or after ``REFRESH_SECONDS`` (changes made
  by another process);
* the values of the current run's ``secret: true`` parameters, added for the length of the
  run by ``coerce_params`` (so a custom event's secret parameters count too);
* values *learned* during the run: text of at least ``MIN_LEARNED_LENGTH`` characters
  found under a key named as a secret (a parameter ``api_token``, an ``Authorization``
  header, a response's ``access_token``: ``is_secret_name``), so the same value copied
  into ``return_data`` or a ``log`` message is masked too, not only where its key gives it
  away. Numbers, short text and keys that merely contain a secret word (``max_tokens``)
  teach nothing, and at most ``MAX_LEARNED`` values are learned per run: a response
  listing many "tokens" can neither slow the log down nor blank it out.

Values shorter than ``MIN_SUBSTRING_LENGTH`` are masked only where a whole string equals
them: masking every "42" inside longer text would destroy the log without protecting much.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from time import monotonic as _clock  # bound at import: code faking time.monotonic is unaffected
from typing import Any, TypeVar

from django.db import DatabaseError, transaction

from . import conf, secrets
from .engine.params import ParamSpec
from .engine.params import coerce_params as _coerce_params
from .exceptions import WorkflowError

MASK = "********"
MIN_SUBSTRING_LENGTH = 4
REFRESH_SECONDS = 5.0
MIN_LEARNED_LENGTH = 8
MAX_LEARNED = 100
#: the words that make a key name a secret's (``access_token``, ``X-Auth-Token``)
SECRET_WORDS = frozenset({"password", "passwd", "secret", "token", "apikey", "credential"})

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Masker:
    """Replaces known values: whole strings by set lookup, substrings by one regex."""

    exact: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None

    @classmethod
    def of(cls, values: Iterable[str]) -> Masker:
        exact = frozenset(v for v in values if v)
        long = sorted((v for v in exact if len(v) >= MIN_SUBSTRING_LENGTH), key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, long))) if long else None
        return cls(exact, pattern)

    def __bool__(self) -> bool:
        return bool(self.exact)

    def text(self, value: str) -> str:
        if not self.exact:
            return value
        if value in self.exact:
            return MASK
        return self.pattern.sub(MASK, value) if self.pattern is not None else value

    def plus(self, values: Iterable[str]) -> Masker:
        return Masker.of(self.exact | frozenset(values))


# --- operator secrets: one cached masker per process --------------------------------------

_cache: tuple[int, float, Masker] | None = None
_cache_lock = threading.Lock()


def operator_masker() -> Masker:
    """The masker of every operator secret, rebuilt when secrets changed or went stale."""
    global _cache
    if (fresh := _fresh()) is not None:
        return fresh
    with _cache_lock:
        if (fresh := _fresh()) is not None:  # another thread rebuilt it meanwhile
            return fresh
        generation, now = secrets.generation(), _clock()
        try:
            with transaction.atomic():  # a savepoint: a failure leaves the run's transaction
                values = secrets.secret_values()
        except DatabaseError:  # no table yet (before migrate): the environment's only
            values = [v for v in secrets.env_secrets().values() if v]
        masker = Masker.of(values)
        secrets.remember_known(masker.exact)
        _cache = (generation, now, masker)
        return masker


def _fresh() -> Masker | None:
    cached = _cache
    if cached is None or cached[0] != secrets.generation():
        return None
    return cached[2] if _clock() - cached[1] < REFRESH_SECONDS else None


def clear() -> None:
    """Forget the cached masker (tests that change secrets behind the signals' back)."""
    global _cache
    _cache = None


# --- secret parameters: values added for the length of a run ------------------------------


class _RunValues:
    """The secret parameter values of one run (and of the custom events it calls)."""

    __slots__ = ("values", "learned", "_masker", "_base")

    def __init__(self, values: Iterable[str] = (), learned: int = 0) -> None:
        self.values: set[str] = set(values)
        self.learned = learned
        self._masker: Masker | None = None
        self._base: Masker | None = None

    def add(self, values: Iterable[str]) -> None:
        new = {v for v in values if v} - self.values
        if new:
            self.values |= new
            self._masker = None

    def masker(self, base: Masker) -> Masker:
        if self._masker is None or self._base is not base:
            self._masker = base.plus(self.values)
            self._base = base
        return self._masker


_run_values: ContextVar[_RunValues | None] = ContextVar("bubble_secret_params", default=None)


@contextmanager
def run_scope() -> Iterator[None]:
    """Secret parameter values registered inside are masked until the block ends; a nested
    scope starts with the values of the one around it."""
    outer = _run_values.get()
    token = _run_values.set(
        _RunValues(outer.values, outer.learned) if outer is not None else _RunValues()
    )
    try:
        yield
    finally:
        _run_values.reset(token)


def masked_run(func: F) -> F:
    """Decorate a function that runs a workflow: it runs inside its own ``run_scope``."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with run_scope():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_masker() -> Masker:
    """Operator secrets plus the current run's secret parameter values."""
    base = operator_masker()
    scope = _run_values.get()
    if scope is None or not scope.values:
        return base
    return scope.masker(base)


def mask_text(text: str) -> str:
    """``text`` with every known secret value replaced by ``MASK``."""
    return current_masker().text(text) if text else text


def learn(value: Any) -> bool:
    """Mask ``value`` (text, or a list of texts) by value for the rest of the run, if it
    looks like a secret's: text of ``MIN_LEARNED_LENGTH`` characters or more, up to
    ``MAX_LEARNED`` values a run. Whether anything was new; outside a run there is nothing
    to remember it in."""
    scope = _run_values.get()
    if scope is None or scope.learned >= MAX_LEARNED:
        return False
    items = value if isinstance(value, list | tuple) else [value]
    new = [
        item
        for item in items[:MAX_LEARNED]
        if isinstance(item, str) and len(item) >= MIN_LEARNED_LENGTH and item not in scope.values
    ][: MAX_LEARNED - scope.learned]
    if not new:
        return False
    scope.learned += len(new)
    scope.add(new)
    return True


def mask_in_run(*values: Any) -> None:
    """Mask these values wherever they appear in the rest of this run's log, whatever key
    holds them and however short the run's learned budget: a credential an action just
    made (a user token, a temporary password, a password-reset link). Outside a run there
    is no log to keep them from."""
    scope = _run_values.get()
    if scope is not None:
        scope.add(v for v in values if isinstance(v, str) and v)


def masked_keys() -> frozenset[str]:
    return _lowered(tuple(conf.get("MASKED_KEYS")))


# Every run asks these of the same few keys many times (each logged value's keys): the
# answers depend only on the key and the setting, so each is worked out once.
@functools.lru_cache(maxsize=8)
def _lowered(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(k.lower() for k in keys)


def is_secret_key(key: str, masked: frozenset[str] | None = None) -> bool:
    """Whether a key's value is masked where it appears, by its name: a ``MASKED_KEYS``
    entry, or a name containing "password", "secret" or "token" (when those are listed).
    Generous on purpose: hiding a ``max_tokens`` count costs little."""
    return _is_secret_key(key, masked_keys() if masked is None else masked)


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: str, masked: frozenset[str]) -> bool:
    lowered = key.lower()
    return lowered in masked or any(
        part in lowered for part in ("password", "secret", "token") if part in masked
    )


_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_secret_name(key: str) -> bool:
    """Whether a key names a secret value, word by word (``access_token``, ``X-Auth-Token``,
    ``clientSecret``; not ``max_tokens`` or ``secretary``): the stricter test for learning
    a value to mask everywhere (``learn``)."""
    return _is_secret_name(key, masked_keys())


@functools.lru_cache(maxsize=4096)
def _is_secret_name(key: str, masked: frozenset[str]) -> bool:
    lowered = key.lower()
    if lowered in masked - {"token", "secret", "password"}:
        return True  # whole names listed: authorization, x-api-key, cookie...
    words = [w.lower() for w in _WORD.findall(key)]
    joined = {a + b for a, b in zip(words, words[1:], strict=False)}  # api + key
    return bool(SECRET_WORDS & (set(words) | joined))


# --- coercing parameters without echoing secret ones --------------------------------------


def coerce_params(
    specs: Sequence[ParamSpec], raw: Mapping[str, Any], **options: Any
) -> dict[str, Any]:
    """``engine.params.coerce_params`` (same arguments), registering the values of secret
    parameters for masking (``secret: true``: every value; named like a secret, such as
    ``api_token``: learned, see ``learn``) and never repeating one in an error."""
    declared = [spec for spec in specs if spec.secret]
    named = [spec for spec in specs if not spec.secret and is_secret_name(spec.key)]
    if not declared and not named:
        return _coerce_params(specs, raw, **options)
    scope = _run_values.get()
    if scope is not None:
        scope.add(_texts(raw.get(spec.key) for spec in declared))
        for spec in named:
            learn(raw.get(spec.key))
    try:
        values = _coerce_params(specs, raw, **options)
    except WorkflowError as exc:
        spec = next((s for s in (*declared, *named) if s.key == exc.parameter), None)
        if spec is not None and exc.code == "INVALID_PARAMETER":
            exc.message = (
                f"parameter {spec.key!r} is not valid: expected {_expected(spec)} "
                "(the value is not shown: the parameter is secret)"
            )
            exc.args = (exc.message,)
        raise
    if scope is not None:
        scope.add(_texts(values.get(spec.key) for spec in declared))
    return values


def _texts(values: Iterable[Any]) -> list[str]:
    """How secret values can appear in text: each item of a list, as ``str()``."""
    out: list[str] = []
    for value in values:
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                out.append(str(item))
    return out


def _expected(spec: ParamSpec) -> str:
    what = spec.param_type.expected
    if spec.data_type:
        what = f"the id of a {spec.data_type}"
    return f"a list of {what}" if spec.is_list else what
