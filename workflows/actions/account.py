"""Account actions, as Bubble's "Account" family: signing users up and in, out, their
credentials, and setting passwords by link (docs/actions.md#account).

Users are written through ``data.apply_fields`` / ``save_thing`` like any thing (so a
refused value names its field, emails stay unique in any case and triggers fire); emails,
passwords and log-ins follow ``workflows.accounts``; tokens are ``UserToken`` rows made and
revoked by ``workflows.tokens``. Every credential an action makes (a token, a temporary
password, a link) is masked in the rest of the run's log (``masking.mask_in_run``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from .. import accounts, data_types, masking
from ..engine import kinds
from ..engine.kinds import Kind
from ..exceptions import InvalidData, LoginFailed, WorkflowError
from ..models import UserToken
from ..tokens import (
    user_token_create,
    user_token_revoke,
    user_tokens_revoke_all,
)
from .data import apply_fields, check_field_names, save_thing
from .email import send_on_commit
from .registry import ActionType, ConfigError, ConfigField, FieldKind, register


def _user_kind() -> Kind:
    return Kind.thing(data_types.label_of(accounts.user_model()))


def _login_keys() -> dict[str, Kind]:
    return dict(kinds.login_kind().keys)


def _check_user_type() -> None:
    if not data_types.is_data_type(accounts.user_model()):
        raise ConfigError(
            None,
            f"the user data type {data_types.label_of(accounts.user_model())} is not one of "
            "BUBBLE_DATA_TYPES",
        )


def _check_fields(config: dict[str, Any], key: str = "fields") -> None:
    """``fields`` name writable fields of the user type, and neither the email nor the
    password: those are the action's own keys."""
    _check_user_type()
    fields = config.get(key) or {}
    if not isinstance(fields, dict):
        return  # the key's kind is checked by the compiler
    for name in (accounts.email_field(), accounts.PASSWORD_FIELD):
        if name in fields:
            raise ConfigError(key, f"give the {name} as the action's own {name!r} key")
    check_field_names(accounts.user_model(), fields, key)


def yes_no(value: Any, key: str) -> bool:
    """A yes/no key: true/false (or empty: no); text "true"/"false" as a form sends it."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise WorkflowError(f"{key}: expected yes or no (true or false), got {value!r}")


def _new_user(inputs: dict[str, Any], password: Any) -> models.Model:
    """A user made from the action's ``email``, ``fields`` and ``password`` (None: an
    unusable one), validated and saved as ``create_thing`` would."""
    model = accounts.user_model()
    email = accounts.normalize_email(inputs.get("email"))
    values = dict(accounts.as_mapping(inputs.get("fields"), "fields"))
    for name in (accounts.email_field(), accounts.PASSWORD_FIELD):
        if name in values:
            raise WorkflowError(f"fields: give the {name} as the action's own {name!r} key")
    values[accounts.email_field()] = email
    if model.USERNAME_FIELD not in values:
        values[model.USERNAME_FIELD] = accounts.default_username(email)
    values[accounts.PASSWORD_FIELD] = password
    user = model()
    later = apply_fields(user, values)
    save_thing(user, later)
    return user


def _log_in(run: Any, user: models.Model, *, stay_logged_in: bool, name: str) -> dict[str, Any]:
    """A token for ``user``, noted as the run's log-in (what an API workflow without
    returned data answers) and masked in its log."""
    _, token, ttl = user_token_create(user=user, stay_logged_in=stay_logged_in, name=name)
    masking.mask_in_run(token)
    run.login = {"token": token, "user_id": user.pk, "expires": ttl}
    return dict(run.login)


def _address(run: Any) -> str:
    return run.caller.address if run.caller is not None else ""


def _site_root(run: Any) -> tuple[str, str]:
    return accounts.site_root(run.caller.site_root if run.caller is not None else "")


def _current_user(run: Any) -> models.Model:
    if run.actor is None:
        raise WorkflowError("current_user: nobody is logged in (the run is anonymous)")
    return run.actor


EMAIL = ConfigField(
    "email",
    FieldKind.TEXT,
    expects="text",
    help_text="The email address (unique, in any case; stored in lower case).",
    example="{{ params.email }}",
)
PASSWORD = ConfigField(
    "password",
    FieldKind.TEXT,
    expects="text",
    help_text="The password, checked by the password validators and stored hashed; masked "
    "in the run log.",
    example="{{ params.password }}",
)
FIELDS = ConfigField(
    "fields",
    FieldKind.MAPPING,
    required=False,
    help_text="Other fields of the new user: a field and its value on each row.",
    example='first_name: "{{ params.first_name }}"',
)


@register
class SignUp(ActionType):
    name = "sign_up"
    label = "Sign the user up"
    summary_template = "Sign the user up: {email}"
    family = "account"
    logs_in = True
    field_keys = frozenset({"email", "password"})
    secret_keys = frozenset({"password"})
    description = (
        "Creates a user with an email and a password and logs them in; later steps get "
        "{user, token, user_id, expires}."
    )
    example = """- id: signup
  type: sign_up
  email: "{{ params.email }}"
  password: "{{ params.password }}"
  fields: {first_name: "{{ params.first_name }}"}"""
    fields = (EMAIL, PASSWORD, FIELDS)

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_fields(config)

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return Kind.object({"user": _user_kind(), **_login_keys()})

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        password = inputs.get("password")
        if not isinstance(password, str) or not password:
            raise InvalidData("password: a password is required", field="password")
        user = _new_user(inputs, password)
        return {"user": user, **_log_in(run, user, stay_logged_in=False, name=self.name)}


@register
class LogUserIn(ActionType):
    name = "log_user_in"
    label = "Log the user in"
    summary_template = "Log the user in: {email}"
    family = "account"
    logs_in = True
    secret_keys = frozenset({"password"})
    description = (
        "Checks an email and a password and gives a token for the API; later steps get "
        "{token, user_id, expires}. A wrong email or password fails with one message."
    )
    example = """- id: login
  type: log_user_in
  email: "{{ params.email }}"
  password: "{{ params.password }}"
  stay_logged_in: "{{ params.remember }}\""""
    fields = (
        EMAIL,
        ConfigField(
            "password",
            FieldKind.TEXT,
            expects="text",
            help_text="The password; masked in the run log.",
            example="{{ params.password }}",
        ),
        ConfigField(
            "stay_logged_in",
            required=False,
            expects="yes_no",
            help_text="Yes: the token lasts a year (BUBBLE_USER_TOKEN_TTL_STAY_LOGGED_IN); "
            "no (the default): 24 hours (BUBBLE_USER_TOKEN_TTL).",
            example="true",
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.login_kind()

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        stay = yes_no(inputs.get("stay_logged_in"), "stay_logged_in")
        user = accounts.log_in(inputs.get("email"), inputs.get("password"), address=_address(run))
        return _log_in(run, user, stay_logged_in=stay, name=self.name)


@register
class CreateAccountForSomeoneElse(ActionType):
    name = "create_account_for_someone_else"
    label = "Create an account for someone else"
    summary_template = "Create an account for {email}"
    family = "account"
    field_keys = frozenset({"email"})
    description = (
        "Creates a user without a usable password (nobody is logged in); later steps get "
        "{user, password_change_link}: with return_password_change_link, the page where "
        "they choose a password."
    )
    example = """- id: account
  type: create_account_for_someone_else
  email: "{{ params.email }}"
  fields: {first_name: "{{ params.name }}"}
  return_password_change_link: true"""
    fields = (
        EMAIL,
        FIELDS,
        ConfigField(
            "return_password_change_link",
            required=False,
            expects="yes_no",
            help_text="Yes: the result holds a link where the user sets a password (masked "
            "in the run log).",
            example="true",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_fields(config)

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        link = kinds.TEXT.maybe_empty()
        return Kind.object({"user": _user_kind(), "password_change_link": link})

    def execute(self, inputs: dict[str, Any], run: Any) -> dict[str, Any]:
        wants_link = yes_no(
            inputs.get("return_password_change_link"), "return_password_change_link"
        )
        protocol, domain = _site_root(run) if wants_link else ("", "")
        user = _new_user(inputs, None)
        link = None
        if wants_link:
            from ..password_reset import reset_link

            link = reset_link(user, protocol, domain)
            masking.mask_in_run(link)
        return {"user": user, "password_change_link": link}


@register
class LogUserOut(ActionType):
    name = "log_user_out"
    label = "Log the user out"
    summary_template = "Log the user out"
    family = "account"
    description = (
        "Revokes the user token the caller sent (nothing for an API key or an anonymous "
        "call); with everywhere, every token of current_user. Later steps get how many "
        "tokens were revoked."
    )
    example = """- type: log_user_out"""
    fields = (
        ConfigField(
            "everywhere",
            required=False,
            expects="yes_no",
            help_text="Yes: log current_user out of every session (all their tokens).",
            example="true",
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.WHOLE_NUMBER

    def execute(self, inputs: dict[str, Any], run: Any) -> int:
        if yes_no(inputs.get("everywhere"), "everywhere"):
            return user_tokens_revoke_all(user=run.actor) if run.actor is not None else 0
        credential = run.caller.credential if run.caller is not None else None
        if not isinstance(credential, UserToken) or credential.revoked:
            return 0
        user_token_revoke(token=credential)
        return 1


@register
class UpdateCredentials(ActionType):
    name = "update_credentials"
    label = "Update the user's credentials"
    summary_template = "Update the credentials of current_user: {email}"
    family = "account"
    field_keys = frozenset({"email", "password"})
    secret_keys = frozenset({"password", "old_password"})
    description = (
        "Changes current_user's email and/or password once their old password is given; a "
        "new password logs out their other sessions. Later steps get the user."
    )
    example = """- type: update_credentials
  email: "{{ params.new_email }}"
  old_password: "{{ params.old_password }}\""""
    fields = (
        ConfigField(
            "email",
            FieldKind.TEXT,
            required=False,
            expects="text",
            help_text="A new email address (empty: unchanged).",
            example="{{ params.new_email }}",
        ),
        ConfigField(
            "password",
            FieldKind.TEXT,
            required=False,
            expects="text",
            help_text="A new password (empty: unchanged); checked by the password validators.",
            example="{{ params.new_password }}",
        ),
        ConfigField(
            "old_password",
            FieldKind.TEXT,
            expects="text",
            help_text="current_user's present password.",
            example="{{ params.old_password }}",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_user_type()
        if not config.get("email") and not config.get("password"):
            raise ConfigError("email", "give a new email, a new password, or both")

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return _user_kind()

    def execute(self, inputs: dict[str, Any], run: Any) -> models.Model:
        user = _current_user(run)
        attempts = accounts.failed_logins(
            getattr(user, accounts.email_field(), "") or "", _address(run)
        )
        attempts.check()
        old = inputs.get("old_password")
        if not isinstance(old, str) or not user.check_password(old):
            attempts.record()
            raise LoginFailed("old_password: the password is wrong")
        changed = []
        if inputs.get("email"):
            setattr(user, accounts.email_field(), accounts.normalize_email(inputs["email"]))
            changed.append(accounts.email_field())
        if inputs.get("password"):
            accounts.set_new_password(user, inputs["password"])
            changed.append(accounts.PASSWORD_FIELD)
        save_thing(user, [], changed=changed)
        if accounts.PASSWORD_FIELD in changed:
            credential = run.caller.credential if run.caller is not None else None
            keep = credential if isinstance(credential, UserToken) else None
            user_tokens_revoke_all(user=user, keep=keep)
        return user


@register
class AssignTempPassword(ActionType):
    name = "assign_temp_password"
    label = "Assign a temp password to a user"
    summary_template = "Assign a temp password to {user}"
    family = "account"
    description = (
        "Gives a user a random 16-character password and logs them out everywhere; later "
        "steps get the password, once (masked in the run log)."
    )
    example = """- id: temp
  type: assign_temp_password
  user: "{{ params.user }}\""""
    fields = (
        ConfigField(
            "user",
            expects="thing",
            help_text="The user whose password is replaced.",
            example="{{ params.user }}",
        ),
    )

    def check(self, config: dict[str, Any], ctx: Any) -> None:
        _check_user_type()

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.TEXT

    def execute(self, inputs: dict[str, Any], run: Any) -> str:
        user = inputs.get("user")
        if isinstance(user, list | tuple) and len(user) == 1:
            user = user[0]
        if not isinstance(user, accounts.user_model()):
            raise WorkflowError(f"user: expected a user, got {type(user).__name__}")
        password = accounts.temporary_password()
        masking.mask_in_run(password)
        user.set_password(password)
        save_thing(user, [], changed=[accounts.PASSWORD_FIELD])
        user_tokens_revoke_all(user=user)
        return password


@register
class SendPasswordResetEmail(ActionType):
    name = "send_password_reset_email"
    label = "Send password reset email"
    summary_template = "Send a password reset email to {email}"
    family = "account"
    description = (
        "Emails the user with this address (if there is one) a link to choose a new "
        "password, when the run commits; an unknown address sends nothing and does not fail."
    )
    example = """- type: send_password_reset_email
  email: "{{ params.email }}\""""
    fields = (
        ConfigField(
            "email",
            FieldKind.TEXT,
            expects="text",
            help_text="The user's email address.",
            example="{{ params.email }}",
        ),
    )

    def result_kind(self, config: dict[str, Any], scope: Any) -> Kind:
        return kinds.NOTHING

    def execute(self, inputs: dict[str, Any], run: Any) -> None:
        from ..password_reset import ResetForm

        email = accounts.normalize_email(inputs.get("email"))
        requests = accounts.reset_emails(email, _address(run))
        requests.check()
        requests.record()
        protocol, domain = _site_root(run)
        form = ResetForm(data={"email": email})
        if not form.is_valid():
            raise WorkflowError(f"email: {' '.join(form.errors.get('email', ['not valid']))}")
        form.save(
            domain_override=domain,
            use_https=protocol == "https",
            from_email=settings.DEFAULT_FROM_EMAIL,
        )
        for message in form.messages:
            masking.mask_in_run(*_links(message.body))
            send_on_commit(message, run, masked=True)
        return None


def _links(text: str) -> list[str]:
    return [word for word in text.split() if "/accounts/reset/" in word]
