"""The dispatcher's housekeeping: every chore runs, one failing does not stop the others,
and the dispatcher runs them on its own."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from scheduler import dispatch, housekeeping
from workflows.models import UserToken
from workflows.tokens import user_token_create


def test_a_failing_chore_is_logged_and_the_others_still_run(monkeypatch, caplog, db):
    def broken() -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(housekeeping, "CHORES", {"broken": broken, "fine": lambda: 3})
    assert housekeeping.run_chores() == {"fine": 3}
    assert "housekeeping: broken failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_purges_stale_tokens_on_its_own(user, settings, frozen_now):
    settings.BUBBLE = {**settings.BUBBLE, "USER_TOKEN_KEEP": 0}
    live, _, _ = user_token_create(user=user)
    stale, _, _ = user_token_create(user=user)
    UserToken.objects.filter(pk=stale.pk).update(expiry_date=frozen_now - timedelta(days=1))
    stop = threading.Event()
    calls = []

    def alive() -> bool:  # one pass of the loop, then stop
        calls.append(1)
        return len(calls) == 1

    dispatch.run_forever(stop, alive=alive)
    assert list(UserToken.objects.values_list("pk", flat=True)) == [live.pk]
