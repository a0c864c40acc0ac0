"""Operator secrets: encrypted at rest, read by name, never listed to expressions.

Two sources, the environment winning:

* ``BUBBLE_SECRET_<NAME>`` environment variables (read-only in the admin);
* ``Secret`` rows written from the admin or ``set_secret``, their value encrypted with
  Fernet (AES-128-CBC + HMAC-SHA256).

The Fernet key is derived with HKDF-SHA256 from ``BUBBLE_SECRETS_KEY`` when the operator
sets one, else from Django's ``SECRET_KEY``: the database alone (a backup, a leaked dump)
never reveals a value. Decryption also tries every further key (``BUBBLE_SECRETS_KEY``'s
later entries, then ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``), so a new key can be put
first without losing what the old one encrypted; ``reencrypt_all`` (``manage.py
rotate_secrets``) then moves every value to the first key.

``generation()`` changes whenever a value may have changed, so the masking cache
(``workflows.masking``) knows to rebuild.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import conf
from .exceptions import WorkflowError
from .models import Secret

ENV_PREFIX = "BUBBLE_SECRET_"
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HKDF_SALT = b"bubble-backend"
_HKDF_INFO = b"workflows.secrets v1"


class UnknownSecret(WorkflowError):
    """No secret of that name in the environment or the database."""


class UnreadableSecret(WorkflowError):
    """A stored value that none of the configured keys decrypts (the key was changed)."""


# --- encryption ---------------------------------------------------------------------------


def _key_material() -> tuple[str, ...]:
    """The configured keys, first one encrypting: BUBBLE_SECRETS_KEY's, then Django's."""
    configured = conf.get("SECRETS_KEY") or []
    if isinstance(configured, str):
        configured = configured.split(",")
    django_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [k.strip() for k in (*configured, *django_keys) if k and k.strip()]
    return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=8)
def _fernet_for(material: tuple[str, ...]) -> MultiFernet:
    """One Fernet per key, each key stretched to 32 bytes with HKDF-SHA256 (a passphrase
    or Django's SECRET_KEY is not itself a Fernet key)."""
    if not material:
        raise WorkflowError("no encryption key: set SECRET_KEY or BUBBLE_SECRETS_KEY")
    fernets = []
    for key in material:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO
        ).derive(key.encode())
        fernets.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    return _fernet_for(_key_material())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str, name: str = "?") -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret(
            f"secret {name!r} cannot be decrypted with the configured keys (was SECRET_KEY "
            "or BUBBLE_SECRETS_KEY changed? see docs/secrets.md); set it again"
        ) from None


# --- change tracking ----------------------------------------------------------------------

_generation = 0
_generation_lock = threading.Lock()


def generation() -> int:
    """A number that changes whenever a secret may have changed in this process."""
    return _generation


def invalidate() -> None:
    """Tell caches (the masking regex) that secrets changed; call after editing the
    environment at run time (tests)."""
    global _generation
    with _generation_lock:
        _generation += 1


@receiver(post_save, sender=Secret)
@receiver(post_delete, sender=Secret)
def _secret_changed(**kwargs: Any) -> None:
    invalidate()
    transaction.on_commit(invalidate)  # a rollback or commit changes what others read


# --- reading and writing ------------------------------------------------------------------


def env_secrets() -> dict[str, str]:
    """``BUBBLE_SECRET_<NAME>`` variables by NAME (names that are not identifiers are
    ignored: expressions could not name them)."""
    found = {}
    for variable, value in os.environ.items():
        if variable.startswith(ENV_PREFIX):
            name = variable[len(ENV_PREFIX) :]
            if NAME_RE.match(name):
                found[name] = value
    return found


def get_secret(name: str) -> str:
    """The value of secret ``name``: the environment's, else the admin's (decrypted)."""
    value = env_secrets().get(name)
    if value is None:
        row = Secret.objects.filter(name=name).only("encrypted_value").first()
        if row is None:
            raise UnknownSecret(f"no secret named {name!r}")
        value = decrypt(row.encrypted_value, name)
    _learn(value)
    return value


def secret_names() -> list[str]:
    """Every secret's name, environment and admin alike (names are not secret)."""
    return sorted(set(env_secrets()) | set(Secret.objects.values_list("name", flat=True)))


def secret_values() -> list[str]:
    """Every readable value, for masking; unreadable rows are skipped (nothing to mask)."""
    env = env_secrets()
    values = list(env.values())
    for name, token in Secret.objects.values_list("name", "encrypted_value"):
        if name in env:
            continue
        try:
            values.append(decrypt(token, name))
        except UnreadableSecret:
            continue
    return [v for v in values if v]


def set_secret(name: str, value: str, description: str | None = None) -> Secret:
    """Store (create or replace) an admin secret, encrypted; the description is kept when
    None. Refused for a name the environment defines, which would hide it."""
    if not NAME_RE.match(name or ""):
        raise ValueError("a secret name uses letters, digits and _, not starting with a digit")
    if name in env_secrets():
        raise ValueError(f"{name} is set by the environment ({ENV_PREFIX}{name}); it wins")
    row = Secret.objects.filter(name=name).first() or Secret(name=name)
    row.encrypted_value = encrypt(value)
    if description is not None:
        row.description = description
    row.save()
    return row


def delete_secret(name: str) -> bool:
    """Delete an admin secret; True if there was one."""
    deleted = False
    for row in Secret.objects.filter(name=name):
        row.delete()
        deleted = True
    return deleted


def reencrypt_all() -> int:
    """Re-encrypt every stored value with the first configured key; the number rewritten."""
    fernet = _fernet()
    count = 0
    with transaction.atomic():
        for row in Secret.objects.select_for_update():
            try:
                row.encrypted_value = fernet.rotate(row.encrypted_value.encode()).decode()
            except InvalidToken:
                raise UnreadableSecret(
                    f"secret {row.name!r} cannot be decrypted with the configured keys; "
                    "nothing was re-encrypted"
                ) from None
            row.save(update_fields=["encrypted_value", "updated_at"])
            count += 1
    return count


# --- what expressions see -----------------------------------------------------------------

_known: frozenset[str] = frozenset()


def _learn(value: str) -> None:
    """A value read that the masking cache may not know yet (set in another process
    since it was built): make it rebuild before the value can reach a log."""
    if value and value not in _known:
        invalidate()


def remember_known(values: Iterable[str]) -> None:
    """Called by the masking cache with the values it masks."""
    global _known
    _known = frozenset(values)


class SecretScope:
    """``secrets`` in expressions: ``secrets.NAME`` reads one secret, nothing more.

    No attributes, no iteration, no length, no listing: a value is only reachable by its
    literal name, which ``expressions`` checks when the workflow is saved. Values read are
    kept for the run so a secret used in every step is decrypted once.
    """

    __slots__ = ("_read",)

    def __init__(self) -> None:
        self._read: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = get_secret(name)
        return self._read[name]

    def __iter__(self) -> Any:
        raise TypeError("secrets cannot be listed; name one: secrets.NAME")

    def __repr__(self) -> str:
        return "<secrets>"
