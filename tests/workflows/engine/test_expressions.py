"""The expression language: values, static reference checks, and the sandbox's refusals."""

from __future__ import annotations

import datetime

import pytest

from workflows.engine.expressions import ScopeSpec, compile_condition, compile_template
from workflows.engine.functions import days
from workflows.engine.values_types import Namespace, Steps
from workflows.exceptions import ExpressionError

SPEC = ScopeSpec(frozenset({"order", "n", "text", "items"}), ("first", None))


def scope(**params):
    steps = Steps()
    steps.record("first", {"status": "paid"})
    steps.record(None, 42)
    base = {
        "params": Namespace(params, "parameter"),
        "steps": steps,
        "now": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        "current_user": None,
        "settings": Namespace({}, "setting"),
        "days": days,
    }
    return base


def evaluate(source, spec=SPEC, **params):
    return compile_template(source, spec).evaluate(scope(**params))


def condition(source, spec=SPEC, **params):
    return compile_condition(source, spec).evaluate(scope(**params))


class TestValues:
    def test_single_expression_gives_native_value(self):
        assert evaluate("{{ params.n * 2 }}", n=21) == 42
        assert evaluate("  {{ params.items }} ", items=[1, 2]) == [1, 2]

    def test_text_with_parts_renders_to_string(self):
        assert evaluate("n is {{ params.n }}", n=3) == "n is 3"
        assert evaluate("{{ params.n }}{{ params.n }}", n=3) == "33"

    def test_none_renders_as_empty_text(self):
        assert evaluate("[{{ params.text }}]", text=None) == "[]"

    def test_steps_by_id_and_index(self):
        assert evaluate("{{ steps.first.status }}") == "paid"
        # steps count from 1, as in Bubble's "Result of step 1" and the run log
        assert evaluate("{{ steps[1].status }}") == "paid"
        assert evaluate("{{ steps[2] }}") == 42
        assert evaluate("{{ steps['first']['status'] }}") == "paid"

    def test_date_arithmetic(self):
        value = evaluate("{{ now + days(7) }}")
        assert value == datetime.datetime(2026, 1, 8, tzinfo=datetime.timezone.utc)

    def test_a_parameter_named_like_a_dict_method_is_just_a_parameter(self):
        assert evaluate("{{ params.items }}", items="x") == "x"

    def test_conditions(self):
        assert condition("params.n > 1 and params.text == 'a'", n=2, text="a") is True
        assert condition("params.n > 1", n=0) is False

    def test_filters(self):
        assert evaluate("{{ params.text|upper }}", text="ab") == "AB"
        assert evaluate("{{ params.items|join(', ') }}", items=["a", "b"]) == "a, b"
        assert evaluate("{{ params.items|length }}", items=[1, 2, 3]) == 3
        assert evaluate("{{ now|format_date('%Y/%m/%d') }}") == "2026/01/01"


class TestStaticChecks:
    def test_unknown_parameter(self):
        with pytest.raises(ExpressionError, match="unknown parameter 'ordr'"):
            compile_condition("params.ordr.total > 0", SPEC)

    def test_unknown_step(self):
        with pytest.raises(ExpressionError, match="unknown step 'later'"):
            compile_template("{{ steps.later }}", SPEC)

    def test_step_index_must_run_before(self):
        with pytest.raises(ExpressionError, match=r"steps\[3\].*numbered from 1"):
            compile_template("{{ steps[3] }}", SPEC)
        with pytest.raises(ExpressionError, match=r"steps\[0\]"):
            compile_template("{{ steps[0] }}", SPEC)

    def test_unknown_name(self):
        with pytest.raises(ExpressionError, match="unknown name 'cycler'"):
            compile_template("{{ cycler }}", SPEC)

    def test_trigger_names_only_where_allowed(self):
        with pytest.raises(ExpressionError, match="unknown name 'thing'"):
            compile_condition("thing.status == 'paid'", SPEC)
        spec = ScopeSpec(frozenset(), (), frozenset({"thing"}))
        compile_condition("thing.status == 'paid'", spec)

    def test_syntax_error_names_the_expression(self):
        with pytest.raises(ExpressionError, match=r"syntax error in 'params.n >'"):
            compile_condition("params.n >", SPEC)

    def test_conditions_are_written_without_braces(self):
        with pytest.raises(ExpressionError, match="without braces"):
            compile_condition("{{ params.n }}", SPEC)

    def test_statements_are_refused(self):
        with pytest.raises(ExpressionError, match="statements are not allowed"):
            compile_template("{% for i in range(10) %}x{% endfor %}", SPEC)

    def test_unknown_setting(self):
        with pytest.raises(ExpressionError, match="unknown setting 'API_KEY'"):
            compile_template("{{ settings.API_KEY }}", SPEC)

    def test_search_checks_data_type_and_fields(self, db):
        with pytest.raises(ExpressionError, match="unknown data type 'shop.Nope'"):
            compile_template("{{ search('shop.Nope') }}", SPEC)
        with pytest.raises(ExpressionError, match="has no field 'colour'"):
            compile_template("{{ search('examples.Order', colour='red') }}", SPEC)
        with pytest.raises(ExpressionError, match="has no field 'password'"):
            compile_template("{{ search('auth.User', password__startswith='p') }}", SPEC)
        compile_template("{{ search('examples.Order', customer__email__iexact='a@b.c') }}", SPEC)

    def test_maximum_length(self, settings):
        settings.BUBBLE = {**settings.BUBBLE, "MAX_EXPRESSION_LENGTH": 50}
        with pytest.raises(ExpressionError, match="the limit is 50"):
            compile_condition("params.n + " * 10 + "1", SPEC)


HOSTILE = [
    # attribute walks to Python internals
    "{{ params.text.__class__ }}",
    "{{ params.text.__class__.__mro__[1].__subclasses__() }}",
    "{{ (params.items|attr('__class__')) }}",
    "{{ days.__globals__ }}",
    "{{ steps._by_id }}",
    "{{ params._data }}",
    # format-string tricks
    "{{ '{0.__class__}'.format(params.text) }}",
    "{{ '%s' % params.text }}",
    "{{ params.text.format_map({}) }}",
    "{{ 'a'.center(10 ** 9) }}",
    "{{ 'x'.join(range(10)) }}",
    "{{ (10).to_bytes(10 ** 9, 'big') }}",
    # huge strings, lists and numbers
    "{{ 'a' * 10 ** 9 }}",
    "{{ [1] * 10 ** 8 }}",
    "{{ 2 ** (10 ** 7) }}",
    "{{ (10 ** 300000) * (10 ** 300000) }}",
    "{{ ('a' * 999999) ~ ('y' * 999999) }}",
    "{{ (('a' * 999999) ~ 'x') | replace('a', 'yy') }}",
    "{{ ('a' * 900000) | replace('a', 'bb') }}",
    "{{ range(10 ** 9) | list }}",
    "{{ range(99999)|join('x' * 999) }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expressions_are_refused(source):
    with pytest.raises(ExpressionError):
        evaluate(source, ScopeSpec(), text="t", items=[1])


def test_deep_nesting_is_refused_not_crashing():
    with pytest.raises(ExpressionError):
        compile_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", ScopeSpec())


def test_time_budget_stops_slow_evaluation(settings):
    settings.BUBBLE = {**settings.BUBBLE, "EXPRESSION_TIME_LIMIT": 0.0}
    with pytest.raises(ExpressionError, match="took longer"):
        evaluate("{{ params.items|map('string')|list }}", ScopeSpec(), items=[1, 2, 3])


@pytest.mark.parametrize("value", [7, 2.5, True, None])
def test_a_bare_name_gives_its_value_as_the_sandbox_would(value):
    spec = ScopeSpec(extra=frozenset({"index"}))
    assert compile_template("{{ index }}", spec).evaluate({"index": value}) == value
    assert compile_template(" {{- index -}} ", spec).evaluate({"index": value}) == value
    assert compile_condition("index", spec).evaluate({"index": value}) == value


def test_a_bare_name_missing_from_the_scope_is_still_an_error():
    with pytest.raises(ExpressionError, match="undefined"):
        compile_template("{{ index }}", ScopeSpec(extra=frozenset({"index"}))).evaluate({})


def test_a_bare_name_holding_a_large_value_is_still_weighed(settings):
    settings.BUBBLE = {**settings.BUBBLE, "MAX_VALUE_SIZE": 10}
    expression = compile_template("{{ item }}", ScopeSpec(extra=frozenset({"item"})))
    assert expression.evaluate({"item": 12345678901234567890}) == 12345678901234567890
    with pytest.raises(ExpressionError):
        expression.evaluate({"item": list(range(100))})


@pytest.mark.parametrize("value", [7, 2.5, True, None, "Ada ✓", ""])
def test_a_parameter_gives_its_value_as_the_sandbox_would(value, monkeypatch):
    assert evaluate("{{ params.text }}", text=value) == value
    assert condition("params.text", text=value) == value
    # the same value through the sandbox (an expression the direct read does not take)
    assert evaluate("{{ [params.text][0] }}", text=value) == value


def test_a_parameter_is_read_without_a_sandbox_call(monkeypatch):
    expression = compile_template("{{ params.text }}", SPEC)
    monkeypatch.setattr(expression, "_compiled", None)  # the sandbox path would fail
    assert expression.evaluate(scope(text="hi")) == "hi"


def test_a_parameter_holding_large_or_structured_values_is_still_checked(settings):
    settings.BUBBLE = {**settings.BUBBLE, "MAX_VALUE_SIZE": 10}
    assert evaluate("{{ params.text }}", text="x" * 10) == "x" * 10
    with pytest.raises(ExpressionError):
        evaluate("{{ params.text }}", text="x" * 11)
    with pytest.raises(ExpressionError):
        evaluate("{{ params.items }}", items=list(range(100)))


def test_a_missing_parameter_is_still_an_error():
    with pytest.raises(ExpressionError, match="has no attribute 'text'"):
        evaluate("{{ params.text }}")


def test_a_parameter_named_get_is_a_parameter():
    spec = ScopeSpec(frozenset({"get"}))
    assert compile_template("{{ params.get }}", spec).evaluate(scope(get="x")) == "x"
