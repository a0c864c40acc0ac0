"""``manage.py create_api_key``: scope (--workflow, --no-data-api) and expiry options."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from workflows.models import ApiKey

HELLO = [{"type": "return_data", "data": {"ok": True}}]


@pytest.fixture
def workflows(make_workflow, db):
    make_workflow("one", expose=True, actions=HELLO)
    make_workflow("two", expose=True, actions=HELLO)


def create(*args: str) -> tuple[ApiKey, str]:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    return ApiKey.objects.get(prefix=key.split(".")[0]), key


def test_defaults_unscoped_no_expiry(user):
    api_key, key = create("alice")
    assert (api_key.name, api_key.allowed_workflows) == ("cli", [])
    assert api_key.allow_data_api is True and api_key.expiry_date is None
    assert api_key.is_valid(key)


def test_scope_options(user, workflows):
    api_key, _ = create("alice", "--workflow", "two", "--workflow", "one", "--no-data-api")
    assert api_key.allowed_workflows == ["one", "two"]
    assert api_key.allow_data_api is False


def test_an_unknown_workflow_is_refused(user, workflows):
    with pytest.raises(CommandError, match="no workflow named 'nope'"):
        create("alice", "--workflow", "one", "--workflow", "nope")
    assert not ApiKey.objects.exists()


def test_expires_in_days(user, frozen_now):
    api_key, _ = create("alice", "--expires-in", "30")
    assert api_key.expiry_date == frozen_now + timedelta(days=30)


@pytest.mark.parametrize(
    ("given", "iso"),
    [
        ("2099-12-31T18:00:00+01:00", "2099-12-31T17:00:00+00:00"),
        ("2099-12-31", "2099-12-31T00:00:00+00:00"),  # midnight, TIME_ZONE (UTC in tests)
    ],
)
def test_expires_at(user, given, iso):
    api_key, _ = create("alice", "--expires", given)
    assert api_key.expiry_date.isoformat() == iso


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--expires", "next week"), "not an ISO 8601"),
        (("--expires", "2001-01-01"), "in the past"),
        (("--expires-in", "0"), "at least 1"),
    ],
)
def test_bad_expiry_is_refused(user, args, message):
    with pytest.raises(CommandError, match=message):
        create("alice", *args)
    assert not ApiKey.objects.exists()


def test_expires_and_expires_in_are_exclusive(user):
    with pytest.raises(CommandError):
        create("alice", "--expires", "2099-01-01", "--expires-in", "3")
