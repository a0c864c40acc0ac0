"""Pictures of pages: screenshots to look at, the docs' images, and what a failed test saw.

Everything lands under ``test-results/`` (gitignored). The docs' images in
``docs/screenshots/`` are rewritten only when ``UPDATE_SCREENSHOTS=1`` is set, by tests
marked ``screenshots`` (what ``make screenshots`` runs), so an ordinary test run never
changes tracked files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "test-results"
DOCS_DIR = ROOT / "docs" / "screenshots"


def updating_docs() -> bool:
    """Whether this run refreshes docs/screenshots/ (UPDATE_SCREENSHOTS=1)."""
    return os.environ.get("UPDATE_SCREENSHOTS", "").strip() in {"1", "true", "yes"}


def slug(text: str) -> str:
    """A file name from a test id or a screenshot name: ``test_x.py::test_y[390]`` →
    ``test_x.py-test_y-390``."""
    return re.sub(r"[^\w.]+", "-", text).strip("-")


def save_screenshot(
    target: Page | Locator, name: str, *, docs: bool = False, full_page: bool = True
) -> Path:
    """Save ``test-results/screenshots/<name>.png`` (and ``docs/screenshots/<name>.png`` when
    ``docs``) of a page, or of one element (a ``Locator``: just that box, scrolled into
    view); animations are stopped and the caret hidden so the pictures are repeatable."""
    path = RESULTS_DIR / "screenshots" / f"{slug(name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(target, Locator):
        target.screenshot(path=path, animations="disabled", caret="hide")
    else:
        target.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    if docs:
        DOCS_DIR.mkdir(parents=True, exist_ok=True)
        (DOCS_DIR / path.name).write_bytes(path.read_bytes())
    return path


def save_failure(page: Page, stem: str) -> list[Path]:
    """Save what a failed test's page shows (a full-page PNG) and holds (its HTML), under
    ``test-results/failures/``; returns the paths written. A page that cannot answer (it
    crashed, or a dialog blocks it) yields what could be saved, never a second error."""
    directory = RESULTS_DIR / "failures"
    directory.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    picture = directory / f"{slug(stem)}.png"
    html = directory / f"{slug(stem)}.html"
    try:
        page.screenshot(path=picture, full_page=True, timeout=15_000)
        saved.append(picture)
        html.write_text(page.content(), encoding="utf-8")
        saved.append(html)
    except PlaywrightError:
        pass
    return saved
