"""Operator secrets: encrypted at rest, the environment wins, ``secrets.NAME`` in expressions
and refused at save time when unknown, computed or listed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from workflows import engine, secrets
from workflows.engine import cache
from workflows.engine.cache import get_compiled
from workflows.engine.compiler import compile_definition
from workflows.exceptions import DefinitionError
from workflows.models import Secret

pytestmark = pytest.mark.django_db

VALUE = "sk_live_51HxQzPlainValue"


@pytest.fixture
def env_secret(monkeypatch):
    def set_(name: str, value: str) -> None:
        monkeypatch.setenv(f"{secrets.ENV_PREFIX}{name}", value)
        secrets.invalidate()

    return set_


def returns(expression: str) -> dict:
    return {"type": "return_data", "data": {"value": expression}}


# --- encryption at rest ----------------------------------------------------------------------


def test_the_database_never_holds_the_plain_value():
    secrets.set_secret("PAYMENT_KEY", VALUE, "the payment provider")
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_value, description FROM workflows_secret")
        stored, description = cursor.fetchone()
    assert VALUE not in stored and VALUE.encode().hex() not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert description == "the payment provider"
    assert secrets.get_secret("PAYMENT_KEY") == VALUE


def test_each_encryption_is_different_and_replacing_keeps_the_description():
    first = secrets.set_secret("K", VALUE, "kept").encrypted_value
    second = secrets.set_secret("K", "another-value").encrypted_value
    assert first != second
    assert Secret.objects.get(name="K").description == "kept"
    assert secrets.get_secret("K") == "another-value"


def test_another_secret_key_cannot_read_the_values(settings):
    secrets.set_secret("K", VALUE)
    settings.SECRET_KEY = "a-completely-different-secret-key-for-this-test"
    with pytest.raises(secrets.UnreadableSecret, match="cannot be decrypted"):
        secrets.get_secret("K")
    assert secrets.secret_values() == []  # unreadable rows are skipped, not raised


def test_bubble_secrets_key_rotation(settings):
    settings.BUBBLE = {**settings.BUBBLE, "SECRETS_KEY": ["old-key"]}
    secrets.set_secret("K", VALUE)
    settings.BUBBLE = {**settings.BUBBLE, "SECRETS_KEY": ["new-key", "old-key"]}
    assert secrets.get_secret("K") == VALUE  # the old key still decrypts
    call_command("rotate_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.BUBBLE = {**settings.BUBBLE, "SECRETS_KEY": ["new-key"]}
    assert secrets.get_secret("K") == VALUE  # re-encrypted with the new key


def test_names_must_be_identifiers():
    with pytest.raises(ValueError, match="letters, digits"):
        secrets.set_secret("not-valid", "x")


# --- the environment ---------------------------------------------------------------------------


def test_environment_secrets_win_and_are_listed(env_secret):
    secrets.set_secret("API_KEY", "from-the-admin")
    env_secret("API_KEY", "from-the-environment")
    env_secret("ONLY_ENV", "env-only-value")
    assert secrets.get_secret("API_KEY") == "from-the-environment"
    assert {"API_KEY", "ONLY_ENV"} <= set(secrets.secret_names())
    assert "env-only-value" in secrets.secret_values()
    assert "from-the-admin" not in secrets.secret_values()  # hidden by the environment


def test_an_environment_name_cannot_be_stored_in_the_admin(env_secret):
    env_secret("API_KEY", "x")
    with pytest.raises(ValueError, match="environment"):
        secrets.set_secret("API_KEY", "y")


def test_unknown_secret():
    with pytest.raises(secrets.UnknownSecret, match="no secret named 'NOPE'"):
        secrets.get_secret("NOPE")


# --- expressions -------------------------------------------------------------------------------


def test_secrets_name_in_an_expression(make_workflow, user, env_secret):
    secrets.set_secret("API_KEY", VALUE)
    env_secret("REGION", "eu-west-1-region")
    wf = make_workflow(
        actions=[
            returns("{{ secrets.API_KEY }}/{{ secrets['REGION'] }}/{{ secrets.API_KEY|length }}")
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.response == {"value": f"{VALUE}/eu-west-1-region/{len(VALUE)}"}
    assert VALUE not in str(result.run.result)  # what is returned is masked in the log


def test_a_condition_can_use_a_secret(make_workflow, user):
    secrets.set_secret("MODE", "production")
    wf = make_workflow(only_when="secrets.MODE == 'production'", actions=[returns("ok")])
    assert engine.run(wf, {}, user).response == {"value": "ok"}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("{{ secrets.NOPE }}", "unknown secret 'NOPE'"),
        ("{{ secrets[params.which] }}", "name a secret literally"),
        ("{{ secrets }}", "one at a time"),
        ("{{ secrets|list }}", "one at a time"),
        ("{{ secrets|tojson }}", "one at a time"),
        ("{{ dict(s=secrets) }}", "one at a time"),
    ],
)
def test_refused_when_saved(expression, message):
    secrets.set_secret("API_KEY", VALUE)
    definition = {
        "name": "wf",
        "parameters": [{"key": "which", "type": "text"}],
        "actions": [returns(expression)],
    }
    with pytest.raises(DefinitionError, match=message) as caught:
        compile_definition(definition)
    assert caught.value.issues[0].path == ("actions", 0, "data")


def test_refused_in_conditions_too():
    with pytest.raises(DefinitionError, match="unknown secret 'NOPE'"):
        compile_definition({"name": "wf", "only_when": "secrets.NOPE == 'x'"})


def test_a_secret_deleted_after_saving_fails_the_run_clearly(make_workflow, user):
    secrets.set_secret("API_KEY", VALUE)
    wf = make_workflow(actions=[returns("{{ secrets.API_KEY }}")])
    get_compiled(wf)  # compiled while the secret existed (a process that ran it before)
    secrets.delete_secret("API_KEY")
    result = engine.run(wf, {}, user)
    assert result.error is not None and "no secret named 'API_KEY'" in result.error.message
    cache.clear()  # a process compiling it now refuses the definition itself
    with pytest.raises(DefinitionError, match="unknown secret 'API_KEY'"):
        engine.run(wf, {}, user)


def test_the_scope_cannot_be_listed():
    scope = secrets.SecretScope()
    with pytest.raises(TypeError, match="cannot be listed"):
        list(scope)
    assert repr(scope) == "<secrets>"
    assert not hasattr(scope, "__dict__")  # nothing but the read cache, in a slot
