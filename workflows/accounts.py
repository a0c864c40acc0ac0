"""User accounts: emails, passwords and log-ins, for the account actions and every path
that writes a user (``create_thing``, the Data API).

* **Emails** are unique case-insensitively; the account actions store them in lower case,
  as Bubble does. Every save of a user checks it (``check_email_unique``, called by
  ``actions.data.save_thing``), whatever path wrote it, and a unique index on the
  lower-cased email (``EMAIL_UNIQUE_CONSTRAINT``) stops two saves at the same moment.
* **Passwords** go through Django's hashers (``set_password``) and
  ``AUTH_PASSWORD_VALIDATORS``; a refused one names the rule. A new user given none gets an
  unusable password: it cannot log in until one is set.
* **Log-ins** fail with one message whether the email or the password was wrong, after the
  same work (the hasher runs for unknown emails too), and failed ones are counted per email
  and per client address (``failed_logins``, in Django's cache): past the budget, every
  attempt is refused until the window has room again. Password reset emails have their
  own budget (``reset_emails``), counted on every one asked for.

See docs/security.md#user-accounts.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from . import conf
from .exceptions import InvalidData, LoginFailed, TooManyAttempts, WorkflowError

#: the one message of a failed log-in: it never says which of the two was wrong
LOGIN_FAILED = "the email or the password is wrong"
#: the field a new user's password is given in (create_thing, the Data API), then hashed
PASSWORD_FIELD = "password"  # noqa: S105 - a field's name, not a password
#: characters of a temporary password (assign_temp_password)
TEMP_PASSWORD_LENGTH = 16


def user_model() -> type[models.Model]:
    return get_user_model()


def is_user_model(model: type[models.Model]) -> bool:
    return model is get_user_model()


def email_field() -> str:
    return get_user_model().get_email_field_name()


# --- emails -------------------------------------------------------------------------------


def normalize_email(value: Any, key: str = "email") -> str:
    """``value`` as an account's email: text, trimmed, in lower case, a valid address."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidData(f"{key}: an email address is required", field=email_field())
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        message = f"{key}: {value!r} is not a valid email address"
        raise InvalidData(message, field=email_field()) from None
    return email


def email_taken(email: str, *, exclude: Any = None) -> bool:
    """Whether another user has ``email``, in any case."""
    users = get_user_model()._default_manager.filter(**{f"{email_field()}__iexact": email})
    if exclude is not None and exclude.pk is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def email_taken_message(email: str) -> str:
    return f"there is already a user with the email {email!r}"


def check_email_unique(user: models.Model, changed: Iterable[str] | None = None) -> None:
    """Refuse (``ValidationError`` on the email field) a user whose email another user has,
    in any case. ``changed``: the fields being written to an existing user (None: all)."""
    name = email_field()
    if not user._state.adding and changed is not None and name not in set(changed):
        return
    email = getattr(user, name, "") or ""
    if email and email_taken(email, exclude=user):
        raise ValidationError({name: [email_taken_message(email)]})


#: the database's guard behind ``check_email_unique`` (made by migration
#: 0012_user_email_unique), for two sign-ups with one email at the same moment: a unique
#: index on the lower-cased email, blank emails left out
EMAIL_UNIQUE_CONSTRAINT = "bubble_user_email_unique_ci"


def is_email_clash(exc: Exception) -> bool:
    """Whether a database refusal is the email index's (a sign-up that lost a race)."""
    return EMAIL_UNIQUE_CONSTRAINT in str(exc)


def default_username(email: str) -> str:
    """A username for a user signed up by email: the email where it fits the username field,
    else a unique made-up one (the email is what logs in)."""
    model = get_user_model()
    if fits_as_username(email):
        taken = model._default_manager.filter(**{model.USERNAME_FIELD: email}).exists()
        if not taken:
            return email
    return made_up_username()


def fits_as_username(email: str) -> bool:
    """Whether ``email`` is a valid username as it is (the field's validators and length)."""
    model = get_user_model()
    field = model._meta.get_field(model.USERNAME_FIELD)
    try:
        field.run_validators(email)
    except ValidationError:
        return False
    return len(email) <= (field.max_length or len(email))


def made_up_username() -> str:
    return f"user-{random_text(12).lower()}"


# --- passwords ----------------------------------------------------------------------------


def set_new_password(user: models.Model, password: Any, *, key: str = "password") -> None:
    """Hash ``password`` onto ``user`` once ``AUTH_PASSWORD_VALIDATORS`` accept it; None or
    empty gives an unusable password (no log-in until one is set). A refusal names the
    rule: ``password: This password is too short. ...``."""
    if password is None or password == "":
        user.set_unusable_password()
        return
    if not isinstance(password, str):
        raise InvalidData(f"{key}: expected text", field=PASSWORD_FIELD)
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidData(f"{key}: {' '.join(exc.messages)}", field=PASSWORD_FIELD) from None
    user.set_password(password)


def random_text(length: int) -> str:
    from django.utils.crypto import get_random_string

    return get_random_string(length)


def temporary_password() -> str:
    """A random password for ``assign_temp_password`` (letters and digits, 16 of them)."""
    return random_text(TEMP_PASSWORD_LENGTH)


# --- logging in ---------------------------------------------------------------------------


def user_for_credentials(email: str, password: str) -> Any:
    """The active user whose email (in any case) and password these are, or None: after the
    same work either way, so the time taken does not tell an unknown email from a wrong
    password (as Django's ``ModelBackend`` does)."""
    model = get_user_model()
    candidates = list(
        model._default_manager.filter(**{f"{email_field()}__iexact": email}).order_by("pk")[:5]
    )
    found = None
    for user in candidates:
        if not user.has_usable_password():
            model().set_password(password)  # the hasher's work, as for a wrong password
        elif user.check_password(password) and found is None:
            found = user
    if not candidates:
        model().set_password(password)
    if found is None or not getattr(found, "is_active", True):
        return None
    return found


def parse_rate(rate: Any) -> tuple[int, int] | None:
    """``"N/period"`` (``s``, ``min``, ``hour``, ``day``) as (N, seconds); None when off."""
    text = str(rate or "").strip().lower()
    if text in ("", "0", "off", "none"):
        return None
    number, _, period = text.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(period[:1])
    if not number.isdigit() or seconds is None:
        raise ValueError(f"{rate!r} is not N/period")
    return (int(number), seconds) if int(number) > 0 else None


#: the throttle settings of account actions, each counted per email and per client address
THROTTLE_SETTINGS = (
    "LOGIN_THROTTLE_EMAIL",
    "LOGIN_THROTTLE_ADDRESS",
    "RESET_EMAIL_THROTTLE_EMAIL",
    "RESET_EMAIL_THROTTLE_ADDRESS",
)


def rate_problems() -> list[str]:
    """What is wrong with the configured account throttle rates (for the system check)."""
    problems = []
    for name in THROTTLE_SETTINGS:
        try:
            parse_rate(conf.get(name))
        except ValueError:
            problems.append(f"the {name} rate {conf.get(name)!r} is not N/period.")
    return problems


class Attempts:
    """Attempts of one kind for one email and one client address, each budget a sliding
    window in Django's cache (its rate from the settings ``<KIND>_THROTTLE_EMAIL`` and
    ``<KIND>_THROTTLE_ADDRESS``). Counted by email whether or not it belongs to a user, so
    the count says nothing about accounts."""

    def __init__(self, kind: str, email: str, address: str, refusal: str) -> None:
        self.refusal = refusal
        self.windows: list[tuple[str, tuple[int, int]]] = []
        for who, value in (("email", email.strip().lower()), ("address", address)):
            rate = parse_rate(conf.get(f"{kind}_THROTTLE_{who.upper()}"))
            if rate is not None and value:
                digest = hashlib.sha256(value.encode()).hexdigest()[:32]
                self.windows.append((f"bubble-{kind.lower()}:{who}:{digest}", rate))

    def check(self) -> None:
        """Refuse (``TooManyAttempts``) while either budget is spent."""
        now = time.time()
        wait = 0.0
        for key, (number, seconds) in self.windows:
            history = [t for t in cache.get(key, []) if t > now - seconds]  # newest first
            if len(history) >= number:  # room again once the oldest of the last N ages out
                wait = max(wait, history[number - 1] + seconds - now)
        if wait > 0:
            seconds = math.ceil(wait)
            raise TooManyAttempts(f"{self.refusal}: try again in {seconds} s", retry_after=seconds)

    def record(self) -> None:
        now = time.time()
        for key, (number, seconds) in self.windows:
            history = [t for t in cache.get(key, []) if t > now - seconds]
            cache.set(key, [now, *history][: number + 1], seconds)


def failed_logins(email: str, address: str = "") -> Attempts:
    """Failed log-ins (``log_in``, ``update_credentials``' old password)."""
    refusal = "too many failed log-ins for this email or from this address"
    return Attempts("LOGIN", email, address, refusal)


def reset_emails(email: str, address: str = "") -> Attempts:
    """Password reset emails asked for (``send_password_reset_email``): each one counts,
    so an open "forgot password" workflow cannot flood a mailbox."""
    refusal = "too many password reset emails for this email or from this address"
    return Attempts("RESET_EMAIL", email, address, refusal)


def log_in(email: Any, password: Any, *, address: str = "") -> Any:
    """The user these credentials log in, or ``LoginFailed`` (one message for a wrong email
    and a wrong password), after the throttle's check; a failure is counted."""
    address_text = str(address or "")
    email_text = email.strip().lower() if isinstance(email, str) else ""
    attempts = failed_logins(email_text, address_text)
    attempts.check()
    user = None
    if email_text and isinstance(password, str) and password:
        user = user_for_credentials(email_text, password)
    else:
        get_user_model()().set_password(str(password or ""))  # the same work
    if user is None:
        attempts.record()
        raise LoginFailed(LOGIN_FAILED)
    return user


# --- links --------------------------------------------------------------------------------


def site_root(request_root: str = "") -> tuple[str, str]:
    """``(protocol, domain)`` for links sent by email: ``SITE_URL``, else the address the
    request came to (``request_root``, checked against ``ALLOWED_HOSTS`` by Django)."""
    url = str(conf.get("SITE_URL") or "") or request_root
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WorkflowError(
            "no address to put in the link: set BUBBLE_SITE_URL (e.g. https://api.example.com)"
        )
    return parts.scheme, parts.netloc


def as_mapping(value: Any, key: str) -> Mapping[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise WorkflowError(f"{key}: expected a mapping of field names to values")
    return value
