"""The docs keep up with the code: every action, function, filter, error code, setting and
environment variable that exists is documented, and every link between docs resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scheduler import conf as scheduler_conf
from workflows import exceptions
from workflows.actions import registry
from workflows.engine.functions import FILTERS, FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def read(name: str) -> str:
    return (ROOT / name).read_text()


def headings(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.startswith("#"))


SCHEDULER_ACTIONS = {a.name for a in registry.all_types() if a.family == "scheduler"}


@pytest.mark.parametrize("name", sorted(set(registry.names()) - SCHEDULER_ACTIONS))
def test_every_action_has_a_section(name):
    assert f"`{name}`" in headings(read("docs/actions.md"))


@pytest.mark.parametrize("name", sorted(SCHEDULER_ACTIONS))
def test_every_scheduler_action_has_a_section(name):
    assert f"`{name}`" in headings(read("docs/scheduler.md"))
    assert f"`{name}`" in read("docs/actions.md")  # at least pointed to


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_expression_function_has_a_section(name):
    assert f"`{name}`" in headings(read("docs/expressions.md"))


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_filter_is_listed(name):
    assert f"`{name}`" in read("docs/expressions.md")


def _codes() -> set[str]:
    codes = set()
    for value in vars(exceptions).values():
        if isinstance(value, type) and issubclass(value, exceptions.WorkflowError):
            codes.add(value.code)
    return codes


@pytest.mark.parametrize("code", sorted(_codes()))
def test_every_error_code_is_in_the_api_docs(code):
    assert f"`{code}`" in read("docs/api.md")


def _environment_variables() -> set[str]:
    settings = read("bubble_backend/settings.py")
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings))


def test_the_environment_variables_are_found():
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "BUBBLE_DATA_TYPES"} <= (
        _environment_variables()
    )


@pytest.mark.parametrize("variable", sorted(_environment_variables()))
def test_every_environment_variable_is_in_the_readme(variable):
    assert f"`{variable}`" in read("README.md")


@pytest.mark.parametrize("key", sorted(scheduler_conf.DEFAULTS))
def test_every_scheduler_setting_is_documented(key):
    assert f"`{key}`" in read("docs/scheduler.md")


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "doc", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md"))]
)
def test_relative_links_resolve(doc):
    path = ROOT / doc
    for target in LINK.findall(path.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (path.parent / target).exists(), f"{doc} links to missing {target}"
