"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

How to write one: tests/browser/README.md. Without Chromium the tests here are skipped and
the run's summary says so; with CI=true they fail instead (CI must run them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Route,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from workflows.models import Workflow

from . import chromium, screens

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

HERE = Path(__file__).resolve().parent
SKIP_PREFIX = "browser tests skipped: "

# Generous deadlines for a busy 2-core machine: auto-waiting returns as soon as the
# condition holds, so a long limit costs nothing when things go well.
ACTION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class Viewport:
    """A browser window's size, and whether it is a phone (touch, honours <meta viewport>)."""

    width: int
    height: int
    mobile: bool = False

    def __str__(self) -> str:
        return str(self.width)


DESKTOP = Viewport(1366, 768)
PHONE = Viewport(390, 844, mobile=True)

_PAGES = pytest.StashKey[dict[str, Page]]()
_CONSOLE = pytest.StashKey[list[str]]()


# --- collection: mark, and skip (visibly) without Chromium -----------------------------------


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in item.path.parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests here ``browser`` (``-m "not browser"`` leaves them out) and skip them
    when Chromium is missing, unless CI requires them (the ``browser`` fixture then fails)."""
    reason = chromium.missing_reason()
    skip = pytest.mark.skip(reason=SKIP_PREFIX + reason) if reason else None
    for item in items:
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
            if skip and not chromium.required():
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter) -> None:
    """Say in every run's summary, even with -q, that the browser tests did not run, and why."""
    reasons = [
        report.longrepr[2]
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and SKIP_PREFIX in report.longrepr[2]
    ]
    if reasons:
        # the report's reason reads "Skipped: browser tests skipped: ..."
        reason = reasons[0][reasons[0].index(SKIP_PREFIX) :]
        terminalreporter.write_line(f"{reason} [{len(reasons)} tests]", yellow=True, bold=True)


# --- failures: what the page showed, and errors in its console ------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test that passed fails if its pages logged a console error or threw, unless it is
    marked ``allow_console_errors``."""
    try:
        result = yield
    finally:
        for page in item.stash.get(_PAGES, {}).values():
            _deliver_console_events(page)
    errors = item.stash.get(_CONSOLE, [])
    if errors and not item.get_closest_marker("allow_console_errors"):
        pytest.fail(
            "errors in the browser console (mark the test allow_console_errors if expected):\n"
            + "\n".join(errors),
            pytrace=False,
        )
    return result


def _deliver_console_events(page: Page) -> None:
    """Round-trip to the page so the console messages it sent before are delivered (the
    browser's events and answers share one ordered pipe); later ones cannot be waited for."""
    # a crashed or navigating page cannot answer: its failure, if any, shows elsewhere
    with contextlib.suppress(PlaywrightError):
        if not page.is_closed():
            page.evaluate("0")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """When a browser test fails, save each of its pages (PNG + HTML, while the page is still
    open) and name the files in the failure report."""
    report = yield
    pages = item.stash.get(_PAGES, {})
    if report.when == "call" and report.failed and pages:
        lines = []
        for name, page in pages.items():
            saved = screens.save_failure(page, f"{item.nodeid}-{name}")
            lines.append(f"{name} ({page.url}): " + (", ".join(map(str, saved)) or "not saved"))
        console = item.stash.get(_CONSOLE, [])
        if console:
            lines += ["console:", *console]
        report.sections.append(("browser artifacts", "\n".join(lines)))
    return report


# --- the browser and its pages ----------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the browser tests; each page gets its own context
    (cookies, storage), so tests never see each other's state.

    Playwright's sync API keeps an asyncio loop marked running in this thread while it is
    started, and Django refuses ORM calls under a running loop (SynchronousOnlyOperation).
    There is no async code in these tests, so Django's check is turned off (the documented
    DJANGO_ALLOW_ASYNC_UNSAFE) only while the browser is up: package scope closes it after
    the last test here, and the rest of the suite keeps the check.
    """
    reason = chromium.missing_reason()
    if reason:
        if chromium.required():
            pytest.fail(f"{reason}; CI=true requires the browser tests to run", pytrace=False)
        pytest.skip(SKIP_PREFIX + reason)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        launched = playwright.chromium.launch(
            executable_path=str(chromium.executable()),
            headless=True,
            args=list(chromium.LAUNCH_ARGS),
        )
        yield launched
        launched.close()


@pytest.fixture
def viewport() -> Viewport:
    """The ``page`` fixture's size; ``@pytest.mark.parametrize("viewport", [DESKTOP, PHONE],
    ids=str)`` runs a test at both."""
    return DESKTOP


@pytest.fixture
def console_errors(request: pytest.FixtureRequest) -> list[str]:
    """Console errors and uncaught exceptions of the test's pages, in order (they fail the
    test unless it is marked ``allow_console_errors``, which may then assert on them)."""
    errors: list[str] = []
    request.node.stash[_CONSOLE] = errors
    return errors


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server,
    transactional_db,
    console_errors: list[str],
) -> Iterator[Callable[[Viewport, str], Page]]:
    """``open_page(viewport, name)``: a new page in its own browser context on the live
    server (``page.goto("/admin/")`` is relative to it), watched for console errors and
    saved under its name if the test fails. The database is transactional: what the test
    creates is committed, so the server's thread sees it (and it is flushed afterwards)."""
    contexts = []
    pages = request.node.stash.setdefault(_PAGES, {})

    def open_(size: Viewport, name: str) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": size.width, "height": size.height},
            is_mobile=size.mobile,
            has_touch=size.mobile,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.route("**/favicon.ico", _no_favicon)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _record_console(console_errors, message))
        page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
        pages[name if name not in pages else f"{name}-{len(pages)}"] = page
        return page

    yield open_
    for context in contexts:
        context.close()


def _no_favicon(route: Route) -> None:
    """Answer the browser's own favicon request, which the project does not serve: its 404
    would be a console error on every page that no test is about."""
    route.fulfill(status=204)


def _record_console(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        where = message.location
        source = f" ({where['url']}:{where['lineNumber']})" if where.get("url") else ""
        errors.append(f"console.error: {message.text}{source}")


@pytest.fixture
def page(open_page: Callable[[Viewport, str], Page], viewport: Viewport) -> Page:
    """A page at 1366x768 (or the test's ``viewport``), not logged in."""
    return open_page(viewport, "page")


@pytest.fixture
def mobile_page(open_page: Callable[[Viewport, str], Page]) -> Page:
    """A phone-sized page (390x844, touch), not logged in."""
    return open_page(PHONE, "mobile_page")


@pytest.fixture
def log_in(live_server, transactional_db) -> Callable[[Page, AbstractBaseUser], Page]:
    """Log a page's browser context in as a user: the session cookie of Django's test
    client's ``force_login`` (no login form round-trip). Returns the page."""

    def log_in_(page: Page, user: AbstractBaseUser) -> Page:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": session.key, "value": session.value, "url": live_server.url}]
        )
        return page

    return log_in_


@pytest.fixture
def admin_page(page: Page, log_in: Callable[[Page, AbstractBaseUser], Page], superuser) -> Page:
    """``page`` logged in as a superuser (tests/conftest.py's ``superuser``)."""
    return log_in(page, superuser)


@pytest.fixture
def admin_mobile_page(
    mobile_page: Page, log_in: Callable[[Page, AbstractBaseUser], Page], superuser
) -> Page:
    """``mobile_page`` (390x844, touch) logged in as a superuser."""
    return log_in(mobile_page, superuser)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``screenshot(page, "name")`` saves test-results/screenshots/name.png to look at (of
    one element with ``screenshot(locator, "name")``); in a test marked ``screenshots`` run
    with UPDATE_SCREENSHOTS=1, also docs/screenshots/name.png."""
    docs = screens.updating_docs() and request.node.get_closest_marker("screenshots") is not None

    def take(target: Page | Locator, name: str, *, full_page: bool = True) -> Path:
        return screens.save_screenshot(target, name, docs=docs, full_page=full_page)

    return take


@pytest.fixture
def process_order(transactional_db) -> Workflow:
    """The shop example's process-order (and what it calls), imported as a builder would."""
    from examples.services import WORKFLOWS_DIR
    from workflows.transfer import import_definitions

    import_definitions([WORKFLOWS_DIR / "shop.yaml"])
    return Workflow.objects.get(name="process-order")
