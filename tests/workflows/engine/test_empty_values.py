"""Empty flows through an expression as in Bubble: arithmetic on empty gives empty, an
ordering comparison with empty is false, ``is empty`` asks, filters and functions given
empty give empty (or 0 for a count, "" as text), and nothing raises a TypeError."""

from __future__ import annotations

import datetime

import pytest

from workflows.choices import RunStatus
from workflows.engine.expressions import ScopeSpec, compile_condition, compile_template
from workflows.engine.functions import FUNCTIONS
from workflows.engine.values_types import Namespace

ANY = ScopeSpec()
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def evaluate(source: str, **params):
    scope = {"params": Namespace(params, "parameter"), "now": NOW}
    scope.update({name: fn.func for name, fn in FUNCTIONS.items() if not fn.needs_context})
    return compile_template(source, ANY).evaluate(scope)


def condition(source: str, **params):
    scope = {"params": Namespace(params, "parameter"), "now": NOW}
    return compile_condition(source, ANY).evaluate(scope)


@pytest.mark.parametrize(
    "source",
    [
        "{{ params.when + days(1) }}",
        "{{ days(1) + params.when }}",
        "{{ params.when - days(1) }}",
        "{{ params.n * 2 }}",
        "{{ params.n / 2 }}",
        "{{ params.n // 2 }}",
        "{{ params.n % 2 }}",
        "{{ params.n ** 2 }}",
        "{{ 2 ** params.n }}",
        "{{ -params.n }}",
        "{{ now + days(params.n) }}",
        "{{ date(params.text) }}",
        "{{ params.text|upper }}",
        "{{ params.text|round }}",
        "{{ params.n + 1 }}",
        "{{ params.when + params.n }}",
        "{{ params.when|format_date('%Y') }}",
        "{{ params.text.lower() }}",
        "{{ params.text|first }}",
    ],
)
def test_empty_in_gives_empty_out(source):
    assert evaluate(source, when=None, n=None, text=None) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("params.n > 3", False),
        ("params.n < 3", False),
        ("params.n >= 3", False),
        ("3 <= params.n", False),
        ("params.when < now", False),
        ("params.n == 3", False),
        ("params.n != 3", True),
        ("params.n == params.other", True),  # empty is empty
        ("'a' in params.text", False),
        ("'a' not in params.text", True),
        ("params.n in 'abc'", False),
        ("1 < params.n < 5", False),
        ("params.n is empty", True),
        ("params.text is not empty", False),
        ("not params.n", True),
    ],
)
def test_comparisons_with_empty_are_false_not_errors(source, expected):
    assert condition(source, n=None, other=None, text=None, when=None) is expected


def test_is_empty_covers_empty_text_and_lists():
    assert condition("params.a is empty and params.b is empty", a="", b=[]) is True
    assert condition("params.a is empty or params.b is empty", a="x", b=[0]) is False


def test_counts_are_zero_text_is_blank_and_default_applies():
    assert evaluate("{{ params.items|length }}", items=None) == 0
    assert evaluate("{{ params.items|count }}", items=None) == 0
    assert evaluate("{{ params.items|sum }}", items=None) == 0
    assert evaluate("{{ params.items|list }}", items=None) == []
    assert evaluate("{{ params.text|string }}", text=None) == ""
    assert evaluate("{{ params.text|default('none given') }}", text=None) == "none given"
    assert evaluate("{{ params.text|default('none given') }}", text="hi") == "hi"
    assert evaluate("{{ params.text|tojson }}", text=None) == "null"


def test_empty_joins_and_prints_as_nothing():
    assert evaluate("{{ 'Hi ' ~ params.name ~ '!' }}", name=None) == "Hi !"
    assert evaluate("Hi {{ params.name }}!", name=None) == "Hi !"
    # + with text or a list on the other side adds nothing, as Bubble joins empty
    assert evaluate("{{ 'Order ' + params.note }}", note=None) == "Order "
    assert evaluate("{{ params.note + '!' }}", note=None) == "!"
    assert evaluate("{{ params.tags + ['x'] }}", tags=None) == ["x"]


def test_conversions_keep_jinjas_default_for_empty():
    assert evaluate("{{ params.n|int }}", n=None) == 0
    assert evaluate("{{ params.n|float }}", n=None) == 0.0
    assert evaluate("{{ params.n|int(7) }}", n=None) == 7


def test_money_times_a_float_is_money():
    from decimal import Decimal

    assert evaluate("{{ params.total * 1.2 }}", total=Decimal("10.00")) == Decimal("12.000")
    assert evaluate("{{ 0.5 + params.total }}", total=Decimal("10.00")) == Decimal("10.50")
    assert condition("params.total > 9.5", total=Decimal("10.00")) is True


def test_values_still_compare_and_compute_as_before():
    assert condition("1 < params.n < 5", n=3) is True
    assert condition("1 < params.n < 2", n=3) is False
    assert condition("params.n in [1, 2, 3]", n=3) is True
    assert evaluate("{{ params.when + days(1) }}", when=NOW) == NOW + datetime.timedelta(days=1)
    assert evaluate("{{ [1] + [2] }}") == [1, 2]
    assert evaluate("{{ -params.n }}", n=3) == -3
    with pytest.raises(Exception, match="not supported|TypeError"):
        evaluate("{{ 'a' < 1 }}")  # a real type mistake is still an error


@pytest.mark.django_db
def test_an_optional_date_left_out_flows_through_a_run(make_workflow, call):
    make_workflow(
        "remind",
        expose=True,
        auth="none",
        parameters=[{"key": "when", "type": "date", "optional": True}],
        actions=[{"type": "return_data", "data": {"due": "{{ params.when + days(1) }}"}}],
    )
    response = call("remind", {})
    assert response.status_code == 200, response.json()
    assert response.json()["response"] == {"due": None}
    from workflows.models import Run

    assert Run.objects.get().status == RunStatus.SUCCEEDED
