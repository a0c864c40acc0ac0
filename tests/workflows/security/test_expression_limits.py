"""Budgets that cover every numeric type and every shape of expression: decimal powers are
bounded, and expressions nested past what Python can compile are refused when saved, with
the same message wherever they are saved (compile, the admin, import)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from workflows.choices import RunStatus
from workflows.engine.expressions import MAX_NESTING, ScopeSpec, compile_template
from workflows.exceptions import DefinitionError, ExpressionError
from workflows.models import Workflow

ANY = ScopeSpec()


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_decimal_power_past_the_limit_fails_the_run_with_a_clear_error(
    make_workflow, call, order
):
    """``total ** n`` built Decimal('1E+999999'), whose conversion for the log took half a
    minute (gunicorn killed the worker, the run stayed ``running``)."""
    make_workflow(
        "power",
        expose=True,
        auth="none",
        parameters=[
            {"key": "o", "type": "thing", "data_type": "examples.Order"},
            {"key": "n", "type": "number"},
        ],
        actions=[{"type": "return_data", "data": {"x": "{{ params.o.total ** params.n }}"}}],
    )
    response = call("power", {"o": order.pk, "n": 999999})
    assert response.status_code == 500
    assert "number too large" in response.json()["message"]
    assert Workflow.objects.get(name="power").runs.get().status == RunStatus.FAILED


@pytest.mark.parametrize(
    "source",
    [
        "{{ params.d ** 999999 }}",
        "{{ params.d * 10 ** 300 * 10 ** 300 * 10 ** 300 * 10 ** 300 }}",
        "{{ (params.d ** 999)|int }}",
        "{{ params.d / 0 }}",
    ],
)
def test_decimal_arithmetic_is_bounded(source):
    from workflows.engine.values_types import Namespace

    expression = compile_template(source, ANY)
    with pytest.raises(ExpressionError, match="number too large|division by zero"):
        expression.evaluate({"params": Namespace({"d": Decimal("12.5")}, "parameter")})


def test_ordinary_decimal_arithmetic_still_works():
    from workflows.engine.values_types import Namespace

    expression = compile_template("{{ params.d * 2 + params.d ** 2 }}", ANY)
    value = expression.evaluate({"params": Namespace({"d": Decimal("12.5")}, "parameter")})
    assert value == Decimal("181.25")


# --- nesting --------------------------------------------------------------------------------

SHAPES = {
    "operators": lambda n: "{{ 1" + " + 1" * n + " }}",
    "filters": lambda n: "{{ 'a'" + "|upper" * n + " }}",
    "attributes": lambda n: "{{ params" + ".a" * n + " }}",
    "items": lambda n: "{{ params" + "['a']" * n + " }}",
    "calls": lambda n: "{{ days" + "(1)" * n + " }}",
    "and": lambda n: "{{ true" + " and true" * n + " }}",
    "not": lambda n: "{{ " + "not " * n + "true }}",
    "text": lambda n: "x{{ 'a'" + "|upper" * n + " }}y",
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("length", [200, 450, 1000])
def test_over_deep_expressions_are_refused_with_one_message(shape, length):
    with pytest.raises(ExpressionError, match="too deeply nested"):
        compile_template(SHAPES[shape](length), ANY)


@pytest.mark.parametrize("shape", SHAPES)
def test_expressions_just_under_the_limit_compile(shape):
    compile_template(SHAPES[shape](MAX_NESTING - 6), ANY)


@pytest.mark.django_db
def test_an_over_deep_expression_is_a_definition_error_when_saved(make_workflow):
    with pytest.raises(DefinitionError, match="too deeply nested"):
        make_workflow(actions=[{"type": "log", "message": SHAPES["attributes"](450)}])


@pytest.mark.django_db
def test_import_refuses_an_over_deep_expression_naming_the_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(
        "workflows:\n"
        "  - name: deep\n"
        "    actions:\n"
        "      - type: log\n"
        f'        message: "{SHAPES["filters"](450)}"\n'
    )
    with pytest.raises(CommandError, match="too deeply nested") as error:
        call_command("import_workflows", str(path))
    assert "deep.yaml:5" in str(error.value)
    assert not Workflow.objects.exists()
