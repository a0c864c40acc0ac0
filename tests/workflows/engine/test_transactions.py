"""When a run's changes are saved: one transaction opened at the first step that may write
(a call to another server before it holds no lock), or one per step (``commit:
each_step``); and the advice given when a workflow would hold SQLite's lock while waiting."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from werkzeug.wrappers import Response

from examples.models import Customer
from workflows import engine
from workflows.engine.advice import workflow_advice
from workflows.engine.cache import get_compiled

# the default ``db`` fixture wraps each test in a transaction: these need real ones
pytestmark = pytest.mark.django_db(transaction=True)

CREATE = {
    "type": "create_thing",
    "data_type": "examples.Customer",
    "fields": {"name": "Ann", "email": "ann@example.com"},
}


@pytest.fixture
def outside(httpserver, settings):
    """A server that notes whether the run's database connection was inside a transaction
    while the run waited for its answer (the run waits in this thread; the server answers
    from its own)."""
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    seen: list[bool] = []
    run_connection = connections["default"]  # this thread's connection object: the run's

    def answer(request):
        seen.append(run_connection.in_atomic_block)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/pay").respond_with_handler(answer)
    call = {"type": "http_request", "method": "POST", "url": httpserver.url_for("/pay")}
    return call, seen


def test_a_call_before_any_write_holds_no_transaction(make_workflow, user, outside):
    call, seen = outside
    result = engine.run(make_workflow(actions=[call, CREATE]), {}, user)
    assert result.ok, result.error
    assert seen == [False]
    assert Customer.objects.count() == 1


def test_a_call_after_a_write_waits_inside_the_runs_transaction(make_workflow, user, outside):
    call, seen = outside
    assert engine.run(make_workflow(actions=[CREATE, call]), {}, user).ok
    assert seen == [True]


def test_each_step_commits_before_the_call(make_workflow, user, outside):
    call, seen = outside
    wf = make_workflow(commit="each_step", actions=[CREATE, call])
    assert engine.run(wf, {}, user).ok
    assert seen == [False]


def test_each_step_fetches_an_emails_attachments_outside_any_transaction(
    make_workflow, user, httpserver, settings
):
    settings.BUBBLE = {**settings.BUBBLE, "HTTP_ALLOW_PRIVATE": True}
    seen: list[bool] = []
    run_connection = connections["default"]

    def answer(request):
        seen.append(run_connection.in_atomic_block)
        return Response(b"%PDF-1.4", content_type="application/pdf")

    httpserver.expect_request("/invoice.pdf").respond_with_handler(answer)
    email = {
        "type": "send_email",
        "to": "ann@example.com",
        "subject": "Your invoice",
        "body": "attached",
        "attachments": httpserver.url_for("/invoice.pdf"),
    }
    wf = make_workflow(commit="each_step", actions=[CREATE, email])
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    assert seen == [False] and len(mail.outbox[0].attachments) == 1


def test_each_step_keeps_what_earlier_steps_saved_when_a_later_one_fails(make_workflow, user):
    steps = [
        CREATE,
        {"type": "send_email", "to": "ann@example.com", "subject": "hi", "body": "hello"},
        {"type": "log", "message": "{{ 1 / 0 }}"},
    ]
    together = engine.run(make_workflow("together", actions=steps), {}, user)
    assert not together.ok and Customer.objects.count() == 0 and len(mail.outbox) == 0
    each = engine.run(make_workflow("each", commit="each_step", actions=steps), {}, user)
    assert not each.ok and "step 3" in each.error.message
    assert Customer.objects.count() == 1 and len(mail.outbox) == 1
    assert [s.status for s in each.run.steps.all()] == ["succeeded", "succeeded", "failed"]


def test_a_failing_step_rolls_back_only_its_own_changes_with_each_step(make_workflow, user):
    steps = [
        CREATE,
        {**CREATE, "fields": {"name": "Bo", "email": "bo@example.com"}},
        {"type": "create_thing", "data_type": "examples.Customer", "fields": {"name": ""}},
    ]
    result = engine.run(make_workflow(commit="each_step", actions=steps), {}, user)
    assert not result.ok
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Ann", "Bo"]


def test_a_locking_search_opens_the_transaction(make_workflow, user, customer):
    wf = make_workflow(
        actions=[
            {"type": "log", "message": "{{ search('examples.Customer', lock=true).first.name }}"},
            {"type": "return_data", "data": {"ok": True}},
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error  # select_for_update outside a transaction would raise


# --- advice ---------------------------------------------------------------------------------


def test_advice_names_a_call_made_while_holding_sqlites_lock(make_workflow, outside):
    call, _ = outside
    wf = make_workflow("pay", actions=[CREATE, call])
    (advice,) = workflow_advice(get_compiled(wf), vendor="sqlite")
    assert "step 2 (" in advice
    assert "after step 1" in advice and "commit: each_step" in advice
    assert workflow_advice(get_compiled(wf), vendor="postgresql") == []


def test_no_advice_when_the_call_comes_first_or_steps_commit_on_their_own(make_workflow, outside):
    call, _ = outside
    first = make_workflow("first", actions=[call, CREATE])
    each = make_workflow("each", commit="each_step", actions=[CREATE, call])
    assert workflow_advice(get_compiled(first), vendor="sqlite") == []
    assert workflow_advice(get_compiled(each), vendor="sqlite") == []


def test_import_prints_the_advice(tmp_path, settings):
    if connection.vendor != "sqlite":
        pytest.skip("the advice is about SQLite's database-wide write lock")
    path = tmp_path / "pay.yaml"
    path.write_text(
        "workflows:\n"
        "  - name: pay\n"
        "    actions:\n"
        "      - type: create_thing\n"
        "        data_type: examples.Customer\n"
        "        fields: {name: A, email: a@b.co}\n"
        "      - {type: http_request, url: 'https://api.example.com/pay'}\n"
    )
    err = StringIO()
    call_command("import_workflows", str(path), stdout=StringIO(), stderr=err)
    assert "warning: Workflow 'pay', step 2" in err.getvalue()


def test_a_locking_search_inside_each_step_keeps_steps_their_own(make_workflow, user, customer):
    """The locking search once opened a transaction for the rest of the run: a later failure
    then rolled back steps the log said were saved."""
    steps = [
        {**CREATE, "fields": {"name": "A", "email": "a@example.com"}},
        {
            **CREATE,
            "fields": {
                "name": "B {{ search('examples.Customer', lock=true).count }}",
                "email": "b@example.com",
            },
        },
        {**CREATE, "fields": {"name": "C", "email": "c@example.com"}},
        {"type": "log", "message": "{{ 1 / 0 }}"},
    ]
    result = engine.run(make_workflow(commit="each_step", actions=steps), {}, user)
    assert not result.ok and "step 4" in result.error.message
    names = sorted(Customer.objects.values_list("name", flat=True))
    assert names == ["A", "Ann", "B 2", "C"]


def test_a_locking_search_in_a_log_step_works_with_each_step(make_workflow, user, customer):
    wf = make_workflow(
        commit="each_step",
        actions=[{"type": "log", "message": "{{ search('examples.Customer', lock=true).count }}"}],
    )
    assert engine.run(wf, {}, user).ok


def test_a_locking_search_through_a_list_works(make_workflow, user, order):
    """DISTINCT (each thing once) cannot be locked FOR UPDATE on PostgreSQL."""
    from examples.models import Product

    order.products.set([Product.objects.create(name="Tea", price=1)])
    wf = make_workflow(
        actions=[
            {
                "type": "make_changes_to_list",
                "list": "{{ search('examples.Order', products__name='Tea', lock=true) }}",
                "changes": {"note": "tea"},
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.ok, result.error
    order.refresh_from_db()
    assert order.note == "tea"


def test_an_email_that_fails_after_its_step_commits_is_noted_with_each_step(
    make_workflow, user, settings
):
    """The note was written only to a step already in the database: with each_step the
    email goes when its step commits, before the run's log is written, and was lost."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    wf = make_workflow(
        commit="each_step",
        actions=[
            {"type": "send_email", "to": "a@example.com", "subject": "s", "body": "b"},
            {"type": "log", "message": "after"},
        ],
    )
    result = engine.run(wf, {}, user)
    assert result.ok
    assert "email not delivered" in result.run.steps.get(position=1).error


def test_advice_on_retrying_a_workflow_that_saves_each_step(make_workflow):
    wf = make_workflow("again", commit="each_step", retries=2, actions=[CREATE])
    (advice,) = workflow_advice(get_compiled(wf), vendor="postgresql")
    assert "retried 2 time(s)" in advice and "done again" in advice
    once = make_workflow("once", commit="each_step", actions=[CREATE])
    assert workflow_advice(get_compiled(once), vendor="postgresql") == []
