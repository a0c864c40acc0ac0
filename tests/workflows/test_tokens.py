"""Purging user tokens: those that stopped working go after ``USER_TOKEN_KEEP``, live ones
never, whatever their age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from workflows.models import UserToken
from workflows.tokens import user_token_create, user_tokens_purge

DAY = timedelta(days=1)
KEEP = 7 * DAY
IDLE = 30 * DAY


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.BUBBLE = {
        **settings.BUBBLE,
        "USER_TOKEN_KEEP": int(KEEP.total_seconds()),
        "USER_TOKEN_IDLE": int(IDLE.total_seconds()),
    }


def _token(user, name: str, **fields) -> UserToken:
    row, _, _ = user_token_create(user=user, stay_logged_in=True, name=name)
    UserToken.objects.filter(pk=row.pk).update(**fields)
    return row


def _left() -> set[str]:
    return set(UserToken.objects.values_list("name", flat=True))


def test_only_tokens_that_stopped_working_long_enough_ago_are_deleted(user, frozen_now):
    now = frozen_now
    _token(user, "live", last_used_at=now - DAY)
    _token(user, "used-long-ago-but-recently", created=now - 300 * DAY, last_used_at=now - DAY)
    _token(user, "expired-yesterday", expiry_date=now - DAY)
    _token(user, "expired-long-ago", expiry_date=now - KEEP - DAY)
    _token(user, "idle-recently", last_used_at=now - IDLE - DAY)
    _token(user, "idle-long-ago", last_used_at=now - IDLE - KEEP - DAY)
    _token(user, "never-used-idle", created=now - IDLE - KEEP - DAY)
    _token(user, "revoked-recently", revoked=True, last_used_at=now - DAY)
    _token(user, "revoked-long-ago", revoked=True, last_used_at=now - KEEP - DAY)

    assert user_tokens_purge(now=now) == 4
    assert _left() == {
        "live",
        "used-long-ago-but-recently",
        "expired-yesterday",
        "idle-recently",
        "revoked-recently",
    }
    assert user_tokens_purge(now=now) == 0  # idempotent


def test_without_an_idle_limit_unused_tokens_stay_until_they_expire(user, settings, frozen_now):
    settings.BUBBLE = {**settings.BUBBLE, "USER_TOKEN_IDLE": 0}
    _token(user, "unused-for-a-year", created=frozen_now - 365 * DAY)
    assert user_tokens_purge(now=frozen_now) == 0
    assert _left() == {"unused-for-a-year"}


def test_the_command_purges_and_says_how_many(user, frozen_now, capsys):
    _token(user, "live")
    _token(user, "expired-long-ago", expiry_date=frozen_now - KEEP - DAY)
    call_command("purge_user_tokens")
    assert "Deleted 1 user token(s)" in capsys.readouterr().out
    assert _left() == {"live"}
