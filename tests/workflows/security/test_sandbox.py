"""Security: expressions written by builders cannot escape the sandbox, read what a
workflow was not given, or exhaust memory and time — whatever the caller sends."""

from __future__ import annotations

import datetime
import resource
import time
from functools import partial

import pytest

from workflows import engine
from workflows.engine.expressions import ScopeSpec, compile_condition, compile_template
from workflows.engine.functions import days
from workflows.engine.sandbox import environment
from workflows.engine.values_types import Namespace, Steps
from workflows.exceptions import DefinitionError, ExpressionError

ANY = ScopeSpec()


class _Internals:
    secret = "ENGINE-INTERNALS"


def _search(ctx, *args, **kwargs):
    return None


def scope(**params):
    return {
        "params": Namespace(params, "parameter"),
        "steps": Steps(),
        "now": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        "current_user": None,
        "settings": Namespace({}, "setting"),
        "days": days,
        # what the run's scope really holds: functions bound to the run's context
        "search": partial(_search, _Internals()),
    }


def evaluate(source, **params):
    return compile_template(source, ANY).evaluate(scope(**params))


# --- escapes to Python internals -------------------------------------------------------

ESCAPES = [
    "{{ params.text.__class__.__mro__[1].__subclasses__() }}",
    "{{ params.text|attr('__class__') }}",
    "{{ [params.text]|selectattr('__class__')|list }}",
    "{{ '{0.__class__}'.format(params.text) }}",
    "{{ '{0}'.format_map(params) }}",
    "{{ '%s' % params.text }}",
    "{{ '%(a)s' % dict(a=1) }}",
    "{{ days.__globals__ }}",
    "{{ dict.fromkeys }}",
    "{{ dict.__init__ }}",
    # a run-bound function carries the run's context in .args: it must stay opaque
    "{{ search.args[0].secret }}",
    "{{ search.keywords }}",
    "{{ search.func }}",
    "{{ now.tzinfo.utcoffset(now) }}",
    "{{ params._data }}",
    "{{ steps._by_id }}",
    # Jinja's own globals and template internals are not there
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner }}",
    "{{ namespace }}",
    "{{ self._TemplateReference__context }}",
    "{{ loop }}",
    "{{ caller }}",
    "{{ config }}",
    "{{ request }}",
    "{{ range.__self__ }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{{ ().__class__.__base__ }}",
    "{{ params|attr('_data') }}",
    "{{ params.text|attr('__init__')|attr('__globals__') }}",
    # format-string tricks: str.format, format_map, %-formatting and the format filter
    "{{ '{0:>999999999}'.format(1) }}",
    "{{ '{0.__init__.__globals__}'.format(params) }}",
    "{{ 'x'|format(params) }}",
    "{{ '%c' % 10 }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_are_refused(source):
    with pytest.raises(ExpressionError):
        result = evaluate(source, text="t")
        # a lazily refused attribute comes back undefined: it must never carry a value
        assert "ENGINE-INTERNALS" not in str(result)


@pytest.mark.parametrize(
    "source",
    [
        "{{ [params.text]|map(attribute='__class__')|list|string }}",
        "{{ [params.text]|sort(attribute='__class__')|list|string }}",
        "{{ [params.text]|groupby('__class__')|list|string }}",
        "{{ [params.text]|dictsort(by='__class__')|string }}",
        "{{ [search]|map(attribute='args')|list|string }}",
    ],
)
def test_attribute_paths_in_filters_give_undefined_not_internals(source):
    try:
        result = evaluate(source, text="t")
    except ExpressionError:
        return
    assert "class" not in str(result) and "ENGINE-INTERNALS" not in str(result)


@pytest.mark.parametrize(
    "source",
    ["{{ search.args[0].params }}", "{{ search._ctx.params }}", "{{ search|attr('_ctx') }}"],
)
def test_the_run_context_is_not_reachable_in_a_real_run(make_workflow, user, source):
    wf = make_workflow(
        parameters=[{"key": "secret", "type": "text"}],
        actions=[{"type": "return_data", "data": {"x": source}}],
    )
    result = engine.run(wf, {"secret": "caller-secret"}, user)
    assert not result.ok and "caller-secret" not in result.error.message


def test_printing_a_run_bound_function_shows_nothing_of_the_run(make_workflow, user):
    wf = make_workflow(
        parameters=[{"key": "secret", "type": "text"}],
        actions=[
            {
                "type": "return_data",
                "data": {"x": "{{ search }}", "y": "t {{ [search] }}", "z": "{{ search|string }}"},
            }
        ],
    )
    result = engine.run(wf, {"secret": "caller-secret"}, user)
    assert result.response == {
        "x": "<function search>",
        "y": "t [<function search>]",
        "z": "<function search>",
    }
    assert "caller-secret" not in str(result.run.result)


# --- things: methods, managers, hidden fields, relations to internal models ----------

THING_ATTEMPTS = [
    "{{ current_user.password }}",
    "{{ current_user['password'] }}",
    "{{ current_user|attr('password') }}",
    "{{ [current_user]|map(attribute='password')|join }}",
    "{{ [current_user]|selectattr('password')|list|length }}",
    "{{ [current_user]|sort(attribute='password')|map(attribute='password')|join }}",
    "{{ current_user.set_password('x') }}",
    "{{ current_user.check_password('pw-alice-123') }}",
    "{{ current_user.save() }}",
    "{{ current_user.delete() }}",
    "{{ current_user|attr('delete') }}",
    "{{ current_user._meta }}",
    "{{ current_user.objects }}",
    "{{ current_user.__class__.objects.all() }}",
    "{{ current_user.customers.all() }}",
    "{{ current_user.customers.delete() }}",
    # relations to models that are not data types: keys, runs, admin log, permissions
    "{{ current_user.api_keys|map(attribute='hashed_key')|join }}",
    "{{ current_user.workflow_runs|map(attribute='params')|list|string }}",
    "{{ current_user.logentry_set|list|length }}",
    "{{ current_user.groups|list|length }}",
    "{{ current_user.user_permissions|list|length }}",
]


def test_grouping_by_a_hidden_field_groups_by_nothing(make_workflow, user):
    wf = make_workflow(
        actions=[{"type": "return_data", "data": {"x": "{{ [current_user]|groupby('password') }}"}}]
    )
    result = engine.run(wf, {}, user)
    assert user.password not in str(result.response) + str(result.run.result)


@pytest.mark.parametrize("source", THING_ATTEMPTS)
def test_things_expose_only_visible_fields_and_data_type_relations(
    source, make_workflow, user, make_key
):
    make_key(user)  # a key (and its hash) exist to be stolen
    password_hash = user.password
    wf = make_workflow(actions=[{"type": "return_data", "data": {"x": source}}])
    result = engine.run(wf, {}, user)
    user.refresh_from_db()
    assert not result.ok, result.response
    assert password_hash not in str(result.run.result) + str(result.error.message)
    assert user.password == password_hash  # nothing was changed


def test_visible_fields_and_data_type_relations_still_read(make_workflow, user, customer):
    wf = make_workflow(
        actions=[
            {
                "type": "return_data",
                "data": {
                    "name": "{{ current_user.username }}",
                    "staff": "{{ current_user.is_staff }}",
                    "customers": "{{ current_user.customers|map(attribute='name')|list }}",
                    "owner": "{{ current_user.customers.first.user.username }}",
                },
            }
        ]
    )
    result = engine.run(wf, {}, user)
    assert result.response == {
        "name": "alice",
        "staff": False,
        "customers": ["Ann"],
        "owner": "alice",
    }


@pytest.mark.parametrize(
    "source",
    [
        "{{ search('auth.User', password__startswith='pbkdf2') }}",
        "{{ search('auth.User', groups__name='admins') }}",
        "{{ search('auth.User', user_permissions__codename='add_user') }}",
        "{{ search('examples.Customer', user__password__startswith='p') }}",
    ],
)
def test_search_cannot_filter_on_hidden_fields_or_inside_internal_models(source):
    with pytest.raises(ExpressionError):
        compile_template(source, ANY)


# --- resource exhaustion --------------------------------------------------------------

BIG = "('a' * 999999)"
EXHAUSTION = [
    "{{ 'a' * 10 ** 9 }}",
    "{{ [1] * 10 ** 8 }}",
    "{{ range(10 ** 9)|list }}",
    "{{ range(10 ** 9)|sum }}",
    "{{ 2 ** (10 ** 7) }}",
    # one big text referenced many times costs nothing until it is printed
    f"{{{{ ([{BIG}] * 999999)|string|length }}}}",
    f"{{{{ ([{BIG}] * 999999)|tojson|length }}}}",
    f"text {{{{ [{BIG}] * 2000 }}}}",
    f"{{{{ ([{BIG}] + [{BIG}])|length }}}}",
    f"{{{{ (range(99999)|map(attribute='x', default={BIG})|sort)|length }}}}",
    f"{{{{ range(99999)|map(attribute='x', default={BIG})|list|upper|length }}}}",
    f"{{{{ range(99999)|map(attribute='x')|map('default', {BIG})|list|string|length }}}}",
    f"{{{{ dict(a={BIG}, b={BIG})|string|length }}}}",
    # ~ is not an operator Jinja lets a sandbox intercept: it is compiled to a checked join
    f"{{{{ ({BIG} ~ {BIG} ~ {BIG} ~ {BIG})|length }}}}",
    # many fresh big values, each under the cap: the evaluation's total is capped too
    "{{ [" + ", ".join([BIG] * 400) + "]|length }}",
    "{{ [" + ", ".join(["(('a' * 99999)|replace('a', 'aaaaaaaaa'))"] * 150) + "]|length }}",
    "{{ [" + ", ".join(["(('a' * 999999)|upper)"] * 400) + "]|length }}",
    "{{ [1]|tojson(indent=10 ** 8)|length }}",
    "{{ range(99999)|join('x' * 999) }}",
    "{{ ([range(99999)|list] * 99999)|sum(start=[])|length }}",
    "{{ 'a'|center(10 ** 9) }}",
    "{{ 'a'|indent(10 ** 9) }}",
    "{{ 'a'|wordwrap(10 ** 9) }}",
    "{{ 'a'.center(10 ** 9) }}",
    "{{ 'a'.ljust(10 ** 9) }}",
    "{{ 'a\tb'.expandtabs(10 ** 9) }}",
]


@pytest.mark.parametrize("source", EXHAUSTION)
def test_resource_exhaustion_is_refused_quickly(source):
    """Refused before doing much work: measured in CPU seconds of this thread, which other
    work on the machine does not inflate (the sandbox's own deadline is wall-clock time,
    so under load it stops the evaluation after less CPU, never more)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.thread_time()
    with pytest.raises((ExpressionError, DefinitionError)):
        evaluate(source)
    assert time.thread_time() - started < 3
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"{source} used {grown_mb:.0f} MB before being refused"


def test_deep_nesting_is_refused():
    with pytest.raises(ExpressionError):
        compile_template("{{ " + "[" * 3000 + "]" * 3000 + " }}", ANY)
    with pytest.raises(ExpressionError):
        compile_condition("not " * 3000 + "true", ANY)


def test_saving_a_workflow_never_evaluates_its_expressions():
    # Jinja's optimizer would run these filters at compile time (when the workflow is
    # saved), outside any time budget: 'ABC' would be in the compiled code.
    code = environment.compile("x{{ 'abc'|upper }}{{ [3, 1]|sort }}", raw=True)
    assert "ABC" not in code and "[1, 3]" not in code
    grow = "|replace('a', 'aaaaaaaaaa')" * 5
    started = time.thread_time()  # CPU time: not inflated by other work on the machine
    compile_template(f"{{{{ ('aaaaaaaaaa'{grow})|list }}}}", ANY)  # 1,000,000 items if run
    assert time.thread_time() - started < 0.5


def test_ordinary_expressions_still_work():
    assert evaluate("{{ 'ab' ~ 1 ~ 'c' }}") == "ab1c"
    assert evaluate("{{ [1, 2] + [3] }}") == [1, 2, 3]
    assert evaluate("{{ ['ab'] * 3 }}") == ["ab", "ab", "ab"]
    assert evaluate("{{ range(5)|map('string')|reverse|join(',') }}") == "4,3,2,1,0"
    assert evaluate("{{ range(3)|map('string')|reverse }}") == ["2", "1", "0"]
    assert evaluate("{{ dict(a=1)|tojson(indent=2) }}") == '{\n  "a": 1\n}'
    assert evaluate("{{ now.year }}-{{ now.month }}") == "2026-1"
    assert evaluate("{{ 'x' * 1000 }}") == "x" * 1000


def test_unknown_filters_are_a_definition_error_not_a_crash(make_workflow):
    with pytest.raises(DefinitionError, match="No filter named 'center'"):
        make_workflow(actions=[{"type": "log", "message": "{{ 'a'|center(9) }}"}])
    with pytest.raises(DefinitionError, match="No filter named 'indent'"):
        make_workflow(only_when="'a'|indent(9)", actions=[])
