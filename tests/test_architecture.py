"""The dependency rule of the architecture: ``scheduler`` depends on ``workflows``, never
the reverse.

Every module under ``workflows/`` is parsed (``ast``: comments, docstrings and other mere
mentions do not count) and must not import ``scheduler``: neither ``import scheduler...``
nor ``from scheduler... import`` (relative imports resolved), nor a dynamic import of it
(``import_module``, ``__import__``, ``import_string`` with a ``"scheduler..."`` literal, or
a drf-spectacular extension's ``target_class = "scheduler..."``). What workflows needs from
the scheduler, the scheduler registers into it when it loads (``scheduler.apps``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = "scheduler"
DYNAMIC_IMPORTS = {"import_module", "__import__", "import_string", "find_spec"}


def _is_forbidden(module: str | None) -> bool:
    return bool(module) and (module == FORBIDDEN or module.startswith(FORBIDDEN + "."))


def _package(module: str, is_package: bool) -> list[str]:
    parts = module.split(".")
    return parts if is_package else parts[:-1]


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module of ``from <node> import ...``, inside ``module``."""
    if node.level == 0:
        return node.module or ""
    package = _package(module, is_package)
    base = package[: max(0, len(package) - (node.level - 1))]
    return ".".join([*base, *([node.module] if node.module else [])])


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _offences(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [f"import {a.name}" for a in node.names if _is_forbidden(a.name)]
    if isinstance(node, ast.ImportFrom):
        base = _resolve(node, module, is_package)
        targets = [base, *(f"{base}.{a.name}" if base else a.name for a in node.names)]
        if any(_is_forbidden(t) for t in targets):
            return [f"from {'.' * node.level}{node.module or ''} import ..."]
    elif isinstance(node, ast.Call) and _callee(node) in DYNAMIC_IMPORTS and node.args:
        if _is_forbidden(name := _literal(node.args[0])):
            return [f"{_callee(node)}({name!r})"]
    elif isinstance(node, ast.Assign) and _is_forbidden(name := _literal(node.value)):
        targets = {t.id for t in node.targets if isinstance(t, ast.Name)}
        return [f"target_class = {name!r}"] if "target_class" in targets else []
    return []


def forbidden_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """``"line: what"`` for each import of ``scheduler`` in ``source`` (module ``module``)."""
    return [
        f"{node.lineno}: {offence}"
        for node in ast.walk(ast.parse(source))
        for offence in _offences(node, module, is_package)
    ]


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        is_package = relative.name == "__init__"
        parts = relative.parts[:-1] if is_package else relative.parts
        yield path, ".".join(parts), is_package


def test_workflows_never_imports_scheduler():
    offences = [
        f"{path.relative_to(ROOT)}:{line}"
        for path, module, is_package in _modules("workflows")
        for line in forbidden_imports(path.read_text(), module, is_package=is_package)
    ]
    assert not offences, "workflows must not import scheduler:\n" + "\n".join(offences)


def test_there_are_modules_to_check():
    assert len(list(_modules("workflows"))) > 20


@pytest.mark.parametrize(
    "source",
    [
        "import scheduler",
        "import scheduler.models as m",
        "import os, scheduler.api.views",
        "from scheduler import models",
        "from scheduler.api.views import ScheduleView",
        "def f():\n    from scheduler.models import Status",
        "from .... import scheduler",  # workflows/api/schema/x.py: up to the top
        "import importlib\nimportlib.import_module('scheduler.models')",
        "from importlib import import_module\nimport_module('scheduler')",
        "__import__('scheduler.tasks')",
        "from django.utils.module_loading import import_string\n"
        "import_string('scheduler.api.views.ScheduleView')",
        "class X:\n    target_class = 'scheduler.api.views.ScheduledListView'",
    ],
)
def test_the_check_sees_imports(source):
    assert forbidden_imports(source, "workflows.api.schema.x")


@pytest.mark.parametrize(
    "source",
    [
        "# from scheduler import models",
        '"""Used by scheduler.execution.describe; see ``import scheduler``."""',
        "NOTE = 'the scheduler app: scheduler.models'",
        "PERMISSION = 'scheduler.change_scheduledrun'",
        "import schedulers\nfrom scheduler_extra import x",
        "from . import scheduling\nfrom ..scheduler import x",  # workflows.api.scheduler
        "from workflows import scheduler_links",
    ],
)
def test_the_check_ignores_mentions(source):
    assert not forbidden_imports(source, "workflows.api.schema.x")
