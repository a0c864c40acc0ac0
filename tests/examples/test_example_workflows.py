"""Each example workflow validates and does what its description says, for real."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from examples.models import Order, VerificationCode
from scheduler.models import ScheduledRun
from workflows import engine
from workflows.choices import RunStatus
from workflows.models import Workflow


def run(name, params, actor=None):
    return engine.run(Workflow.objects.get(name=name), params, actor)


@pytest.fixture
def mailed(django_capture_on_commit_callbacks, mailoutbox):
    """Run a workflow with on-commit callbacks executed: emails really go out."""

    def do(name, params, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            result = run(name, params, actor)
        assert result.ok, result.error
        return result

    return do


# --- the shop ----------------------------------------------------------------------------


def test_process_order_marks_paid_summarises_and_confirms(
    examples, mailed, mailoutbox, order, user
):
    result = mailed("process-order", {"order": order.pk}, user)
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    summary = f"Order #{order.pk} for Ann: 12.50, paid."
    review = ScheduledRun.objects.get(workflow__name="send-review-request")
    assert result.response == {
        "order": order.pk,
        "status": "paid",
        "summary": summary,
        "review_run": str(review.pk),
        "review_due": review.due_at.isoformat(),
    }
    [email] = mailoutbox
    assert email.to == ["ann@example.com"] and email.subject == f"Order #{order.pk} confirmed"
    assert "Hello Ann," in email.body and summary in email.body
    assert result.run.children.get().workflow_name == "order-summary"


def test_process_order_refuses_a_free_order(examples, customer, user, mailoutbox):
    free = Order.objects.create(customer=customer, total=Decimal("0"))
    result = run("process-order", {"order": free.pk}, user)
    assert result.status == RunStatus.CONDITION_NOT_MET and result.error.http_status == 400
    free.refresh_from_db()
    assert free.status == "new" and mailoutbox == []


def test_send_review_request(examples, mailed, order, mailoutbox):
    result = mailed("send-review-request", {"order": order.pk})
    order.refresh_from_db()
    assert order.review_requested_at is not None
    assert result.response["order"] == order.pk
    [email] = mailoutbox
    assert email.to == ["ann@example.com"] and "review" in email.body


def test_process_order_over_the_api_needs_a_key(examples, call, key, order):
    assert call("process-order", {"order": order.pk}).status_code == 401
    response = call("process-order", {"order": order.pk}, key=key)
    assert response.status_code == 200 and response.json()["response"]["status"] == "paid"


# --- verification codes ------------------------------------------------------------------

EMAIL = "Someone@Example.com "


@pytest.fixture
def sent_code(examples, mailed, mailoutbox) -> str:
    result = mailed("verify_send", {"email": EMAIL})
    assert result.response == {"sent": True}  # never the code
    [email] = mailoutbox
    code = VerificationCode.objects.get()
    assert email.to == ["someone@example.com"] and code.code in email.body
    assert len(code.code) == 6 and code.code.isdigit()
    assert code.code not in str(result.run.result)
    return code.code


def check(code: str, email: str = EMAIL) -> dict:
    result = run("verify_check", {"email": email, "code": code})
    assert result.ok, result.error
    return result.response


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_right_code_is_valid_once(sent_code):
    assert check(sent_code) == {"valid": True, "locked": False}
    stored = VerificationCode.objects.get()
    assert stored.verified and stored.attempts == 1
    assert check(sent_code)["valid"] is False  # used up


def test_a_wrong_code_is_not_valid(sent_code):
    assert check(wrong(sent_code)) == {"valid": False, "locked": False}
    assert VerificationCode.objects.get().attempts == 1


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(sent_code):
    answers = [check(wrong(sent_code)) for _ in range(6)]
    assert [a["locked"] for a in answers] == [False] * 4 + [True, True]
    assert not any(a["valid"] for a in answers)
    assert check(sent_code) == {"valid": False, "locked": True}
    assert VerificationCode.objects.get().attempts == 5


def test_an_expired_code_is_not_valid(sent_code):
    VerificationCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=16))
    assert check(sent_code) == {"valid": False, "locked": False}
    assert VerificationCode.objects.get().attempts == 0


def test_only_the_latest_code_counts(sent_code, mailed):
    mailed("verify_send", {"email": EMAIL})
    first, latest = VerificationCode.objects.order_by("created_at", "pk")
    VerificationCode.objects.filter(pk=latest.pk).update(code=wrong(sent_code))
    assert check(sent_code)["valid"] is False
    assert VerificationCode.objects.get(pk=first.pk).attempts == 0


def test_no_code_sent_is_simply_not_valid(examples):
    assert check("123456", "nobody@example.com") == {"valid": False, "locked": False}


def test_verify_send_refuses_what_is_not_an_address(examples, mailoutbox):
    result = run("verify_send", {"email": "not-an-address"})
    assert result.status == RunStatus.CONDITION_NOT_MET
    assert not VerificationCode.objects.exists() and mailoutbox == []


def test_verification_works_anonymously_over_the_api(sent_code, call):
    response = call("verify_check", {"email": EMAIL, "code": sent_code})
    assert response.status_code == 200 and response.json()["response"]["valid"] is True


def test_verify_delete(examples):
    code = VerificationCode.objects.create(destination="a@example.com", code="123456")
    assert run("verify_delete", {"code": code.pk}).response == {"deleted": 1}
    assert not VerificationCode.objects.exists()


# --- emails ------------------------------------------------------------------------------


def test_send_email_template_greets_by_name_or_not(examples, mailed, mailoutbox, staff_user):
    params = {"to": "x@example.com, y@example.com", "subject": "News", "body": "It works."}
    result = mailed("send_email_template", {**params, "name": "Zoé"}, staff_user)
    assert result.response == {
        "sent": True,
        "to": ["x@example.com", "y@example.com"],
        "subject": "News",
    }
    mailed("send_email_template", params, staff_user)
    first, second = mailoutbox
    assert first.body == "Hello Zoé,\n\nIt works." and second.body.startswith("Hello there,")


def test_send_email_template_is_for_admins_only(examples, call, key, make_key, staff_user):
    params = {"to": "x@example.com", "subject": "s", "body": "b"}
    assert call("send_email_template", params, key=key).status_code == 403
    response = call("send_email_template", params, key=make_key(staff_user))
    assert response.status_code == 200, response.json()


def test_happy_birthday(examples, mailed, mailoutbox, user):
    user.first_name = "Alice"
    user.save()
    assert mailed("happy-birthday", {"user": user.pk}).response == {
        "sent_to": ["alice@example.com"]
    }
    [email] = mailoutbox
    assert email.subject == "Happy birthday, Alice!" and "Dear Alice" in email.body


def test_happy_birthday_skips_a_user_without_an_email(examples, user, mailoutbox):
    user.email = ""
    user.save()
    result = run("happy-birthday", {"user": user.pk})
    assert result.status == RunStatus.CONDITION_NOT_MET
    assert mailoutbox == []


def test_unexposed_examples_are_not_reachable_over_the_api(examples, call, key, order):
    for name in ("send-review-request", "happy-birthday", "verify_delete", "order-summary"):
        assert call(name, {}, key=key).status_code == 404


# --- accounts: sign up and log in, then call the API as that user ------------------------


def test_signup_then_the_data_api_as_the_new_user(examples, call, api):
    signed = call(
        "signup",
        {"email": "Cy@Example.com", "password": "correct-horse-9", "first_name": " Cy "},
    )
    assert signed.status_code == 200, signed.json()
    answer = signed.json()["response"]
    assert set(answer) == {"token", "user_id", "expires"} and answer["expires"] == 86400
    # the examples' privacy rules: a user sees their own account, nobody else's
    me = api.get(
        f"/api/1.1/obj/auth.user/{answer['user_id']}",
        HTTP_AUTHORIZATION=f"Bearer {answer['token']}",
    )
    assert me.status_code == 200
    assert (me.json()["response"]["email"], me.json()["response"]["first_name"]) == (
        "cy@example.com",
        "Cy",
    )
    again = call("signup", {"email": "cy@EXAMPLE.com", "password": "correct-horse-9"})
    assert (again.status_code, again.json()["parameter"]) == (400, "email")


def test_login_answers_a_token_or_one_uniform_failure(examples, call, user):
    remembered = call(
        "login", {"email": user.email, "password": "pw-alice-123", "stay_logged_in": True}
    )
    assert remembered.status_code == 200
    assert remembered.json()["response"]["expires"] == 365 * 86400
    wrong = call("login", {"email": user.email, "password": "nope"})
    unknown = call("login", {"email": "who@example.com", "password": "pw-alice-123"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json()["message"] == unknown.json()["message"]
    assert wrong.json()["code"] == "LOGIN_FAILED"
