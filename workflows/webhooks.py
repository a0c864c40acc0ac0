"""Signed webhooks: a workflow that only runs for requests signed with a shared secret.

A workflow's ``webhook`` mapping names an operator secret (never the value) and a scheme:

* ``stripe`` — Stripe's scheme exactly: ``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=...]``,
  each ``v1`` an HMAC-SHA256 of ``"{t}.{raw body}"``; any one ``v1`` may match.
* ``hmac`` — the usual shapes (GitHub, Shopify, Slack...): an HMAC of the raw body (or of
  ``payload`` built from a timestamp header and the body) in ``header``, hex or base64,
  optionally after a ``prefix`` such as ``sha256=``.

Checked against the raw body, before anything parses it, in constant time. Replays are
refused twice over: a timestamp further than ``tolerance`` seconds from now, and a
signature already accepted in the last ``2 × tolerance`` seconds (remembered with Django's
cache ``add``, so a shared cache such as Redis is needed for several servers to share it).
A refusal is 401 ``UNAUTHENTICATED``, a warning on the ``workflows.webhooks`` logger and a
failed ``Run`` in the Runs log — never with the body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from . import secrets
from .choices import RunSource, RunStatus
from .exceptions import Unauthenticated, WorkflowError
from .models import Run, Workflow

if TYPE_CHECKING:  # the compiler reads this module's checks
    from .engine.compiler import CompiledWorkflow

logger = logging.getLogger("workflows.webhooks")

SCHEMES = ("stripe", "hmac")
ALGORITHMS: dict[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}
ENCODINGS = ("hex", "base64")
DEFAULT_TOLERANCE = 300
MAX_TOLERANCE = 86_400
STRIPE_HEADER = "Stripe-Signature"
MAX_SIGNATURES = 16  # v1 entries considered in one Stripe-Signature header

_COMMON_KEYS = ("secret", "scheme", "tolerance")
_HMAC_KEYS = ("header", "algorithm", "encoding", "prefix", "timestamp_header", "payload")
KEYS = {"stripe": _COMMON_KEYS, "hmac": _COMMON_KEYS + _HMAC_KEYS}
DEFAULT_PAYLOAD = "{timestamp}.{body}"


class WebhookRejected(Unauthenticated):
    """A request to a signed workflow whose signature is missing, wrong, stale or replayed."""


@dataclass(frozen=True)
class WebhookSpec:
    """A validated ``webhook`` mapping."""

    secret: str
    scheme: str
    tolerance: int = DEFAULT_TOLERANCE
    header: str = STRIPE_HEADER
    algorithm: str = "sha256"
    encoding: str = "hex"
    prefix: str = ""
    timestamp_header: str = ""
    payload: str = DEFAULT_PAYLOAD


# --- validation (when a workflow is saved) ------------------------------------------------


class WebhookConfigError(ValueError):
    """A ``webhook`` mapping is invalid; ``problems`` are ``(key or None, message)``."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


def check(config: Any) -> list[tuple[str | None, str]]:
    """Problems with a ``webhook`` mapping, including an unknown secret name; [] if valid."""
    try:
        parse(config, check_secret=True)
    except WebhookConfigError as exc:
        return exc.problems
    return []


def parse(config: Any, *, check_secret: bool = False) -> WebhookSpec:
    """A ``WebhookSpec`` from a mapping; ``WebhookConfigError`` lists every problem."""
    if not isinstance(config, Mapping):
        raise WebhookConfigError(
            [(None, "must be a mapping such as {secret: STRIPE_WEBHOOK_SECRET, scheme: stripe}")]
        )
    problems: list[tuple[str | None, str]] = []
    scheme = config.get("scheme")
    if scheme not in SCHEMES:
        problems.append(("scheme", f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}"))
        raise WebhookConfigError(problems)
    for key in config:
        if key not in KEYS[scheme]:
            problems.append(
                (
                    str(key),
                    f"unknown key {key!r} (keys of scheme {scheme}: {', '.join(KEYS[scheme])})",
                )
            )
    secret = config.get("secret")
    if not isinstance(secret, str) or not secrets.NAME_RE.match(secret):
        problems.append(
            (
                "secret",
                "secret must be the NAME of an operator secret (not its value), "
                "e.g. STRIPE_WEBHOOK_SECRET",
            )
        )
    elif check_secret and secret not in (names := secrets.secret_names()):
        problems.append(("secret", _unknown_secret(secret, names)))
    tolerance = config.get("tolerance", DEFAULT_TOLERANCE)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int)
        or not (1 <= tolerance <= MAX_TOLERANCE)
    ):
        problems.append(("tolerance", f"tolerance must be whole seconds from 1 to {MAX_TOLERANCE}"))
        tolerance = DEFAULT_TOLERANCE
    fields: dict[str, Any] = {}
    if scheme == "hmac":
        fields = _hmac_fields(config, problems)
    if problems:
        raise WebhookConfigError(problems)
    return WebhookSpec(secret=secret, scheme=scheme, tolerance=tolerance, **fields)


def _unknown_secret(secret: str, names: list[str]) -> str:
    """The message for a secret name that does not exist, never repeating a value pasted
    where the name belongs."""
    known = ", ".join(names) or "none"
    if secret in secrets.secret_values():
        return f"this is the value of a secret, not its name: give its NAME (secrets: {known})"
    return (
        f"no operator secret named {secret!r}: set {secrets.ENV_PREFIX}{secret} or add it "
        f"under Secrets in the admin (secrets: {known})"
    )


def _hmac_fields(config: Mapping[str, Any], problems: list) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    header = config.get("header")
    if not isinstance(header, str) or not _is_header_name(header):
        problems.append(
            (
                "header",
                "header is required: the request header holding the "
                "signature, e.g. X-Hub-Signature-256",
            )
        )
    else:
        fields["header"] = header
    algorithm = config.get("algorithm", "sha256")
    if not isinstance(algorithm, str) or algorithm not in ALGORITHMS:
        problems.append(
            ("algorithm", f"algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
        )
    else:
        fields["algorithm"] = algorithm
    encoding = config.get("encoding", "hex")
    if encoding not in ENCODINGS:
        problems.append(
            ("encoding", f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
        )
    else:
        fields["encoding"] = encoding
    prefix = config.get("prefix", "")
    if not isinstance(prefix, str):
        problems.append(("prefix", 'prefix must be text, e.g. "sha256="'))
    else:
        fields["prefix"] = prefix
    timestamp_header = config.get("timestamp_header") or ""
    if timestamp_header and (
        not isinstance(timestamp_header, str) or not _is_header_name(timestamp_header)
    ):
        problems.append(("timestamp_header", "timestamp_header must be a header name"))
    else:
        fields["timestamp_header"] = timestamp_header
    payload = config.get("payload")
    if payload is not None:
        if not timestamp_header:
            problems.append(
                ("payload", "payload needs a timestamp_header (else the body is signed)")
            )
        elif not isinstance(payload, str) or not _is_payload_template(payload):
            problems.append(
                (
                    "payload",
                    "payload must contain {body} and {timestamp} and no other {...}, "
                    'e.g. "v0:{timestamp}:{body}"',
                )
            )
        else:
            fields["payload"] = payload
    return fields


def _is_header_name(name: str) -> bool:
    return bool(name) and len(name) <= 100 and all(c.isalnum() or c in "-_" for c in name)


def _is_payload_template(template: str) -> bool:
    rest = template.replace("{body}", "", 1).replace("{timestamp}", "", 1)
    return (
        "{body}" in template and "{timestamp}" in template and "{" not in rest and "}" not in rest
    )


# --- verification (on every request) ------------------------------------------------------


def verify_webhook(
    workflow: Workflow | CompiledWorkflow, request: Any, *, now: float | None = None
) -> None:
    """Refuse (401, logged, a failed run) a request to a signed workflow unless it carries a
    valid, fresh, unused signature of its raw body; do nothing for unsigned workflows."""
    if not workflow.webhook:
        return
    django_request: HttpRequest = getattr(request, "_request", request)
    try:
        _verify(workflow, django_request, time.time() if now is None else now)
    except WebhookRejected as exc:
        _record_rejection(workflow, django_request, exc.message)
        raise


def _verify(workflow: Workflow | CompiledWorkflow, request: HttpRequest, now: float) -> None:
    try:
        spec = parse(workflow.webhook)
        key = secrets.get_secret(spec.secret).encode()
    except (WebhookConfigError, WorkflowError) as exc:
        logger.error("webhook of workflow %s cannot be checked: %s", workflow.name, exc)
        raise WebhookRejected(
            "the webhook signature cannot be checked (server configuration)"
        ) from None
    if not key:
        logger.error("webhook of workflow %s: secret %s is empty", workflow.name, spec.secret)
        raise WebhookRejected("the webhook signature cannot be checked (server configuration)")
    body = request.body
    if spec.scheme == "stripe":
        digest = _verify_stripe(spec, key, request, body, now)
    else:
        digest = _verify_hmac(spec, key, request, body, now)
    _refuse_replay(workflow, spec, digest)


def _verify_stripe(
    spec: WebhookSpec, key: bytes, request: HttpRequest, body: bytes, now: float
) -> bytes:
    header = request.headers.get(STRIPE_HEADER)
    if not header:
        raise WebhookRejected(f"missing {STRIPE_HEADER} header")
    timestamp: str | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1" and len(signatures) < MAX_SIGNATURES:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejected(f"malformed {STRIPE_HEADER} header: expected t=...,v1=...")
    _check_time(timestamp, spec.tolerance, now)
    expected = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).digest()
    expected_hex = expected.hex().encode()
    # every candidate is compared (no early exit), each in constant time
    matched = False
    for signature in signatures:
        matched |= hmac.compare_digest(expected_hex, signature.strip().lower().encode())
    if not matched:
        raise WebhookRejected("no signature matches the request body")
    return expected


def _verify_hmac(
    spec: WebhookSpec, key: bytes, request: HttpRequest, body: bytes, now: float
) -> bytes:
    header = request.headers.get(spec.header)
    if not header:
        raise WebhookRejected(f"missing {spec.header} header")
    signed = body
    if spec.timestamp_header:
        timestamp = request.headers.get(spec.timestamp_header)
        if not timestamp:
            raise WebhookRejected(f"missing {spec.timestamp_header} header")
        _check_time(timestamp, spec.tolerance, now)
        before, _, after = spec.payload.partition("{body}")
        signed = (
            before.replace("{timestamp}", timestamp).encode()
            + body
            + after.replace("{timestamp}", timestamp).encode()
        )
    expected = hmac.new(key, signed, ALGORITHMS[spec.algorithm]).digest()
    given = header.strip()
    if spec.prefix:
        if not given.startswith(spec.prefix):
            raise WebhookRejected(f"the {spec.header} header does not start with {spec.prefix!r}")
        given = given[len(spec.prefix) :]
    try:
        given_bytes = (
            bytes.fromhex(given)
            if spec.encoding == "hex"
            else base64.b64decode(given, validate=True)
        )
    except (ValueError, binascii.Error):
        raise WebhookRejected(f"the {spec.header} header is not {spec.encoding}") from None
    if not hmac.compare_digest(expected, given_bytes):
        raise WebhookRejected("the signature does not match the request body")
    return expected


def _check_time(timestamp: str, tolerance: int, now: float) -> None:
    try:
        sent = int(timestamp.strip())
    except ValueError:
        raise WebhookRejected("the signature timestamp is not a whole number of seconds") from None
    if abs(now - sent) > tolerance:
        raise WebhookRejected(
            f"the signature timestamp is more than {tolerance} s away from the server's clock "
            "(too old: a replay, or clocks out of sync)"
        )


def _refuse_replay(workflow: Workflow | CompiledWorkflow, spec: WebhookSpec, digest: bytes) -> None:
    """Remember each accepted signature for twice the tolerance (a timestamp may be up to
    ``tolerance`` ahead or behind); ``add`` is atomic, so of two identical requests racing,
    one wins."""
    fingerprint = hashlib.sha256(digest).hexdigest()
    key = f"bubble:webhook:{workflow.pk}:{fingerprint}"
    if not cache.add(key, 1, timeout=2 * spec.tolerance + 1):
        raise WebhookRejected("this signature was already used (a replayed request)")


def _record_rejection(
    workflow: Workflow | CompiledWorkflow, request: HttpRequest, reason: str
) -> None:
    """A warning and a failed run, so builders see refused calls in the Runs log; never
    the body or the signature."""
    address = request.META.get("REMOTE_ADDR", "")
    logger.warning(
        "webhook refused: workflow=%s remote=%s reason=%s", workflow.name, address, reason
    )
    now = timezone.now()
    Run.objects.create(
        workflow_id=workflow.pk,  # a deployed version's workflow: development's row, or none
        workflow_name=workflow.name,
        workflow_revision=workflow.revision,
        source=RunSource.API,
        status=RunStatus.FAILED,
        params={},
        error_code=WebhookRejected.code,
        error_message=f"webhook signature refused: {reason}",
        started_at=now,
        finished_at=now,
        duration_ms=0,
    )
