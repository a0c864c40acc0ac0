"""The docs keep up with the code: every action, function, filter, error code, setting and
environment variable that exists is documented, every link between docs resolves, and
neither docs nor code cite a file that is not in the repository (a product specification,
an architecture note kept elsewhere): they cite the docs/ pages."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from scheduler import conf as scheduler_conf
from scheduler.models import Status
from workflows import exceptions
from workflows.actions import registry
from workflows.engine.functions import FILTERS, FUNCTIONS
from workflows.transfer import WorkflowFile, import_definitions

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


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings (lower case, punctuation dropped, spaces
    as hyphens; a repeated heading gets -1, -2...)."""
    found: set[str] = set()
    for line in text.splitlines():
        match = re.match(r"#{1,6}\s+(.*)", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


@pytest.mark.parametrize(
    "doc", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md"))]
)
def test_links_to_sections_name_a_heading_that_exists(doc):
    path = ROOT / doc
    broken = []
    for target in re.findall(r"\]\(([^)\s]*#[^)\s]+)\)", path.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        page, anchor = target.split("#", 1)
        text = (path.parent / page).read_text() if page else path.read_text()
        if anchor not in anchors(text):
            broken.append(target)
    assert not broken, f"{doc} links to sections that do not exist: {broken}"


def test_the_readme_lists_every_page():
    listed = set(LINK.findall(read("README.md")))
    missing = [
        f"docs/{p.name}" for p in sorted(DOCS.glob("*.md")) if f"docs/{p.name}" not in listed
    ]
    assert not missing, f"README.md's Documentation list lacks {missing}"


# --- citations: only files that are in the repository -------------------------------------

#: directories at the top that are not the project's (environments, build output, data, the
#: browser tests' screenshots and saved failing pages)
NOT_PROJECT = {"var", "build", "dist", "htmlcov", "node_modules", "__pycache__", "test-results"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".html", ".js", ".css", ".toml", ".txt"}
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+")
#: a repository path with a directory: ``workflows/engine/runner.py``, ``examples/*.yaml``
PATH = re.compile(
    r"(?<![\w./*<>{-])((?:[\w.*-]+/)+[\w.*-]+\.(?:py|md|yaml|yml|html|js|css|toml|json))\b"
)
#: a markdown file named alone: ``README.md``, ``actions.md``
MARKDOWN = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.md)\b")
#: a product specification is cited by name, section or title; the docs/ pages replace it
SPEC = re.compile(r"\bSPEC\b|product specification")


def project_files() -> Iterator[Path]:
    """The project's text files (not the environment, build output or hidden tools)."""
    for top in sorted(ROOT.iterdir()):
        if top.name.startswith(".") or top.name in NOT_PROJECT or top.name.endswith(".egg-info"):
            continue
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix in TEXT_SUFFIXES or path.name == "Makefile":
                yield path


def prose(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, text)`` a reader sees as prose: a Python file's comments and strings (not its
    names: a test's variable ``SPEC`` is no citation), any other file's lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        yield from enumerate(text.splitlines(), start=1)
        return
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING):
            for offset, line in enumerate(token.string.splitlines()):
                yield token.start[0] + offset, line


def _exists(target: str, near: Path) -> bool:
    """``target`` names a file of the repository, from its root, docs/ or the citing file's
    directory (a glob such as ``examples/workflows/*.yaml`` must match one)."""
    for base in (ROOT, DOCS, near.parent):
        if any(base.glob(target)) if "*" in target else (base / target).exists():
            return True
    return False


def unresolved(
    lines: Iterable[tuple[int, str]], near: Path, *patterns: re.Pattern[str]
) -> list[tuple[int, str]]:
    """``(line, target)`` for each file cited in ``lines`` that is not in the repository."""
    return [
        (line, target)
        for line, text in lines
        for pattern in patterns
        for target in pattern.findall(URL.sub("", text))
        if not _exists(target, near)
    ]


def missing_citations(path: Path, *patterns: re.Pattern[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for line, target in unresolved(prose(path), path, *patterns)
    ]


SELF = Path(__file__).resolve()
DOC_PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.parametrize("doc", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_cite_only_files_in_the_repository(doc):
    missing = missing_citations(doc, PATH, MARKDOWN)
    assert not missing, "cited but not in the repository:\n" + "\n".join(missing)


def test_code_cites_only_docs_in_the_repository():
    missing = [
        found
        for path in project_files()
        if path.suffix != ".md" and path != SELF
        for found in missing_citations(path, MARKDOWN)
    ]
    assert not missing, "cited but not in the repository:\n" + "\n".join(missing)


def test_nothing_cites_a_specification_outside_the_repository():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:100]}"
        for path in project_files()
        if path != SELF
        for line, text in prose(path)
        if SPEC.search(URL.sub("", text))
    ]
    assert not found, "cite the docs/ pages instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "text",
    ["the format is SPEC §2", "as the SPEC writes them", "the product specification's §2"],
)
def test_the_check_sees_a_specification(text):
    assert SPEC.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "(ARCHITECTURE.md: a run is a row before it is work)",
        "see docs/ARCHITECTURE.md",
        "written in workflows/engine/runer.py",
    ],
)
def test_the_check_sees_a_file_not_in_the_repository(text):
    assert unresolved([(1, text)], DOCS / "page.md", PATH, MARKDOWN)


@pytest.mark.parametrize(
    "text",
    [
        "see [the scheduler](scheduler.md) and docs/architecture.md",
        "workflows/engine/runner.py, examples/workflows/*.yaml, README.md",
        "SPECTACULAR_SETTINGS; https://example.com/SPEC/ARCHITECTURE.md",
    ],
)
def test_the_checks_accept_the_repository_s_files(text):
    assert not SPEC.search(URL.sub("", text))
    assert not unresolved([(1, text)], DOCS / "page.md", PATH, MARKDOWN)


# --- docs/architecture.md: the scheduled run's state machine is complete -------------------


@pytest.mark.parametrize("status", sorted(Status.values))
def test_every_scheduled_run_status_is_in_the_architecture(status):
    assert f"`{status}`" in read("docs/architecture.md")


# --- docs/import-export.md: its example files import ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_import_export_examples_import():
    """Transactional: a file with data types changes the data model, outside any other
    transaction (a dry run too, and rolls it back: no table is left)."""
    blocks = re.findall(r"```yaml\n(.*?)```", read("docs/import-export.md"), re.S)
    files = [b for b in blocks if b.startswith("version:")]
    assert len(files) >= 3  # workflows, privacy rules, a data model
    for number, text in enumerate(files):
        report = import_definitions([WorkflowFile(f"example-{number}.yaml", text)], dry_run=True)
        assert report.results or report.rules


def test_the_suite_runs_on_the_django_release_the_readme_supports():
    """The README names the supported Django release; pyproject pins it and the suite runs
    on it, so CI tests what users are told to use."""
    import django

    supported = re.search(r"Django \*\*(\d+)\.(\d+) LTS\*\*", read("README.md"))
    assert supported, "the README's 'Supported versions' names a Django LTS"
    major, minor = supported.groups()
    assert f'"django>={major}.{minor},<{major}.{int(minor) + 1}"' in read("pyproject.toml")
    assert django.VERSION[:2] == (int(major), int(minor))
