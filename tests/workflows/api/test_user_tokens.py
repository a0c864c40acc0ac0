"""User tokens as bearer credentials: like an API key (same header, its user, no scope),
never taken for one, expiring at their expiry date or once unused for 30 days, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows.api.access import require_data_api, scoped_workflows
from workflows.models import ApiKey, Run, UserToken
from workflows.services import api_key_create
from workflows.tokens import user_token_create, user_token_revoke, user_tokens_revoke_all

WHO = [{"type": "return_data", "data": {"user": "{{ current_user.username }}"}}]


@pytest.fixture
def workflows(make_workflow, db):
    make_workflow("users", expose=True, auth="user", actions=WHO)
    make_workflow("admins", expose=True, auth="admin", actions=WHO)


@pytest.fixture
def token(user) -> str:
    return user_token_create(user=user)[1]


def code(response):
    return response.status_code, response.json().get("code")


def test_a_token_runs_as_its_user(call, workflows, user, token):
    response = call("users", key=token)
    assert response.status_code == 200 and response.json()["response"] == {"user": "alice"}
    assert Run.objects.get().actor == user
    assert code(call("admins", key=token)) == (403, "FORBIDDEN")  # its user's rights


def test_a_token_reads_the_data_api_as_its_user(api, user, token, customer):
    response = api.get("/api/1.1/obj/examples.customer", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [t["_id"] for t in response.json()["response"]["results"]] == [customer.pk]


def test_tokens_and_keys_have_shapes_that_never_meet(user):
    token_row, token, _ = user_token_create(user=user)
    key_row, key = api_key_create(user=user, name="k")
    assert len(token.split(".")[0]) == 12 and len(token.split(".")[1]) == 40
    assert len(key.split(".")[0]) == 8 and len(key.split(".")[1]) == 32
    assert token_row.hashed_key != token and token not in token_row.hashed_key  # hashed


def test_a_token_is_never_taken_for_a_key_nor_a_key_for_a_token(api, workflows, user, token):
    _, key = api_key_create(user=user, name="k")
    # a key's prefix and secret glued into a token's shape, and the other way round
    token_prefix, token_secret = token.split(".")
    key_prefix, key_secret = key.split(".")
    for forged in (
        f"{token_prefix[:8]}.{token_secret[:32]}",
        f"{key_prefix}xxxx.{key_secret}xxxxxxxx",
    ):
        response = api.post("/api/1.1/wf/users", HTTP_AUTHORIZATION=f"Bearer {forged}")
        assert code(response) == (401, "UNAUTHENTICATED")


def test_an_api_key_costs_one_lookup_a_token_one_too(api, workflows, user, token):
    _, key = api_key_create(user=user, name="k")
    for credential, table, other in (
        (key, ApiKey._meta.db_table, UserToken._meta.db_table),
        (token, UserToken._meta.db_table, ApiKey._meta.db_table),
    ):
        api.post("/api/1.1/wf/users", HTTP_AUTHORIZATION=f"Bearer {credential}")  # last use
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/1.1/wf/users", HTTP_AUTHORIZATION=f"Bearer {credential}")
        assert response.status_code == 200
        reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
        assert sum(table in sql for sql in reads) == 1, reads
        assert not any(other in sql for sql in reads), reads


def test_a_wrong_secret_or_unknown_token_is_refused(call, workflows, token):
    prefix = token.split(".")[0]
    response = call("users", key=f"{prefix}.{'x' * 40}")
    assert code(response) == (401, "UNAUTHENTICATED")
    assert response.json()["message"] == "the user token is not valid"
    assert code(call("users", key=f"{'a' * 12}.{'b' * 40}")) == (401, "UNAUTHENTICATED")


def test_a_token_expires_at_its_expiry_date(call, workflows, user, time_machine, frozen_now):
    _, token, ttl = user_token_create(user=user)
    assert ttl == 24 * 3600
    time_machine.move_to(frozen_now + timedelta(seconds=ttl - 1), tick=False)
    assert call("users", key=token).status_code == 200
    time_machine.move_to(frozen_now + timedelta(seconds=ttl), tick=False)
    response = call("users", key=token)
    assert code(response) == (401, "UNAUTHENTICATED") and "expired" in response.json()["message"]


def test_stay_logged_in_lasts_a_year(user, frozen_now):
    row, _, ttl = user_token_create(user=user, stay_logged_in=True)
    assert ttl == 365 * 24 * 3600
    assert row.expiry_date == frozen_now + timedelta(days=365)


def test_unused_for_30_days_a_token_expires_and_each_use_moves_that(
    call, workflows, user, time_machine, frozen_now
):
    _, token, _ = user_token_create(user=user, stay_logged_in=True)
    day = timedelta(days=1)
    # used every 29 days, it lives on well past 30 days
    for n in (29, 58, 87):
        time_machine.move_to(frozen_now + n * day, tick=False)
        assert call("users", key=token).status_code == 200, n
    # then unused for 30 days: expired, though its year is not over
    time_machine.move_to(frozen_now + (87 + 30) * day, tick=False)
    response = call("users", key=token)
    assert code(response) == (401, "UNAUTHENTICATED") and "expired" in response.json()["message"]


def test_the_unused_period_counts_from_creation_when_never_used(user, time_machine, frozen_now):
    row, _, _ = user_token_create(user=user, stay_logged_in=True)
    assert row.expires_at == frozen_now + timedelta(days=30)
    time_machine.move_to(frozen_now + timedelta(days=30), tick=False)
    assert UserToken.objects.get(pk=row.pk).has_expired


def test_the_idle_rule_can_be_turned_off(settings, user, time_machine, frozen_now):
    settings.BUBBLE = {**settings.BUBBLE, "USER_TOKEN_IDLE": 0}
    row, _, _ = user_token_create(user=user, stay_logged_in=True)
    time_machine.move_to(frozen_now + timedelta(days=300), tick=False)
    assert not UserToken.objects.get(pk=row.pk).has_expired


def test_the_ttl_settings_apply(settings, user, frozen_now):
    settings.BUBBLE = {
        **settings.BUBBLE,
        "USER_TOKEN_TTL": 600,
        "USER_TOKEN_TTL_STAY_LOGGED_IN": 7200,
    }
    assert user_token_create(user=user)[2] == 600
    row, _, ttl = user_token_create(user=user, stay_logged_in=True)
    assert ttl == 7200 and row.expiry_date == frozen_now + timedelta(seconds=7200)


def test_revoking_one_token_leaves_the_others(call, workflows, user):
    first, one, _ = user_token_create(user=user)
    _, two, _ = user_token_create(user=user)
    user_token_revoke(token=first)
    response = call("users", key=one)
    assert code(response) == (401, "UNAUTHENTICATED") and "revoked" in response.json()["message"]
    assert call("users", key=two).status_code == 200


def test_revoking_all_of_a_user_s_tokens(call, workflows, user, other_user):
    tokens = [user_token_create(user=user)[1] for _ in range(3)]
    _, bobs = user_token_create(user=other_user)[:2]
    _, key = api_key_create(user=user, name="k")
    assert user_tokens_revoke_all(user=user) == 3
    assert all(call("users", key=t).status_code == 401 for t in tokens)
    assert call("users", key=bobs).status_code == 200  # someone else's
    assert call("users", key=key).status_code == 200  # API keys are not log-ins


def test_revoking_all_but_the_current_one(user):
    keep, _, _ = user_token_create(user=user)
    user_token_create(user=user)
    assert user_tokens_revoke_all(user=user, keep=keep) == 1
    assert list(UserToken.objects.filter(revoked=False)) == [keep]


def test_an_inactive_user_s_token_is_refused(call, workflows, user, token):
    user.is_active = False
    user.save()
    assert code(call("users", key=token)) == (401, "UNAUTHENTICATED")


def test_last_use_is_written_at_most_once_a_minute(call, workflows, user, time_machine, frozen_now):
    row, token, _ = user_token_create(user=user)
    call("users", key=token)
    assert UserToken.objects.get(pk=row.pk).last_used_at == frozen_now
    time_machine.move_to(frozen_now + timedelta(seconds=30), tick=False)
    call("users", key=token)
    assert UserToken.objects.get(pk=row.pk).last_used_at == frozen_now
    time_machine.move_to(frozen_now + timedelta(seconds=61), tick=False)
    call("users", key=token)
    assert UserToken.objects.get(pk=row.pk).last_used_at == frozen_now + timedelta(seconds=61)


class _Request:
    def __init__(self, auth):
        self.auth = auth


def test_the_scope_helpers_treat_a_token_as_unrestricted(user):
    row, _, _ = user_token_create(user=user)
    assert scoped_workflows(_Request(row)) is None
    require_data_api(_Request(row))  # does not raise
    scoped, _ = api_key_create(user=user, name="k", workflows=["users"], allow_data_api=False)
    assert scoped_workflows(_Request(scoped)) == ["users"]


def test_a_token_is_not_held_to_a_key_s_scope_on_the_api(api, workflows, make_workflow, user):
    make_workflow("other", expose=True, auth="user", actions=WHO)
    _, token, _ = user_token_create(user=user)
    for name in ("users", "other"):
        response = api.post(f"/api/1.1/wf/{name}", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200


def test_a_token_in_the_url_is_refused_like_a_key(api, workflows, token):
    response = api.get("/api/1.1/wf/users", {"t": token})
    assert code(response) == (400, "API_KEY_IN_URL")
    assert "revoke this key" in response.json()["message"]
    # the shape alone, with no such token stored, is an ordinary value
    fake = f"{'a' * 12}.{'b' * 40}"
    assert api.get("/api/1.1/wf/users", {"t": fake}).status_code == 401


def test_throttled_per_token(api, workflows, settings, user, token):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"key": "2/min", "address": "0"},
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    statuses = [api.post("/api/1.1/wf/users", **headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
