"""The account actions: sign up, log in (uniform, throttled), create an account for someone
else, log out, update credentials, temporary passwords and password-reset emails."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction

from workflows import accounts, engine
from workflows.engine import outbox as outboxes
from workflows.engine.context import Caller
from workflows.exceptions import DefinitionError
from workflows.models import StepRun, UserToken
from workflows.tokens import user_token_create

User = get_user_model()
STRONG = "correct-horse-battery-9"

TEXT = {"type": "text"}
EMAIL_PASSWORD = [{"key": "email", **TEXT}, {"key": "password", **TEXT}]


def params(*keys: str, optional: tuple[str, ...] = ()) -> list[dict]:
    return [{"key": k, **TEXT, **({"optional": True} if k in optional else {})} for k in keys]


@pytest.fixture
def signup(make_workflow):
    return make_workflow(
        "signup",
        expose=True,
        auth="none",
        parameters=[*EMAIL_PASSWORD, {"key": "first_name", "type": "text", "optional": True}],
        actions=[
            {
                "id": "signup",
                "type": "sign_up",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
                "fields": {"first_name": "{{ params.first_name or '' }}"},
            }
        ],
    )


@pytest.fixture
def login(make_workflow):
    return make_workflow(
        "login",
        expose=True,
        auth="none",
        parameters=[*EMAIL_PASSWORD, {"key": "remember", "type": "yes_no", "optional": True}],
        actions=[
            {
                "id": "login",
                "type": "log_user_in",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
                "stay_logged_in": "{{ params.remember }}",
            }
        ],
    )


@pytest.fixture
def member(db):
    return User.objects.create_user("member", "member@example.com", STRONG)


# --- sign_up --------------------------------------------------------------------------------


def test_sign_up_makes_a_user_logged_in(signup):
    result = engine.run(
        signup, {"email": " Ann@Example.COM ", "password": STRONG, "first_name": "Ann"}
    )
    assert result.ok, result.error
    user = User.objects.get()
    assert user.email == "ann@example.com" and user.first_name == "Ann"
    assert user.username == "ann@example.com"
    assert user.check_password(STRONG) and user.password != STRONG
    token = UserToken.objects.get(user=user)
    assert token.name == "sign_up"
    assert result.response["user_id"] == user.pk and result.response["expires"] == 24 * 3600
    assert UserToken.objects.get_from_key(result.response["token"]) == token


def test_sign_up_s_step_result_has_the_user_and_the_token(make_workflow):
    wf = make_workflow(
        parameters=EMAIL_PASSWORD,
        actions=[
            {
                "id": "s",
                "type": "sign_up",
                "email": "{{ params.email }}",
                "password": "{{ params.password }}",
            },
            {
                "type": "return_data",
                "data": {"name": "{{ steps.s.user.username }}", "id": "{{ steps.s.user_id }}"},
            },
        ],
    )
    result = engine.run(wf, {"email": "bo@example.com", "password": STRONG})
    assert result.response == {"name": "bo@example.com", "id": User.objects.get().pk}


def test_a_duplicate_email_in_any_case_is_refused(signup, member):
    result = engine.run(signup, {"email": "MEMBER@example.com", "password": STRONG})
    assert result.error.code == "INVALID_PARAMETER" and result.error.parameter == "email"
    assert result.error.http_status == 400
    assert "there is already a user with the email 'member@example.com'" in result.error.message
    assert User.objects.count() == 1 and not UserToken.objects.exists()


def test_the_database_refuses_a_duplicate_email_that_slipped_past_the_check(
    signup, member, monkeypatch
):
    # two sign-ups with one email at the same moment: both pass the check, the index holds
    monkeypatch.setattr(accounts, "email_taken", lambda *a, **k: False)
    result = engine.run(signup, {"email": "Member@Example.com", "password": STRONG})
    assert result.error.code == "INVALID_PARAMETER" and result.error.parameter == "email"
    assert "there is already a user with the email 'member@example.com'" in result.error.message
    assert User.objects.count() == 1 and not UserToken.objects.exists()
    assert engine.run(signup, {"email": "new@example.com", "password": STRONG}).ok  # usable


def test_the_email_index_ignores_blank_emails_and_case(member):
    User.objects.create_user("no-email-1")
    User.objects.create_user("no-email-2")  # blanks never clash
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("shouting", "MEMBER@EXAMPLE.COM")


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("qwertyuiop", "This password is too common."),
        ("90817263541", "This password is entirely numeric."),
    ],
)
def test_a_weak_password_is_refused_naming_the_rule(signup, password, rule):
    result = engine.run(signup, {"email": "cy@example.com", "password": password})
    assert result.error.code == "INVALID_PARAMETER" and result.error.parameter == "password"
    assert f"password: {rule}" in result.error.message
    assert not User.objects.exists()


def test_a_password_like_the_email_is_refused(signup):
    result = engine.run(signup, {"email": "dorothea@example.com", "password": "dorothea@example"})
    assert "password: The password is too similar to the" in result.error.message


def test_an_invalid_email_is_refused(signup):
    result = engine.run(signup, {"email": "not-an-email", "password": STRONG})
    assert result.error.parameter == "email" and "not a valid email address" in result.error.message


def test_sign_up_refuses_email_password_or_protected_fields_in_fields(make_workflow):
    for fields, message in (
        ({"email": "x@example.com"}, "give the email as the action's own 'email' key"),
        ({"password": "x"}, "give the password as the action's own 'password' key"),
        ({"is_superuser": True}, "is protected"),
    ):
        with pytest.raises(DefinitionError, match=message):
            make_workflow(
                actions=[{"type": "sign_up", "email": "a@b.co", "password": "x", "fields": fields}]
            )


def test_a_username_that_cannot_be_the_email_is_made_up(make_workflow):
    wf = make_workflow(
        actions=[{"type": "sign_up", "email": "o'neil@example.com", "password": STRONG}]
    )
    assert engine.run(wf).ok
    user = User.objects.get()
    assert user.email == "o'neil@example.com" and re.fullmatch(r"user-[a-z0-9]{12}", user.username)


# --- log_user_in ----------------------------------------------------------------------------


def test_log_in_gives_a_token(login, member):
    result = engine.run(login, {"email": "Member@Example.com", "password": STRONG})
    assert result.ok, result.error
    assert result.response == {
        "token": result.response["token"],
        "user_id": member.pk,
        "expires": 24 * 3600,
    }
    token = UserToken.objects.get_from_key(result.response["token"])
    assert token.user == member and not token.stay_logged_in


def test_stay_logged_in_gives_a_year(login, member, frozen_now):
    result = engine.run(login, {"email": member.email, "password": STRONG, "remember": True})
    assert result.response["expires"] == 365 * 24 * 3600
    token = UserToken.objects.get()
    assert token.stay_logged_in and token.expiry_date == frozen_now + timedelta(days=365)


def test_a_wrong_password_and_an_unknown_email_fail_alike(login, member):
    wrong = engine.run(login, {"email": member.email, "password": "not-it-at-all"})
    unknown = engine.run(login, {"email": "nobody@example.com", "password": STRONG})
    for result in (wrong, unknown):
        assert (result.error.code, result.error.http_status) == ("LOGIN_FAILED", 400)
    assert wrong.error.message == unknown.error.message
    assert wrong.error.message.endswith("the email or the password is wrong")
    assert not UserToken.objects.exists()


def test_an_unknown_email_costs_the_hasher_s_work_too(login, member, monkeypatch):
    from django.contrib.auth.hashers import MD5PasswordHasher

    calls = []
    encode = MD5PasswordHasher.encode
    monkeypatch.setattr(
        MD5PasswordHasher, "encode", lambda self, *a: calls.append(1) or encode(self, *a)
    )
    for email in (member.email, "nobody@example.com"):
        calls.clear()
        engine.run(login, {"email": email, "password": "not-it-at-all"})
        assert len(calls) == 1, email


def test_an_inactive_user_or_one_without_a_password_cannot_log_in(login, member):
    member.is_active = False
    member.save()
    result = engine.run(login, {"email": member.email, "password": STRONG})
    assert result.error.code == "LOGIN_FAILED"
    User.objects.create_user("nopass", "nopass@example.com")  # an unusable password
    result = engine.run(login, {"email": "nopass@example.com", "password": ""})
    assert result.error.code == "LOGIN_FAILED"


def _throttle(settings, email: str = "3/hour", address: str = "0") -> None:
    settings.BUBBLE = {
        **settings.BUBBLE,
        "LOGIN_THROTTLE_EMAIL": email,
        "LOGIN_THROTTLE_ADDRESS": address,
    }


def test_failed_log_ins_are_throttled_per_email(login, member, settings, time_machine, frozen_now):
    _throttle(settings, email="3/hour")
    for _ in range(3):
        result = engine.run(login, {"email": member.email, "password": "nope-nope-nope"})
        assert result.error.code == "LOGIN_FAILED"
    # the budget is spent: even the right password is refused, and says when to retry
    refused = engine.run(login, {"email": "MEMBER@example.com", "password": STRONG})
    assert (refused.error.code, refused.error.http_status) == ("TOO_MANY_REQUESTS", 429)
    assert refused.error.retry_after == 3600
    # another email is not held back
    other = engine.run(login, {"email": "other@example.com", "password": "x"})
    assert other.error.code == "LOGIN_FAILED"
    time_machine.move_to(frozen_now + timedelta(hours=1, seconds=1), tick=False)
    assert engine.run(login, {"email": member.email, "password": STRONG}).ok


def test_failed_log_ins_are_throttled_per_address(login, member, settings):
    _throttle(settings, email="0", address="2/min")
    here, there = Caller(address="10.0.0.1"), Caller(address="10.0.0.2")
    for email in ("a@example.com", "b@example.com"):
        engine.run(login, {"email": email, "password": "x"}, caller=here)
    refused = engine.run(login, {"email": member.email, "password": STRONG}, caller=here)
    assert refused.error.code == "TOO_MANY_REQUESTS"
    assert engine.run(login, {"email": member.email, "password": STRONG}, caller=there).ok


def test_successful_log_ins_are_not_counted(login, member, settings):
    _throttle(settings, email="2/hour")
    for _ in range(4):
        assert engine.run(login, {"email": member.email, "password": STRONG}).ok


# --- create_account_for_someone_else --------------------------------------------------------


@pytest.fixture
def invite(make_workflow):
    return make_workflow(
        "invite",
        parameters=[{"key": "email", **TEXT}, {"key": "link", "type": "yes_no"}],
        actions=[
            {
                "id": "account",
                "type": "create_account_for_someone_else",
                "email": "{{ params.email }}",
                "fields": {"first_name": "Invited"},
                "return_password_change_link": "{{ params.link }}",
            },
            {
                "type": "return_data",
                "data": {
                    "id": "{{ steps.account.user.id }}",
                    "link": "{{ steps.account.password_change_link }}",
                },
            },
        ],
    )


def test_an_account_for_someone_else_has_no_usable_password(invite):
    result = engine.run(invite, {"email": "Guest@example.com", "link": False})
    assert result.ok, result.error
    user = User.objects.get()
    assert user.email == "guest@example.com" and user.first_name == "Invited"
    assert not user.has_usable_password()
    assert result.response == {"id": user.pk, "link": None}
    assert not UserToken.objects.exists()  # nobody is logged in


def test_its_password_change_link_sets_a_password(invite, client, settings):
    settings.BUBBLE = {**settings.BUBBLE, "SITE_URL": "https://api.example.com"}
    result = engine.run(invite, {"email": "guest@example.com", "link": True})
    link = result.response["link"]
    assert link.startswith("https://api.example.com/accounts/reset/")
    _set_password_through(client, link, "a-brand-new-passphrase")
    assert User.objects.get().check_password("a-brand-new-passphrase")


def test_without_an_address_the_link_cannot_be_made(invite):
    result = engine.run(invite, {"email": "guest@example.com", "link": True})
    assert "set BUBBLE_SITE_URL" in result.error.message
    assert not User.objects.exists()


def _set_password_through(client, link: str, password: str) -> None:
    path = "/" + link.split("/", 3)[3]
    page = client.get(path, follow=True)  # Django moves the token into the session
    assert page.status_code == 200 and page.context["validlink"], page.content[:500]
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )
    assert "Your password has been set" in done.content.decode()


# --- log_user_out ---------------------------------------------------------------------------


def test_log_out_revokes_the_caller_s_token_only(make_workflow, member):
    wf = make_workflow(actions=[{"id": "out", "type": "log_user_out"}])
    used, _, _ = user_token_create(user=member)
    other, _, _ = user_token_create(user=member)
    result = engine.run(wf, {}, member, caller=Caller(credential=used))
    assert StepRun.objects.get().output == 1
    assert result.ok
    assert UserToken.objects.get(pk=used.pk).revoked
    assert not UserToken.objects.get(pk=other.pk).revoked


def test_log_out_everywhere(make_workflow, member):
    wf = make_workflow(actions=[{"type": "log_user_out", "everywhere": True}])
    for _ in range(2):
        user_token_create(user=member)
    assert engine.run(wf, {}, member).ok
    assert not UserToken.objects.filter(revoked=False).exists()


def test_log_out_with_an_api_key_or_anonymously_revokes_nothing(make_workflow, member):
    from workflows.services import api_key_create

    wf = make_workflow(actions=[{"type": "log_user_out"}])
    key, _ = api_key_create(user=member, name="k")
    user_token_create(user=member)
    assert engine.run(wf, {}, member, caller=Caller(credential=key)).ok
    assert engine.run(wf, {}).ok
    assert not UserToken.objects.filter(revoked=True).exists()
    key.refresh_from_db()
    assert not key.revoked


# --- update_credentials ---------------------------------------------------------------------


@pytest.fixture
def update(make_workflow):
    return make_workflow(
        "update",
        parameters=params("email", "password", "old", optional=("email", "password")),
        actions=[
            {
                "type": "update_credentials",
                "email": "{{ params.email or '' }}",
                "password": "{{ params.password or '' }}",
                "old_password": "{{ params.old }}",
            }
        ],
    )


def test_update_credentials_needs_the_old_password(update, member):
    result = engine.run(update, {"email": "new@example.com", "old": "wrong-one"}, member)
    assert result.error.code == "LOGIN_FAILED" and "old_password" in result.error.message
    member.refresh_from_db()
    assert member.email == "member@example.com"


def test_update_credentials_changes_the_email_and_password(update, member):
    current, _, _ = user_token_create(user=member)
    elsewhere, _, _ = user_token_create(user=member)
    new = "another-fine-passphrase"
    result = engine.run(
        update,
        {"email": "New@Example.com", "password": new, "old": STRONG},
        member,
        caller=Caller(credential=current),
    )
    assert result.ok, result.error
    member.refresh_from_db()
    assert member.email == "new@example.com" and member.check_password(new)
    # a new password ends the other sessions, not the one making the change
    assert UserToken.objects.get(pk=elsewhere.pk).revoked
    assert not UserToken.objects.get(pk=current.pk).revoked


def test_update_credentials_refuses_a_taken_email_and_a_weak_password(update, member, user):
    taken = engine.run(update, {"email": "ALICE@example.com", "old": STRONG}, member)
    assert taken.error.parameter == "email" and "already a user" in taken.error.message
    weak = engine.run(update, {"password": "123", "old": STRONG}, member)
    assert weak.error.parameter == "password" and "too short" in weak.error.message
    member.refresh_from_db()
    assert member.email == "member@example.com" and member.check_password(STRONG)


def test_update_credentials_anonymously_fails(update):
    result = engine.run(update, {"email": "x@example.com", "old": "x"})
    assert "nobody is logged in" in result.error.message


def test_update_credentials_needs_something_to_change(make_workflow):
    with pytest.raises(DefinitionError, match="give a new email, a new password, or both"):
        make_workflow(actions=[{"type": "update_credentials", "old_password": "x"}])


# --- assign_temp_password -------------------------------------------------------------------


def test_a_temp_password_is_given_once_and_masked_in_the_log(make_workflow, member):
    wf = make_workflow(
        parameters=[{"key": "user", "type": "thing", "data_type": "auth.User"}],
        actions=[
            {"id": "temp", "type": "assign_temp_password", "user": "{{ params.user }}"},
            {"type": "log", "message": "new password: {{ steps.temp }}"},
            {"type": "return_data", "data": {"given": "{{ steps.temp }}"}},
        ],
    )
    user_token_create(user=member)
    result = engine.run(wf, {"user": member.pk})
    password = result.response["given"]
    assert len(password) == 16
    member.refresh_from_db()
    assert member.check_password(password)
    assert not UserToken.objects.filter(revoked=False).exists()  # logged out everywhere
    steps = list(StepRun.objects.order_by("position"))
    logged = str([(s.inputs, s.output) for s in steps]) + str(result.run.result)
    assert password not in logged and "********" in logged


# --- send_password_reset_email --------------------------------------------------------------


@pytest.fixture
def reset(make_workflow):
    return make_workflow(
        "reset",
        parameters=[{"key": "email", **TEXT}],
        actions=[{"type": "send_password_reset_email", "email": "{{ params.email }}"}],
    )


def test_the_reset_email_s_link_sets_a_new_password(
    reset, member, client, settings, django_capture_on_commit_callbacks
):
    settings.BUBBLE = {**settings.BUBBLE, "SITE_URL": "https://api.example.com"}
    session, _, _ = user_token_create(user=member)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = engine.run(reset, {"email": "MEMBER@example.com"})
    assert result.ok, result.error
    assert mail.outbox == []  # sent when the run commits
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["member@example.com"]
    assert "Password reset on api.example.com" in message.subject
    link = re.search(r"https://api\.example\.com/accounts/reset/\S+", message.body).group(0)
    _set_password_through(client, link, "a-brand-new-passphrase")
    member.refresh_from_db()
    assert member.check_password("a-brand-new-passphrase")
    assert UserToken.objects.get(pk=session.pk).revoked  # logged out everywhere
    # used once: the same link is now refused
    again = client.get("/" + link.split("/", 3)[3], follow=True)
    assert not again.context["validlink"]


def test_an_unknown_email_sends_nothing_and_does_not_fail(
    reset, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.run(reset, {"email": "nobody@example.com"}, caller=_here()).ok
    assert mail.outbox == []


def test_the_link_uses_the_request_s_address_without_a_site_url(
    reset, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.run(reset, {"email": member.email}, caller=_here()).ok
    assert "http://testserver/accounts/reset/" in mail.outbox[0].body


def test_an_account_made_for_someone_else_gets_the_reset_email_too(
    reset, invite, django_capture_on_commit_callbacks
):
    assert engine.run(invite, {"email": "guest@example.com", "link": False}).ok
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.run(reset, {"email": "guest@example.com"}, caller=_here()).ok
    assert mail.outbox[0].to == ["guest@example.com"]


def test_a_run_that_fails_sends_no_reset_email(
    make_workflow, member, django_capture_on_commit_callbacks
):
    wf = make_workflow(
        actions=[
            {"type": "send_password_reset_email", "email": member.email},
            {"type": "create_thing", "data_type": "examples.Customer", "fields": {"name": ""}},
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert not engine.run(wf, {}, caller=_here()).ok
    assert mail.outbox == []


def _reset_throttle(settings, email: str = "0", address: str = "0") -> None:
    settings.BUBBLE = {
        **settings.BUBBLE,
        "RESET_EMAIL_THROTTLE_EMAIL": email,
        "RESET_EMAIL_THROTTLE_ADDRESS": address,
    }


def test_reset_emails_are_throttled_per_email_known_or_not(
    reset, member, settings, time_machine, frozen_now, django_capture_on_commit_callbacks
):
    _reset_throttle(settings, email="2/hour")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert engine.run(reset, {"email": member.email}, caller=_here()).ok
        refused = engine.run(reset, {"email": "MEMBER@example.com"}, caller=_here())
        # an unknown address spends its own budget the same way: no account is revealed
        for _ in range(2):
            assert engine.run(reset, {"email": "nobody@example.com"}, caller=_here()).ok
        unknown = engine.run(reset, {"email": "nobody@example.com"}, caller=_here())
    assert (refused.error.code, refused.error.http_status) == ("TOO_MANY_REQUESTS", 429)
    assert refused.error.retry_after == 3600
    assert "too many password reset emails" in refused.error.message
    assert unknown.error.code == "TOO_MANY_REQUESTS"
    assert len(mail.outbox) == 2  # the refused one sent nothing
    time_machine.move_to(frozen_now + timedelta(hours=1, seconds=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert engine.run(reset, {"email": member.email}, caller=_here()).ok
    assert len(mail.outbox) == 3


def test_reset_emails_are_throttled_per_address(reset, member, settings):
    _reset_throttle(settings, address="2/min")
    here, there = _here(), Caller(address="10.0.0.2", site_root="http://testserver/")
    for email in ("a@example.com", "b@example.com"):
        assert engine.run(reset, {"email": email}, caller=here).ok
    assert engine.run(reset, {"email": member.email}, caller=here).error.code == (
        "TOO_MANY_REQUESTS"
    )
    assert engine.run(reset, {"email": member.email}, caller=there).ok


def _here() -> Caller:
    return Caller(address="127.0.0.1", site_root="http://testserver/")


def test_a_test_run_shows_the_reset_email_with_its_link_masked(reset, member):
    with outboxes.test_run_outbox() as outbox:
        assert engine.run(reset, {"email": member.email}, caller=_here()).ok
    [email] = outbox.emails
    assert email["to"] == ["member@example.com"]
    assert "/accounts/reset/" not in email["body"] and "********" in email["body"]
    assert mail.outbox == []


def test_a_parameter_feeding_a_password_is_masked_whatever_its_name(make_workflow):
    wf = make_workflow(
        parameters=[{"key": "mail", "type": "text"}, {"key": "pw", "type": "text"}],
        actions=[
            {"type": "sign_up", "email": "{{ params.mail }}", "password": "{{ params.pw }}"},
            {
                "type": "create_thing",
                "data_type": "auth.User",
                "fields": {"username": "second", "password": "{{ params.pw }}"},
            },
        ],
    )
    result = engine.run(wf, {"mail": "pw@example.com", "pw": STRONG})
    assert result.ok, result.error
    assert result.run.params == {"mail": "pw@example.com", "pw": "********"}
    logged = str([(s.inputs, s.output) for s in StepRun.objects.all()])
    assert STRONG not in logged


@pytest.mark.parametrize(
    "name",
    [
        "LOGIN_THROTTLE_EMAIL",
        "LOGIN_THROTTLE_ADDRESS",
        "RESET_EMAIL_THROTTLE_EMAIL",
        "RESET_EMAIL_THROTTLE_ADDRESS",
    ],
)
def test_a_malformed_account_rate_is_a_system_check_error(settings, name):
    from workflows.checks import check_login_throttle_rates

    assert check_login_throttle_rates(None) == []
    settings.BUBBLE = {**settings.BUBBLE, name: "often"}
    [error] = check_login_throttle_rates(None)
    assert error.id == "workflows.E011" and name in error.msg and "'often'" in error.msg
