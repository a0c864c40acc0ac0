"""Layout checks that a page's asserts on content would not catch."""

from __future__ import annotations

from playwright.sync_api import Page

# The document's widths, and the first elements sticking out past the viewport's right edge
# (what to fix when a page scrolls sideways).
_OVERFLOW = """() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const culprits = [];
    if (root.scrollWidth > width) for (const element of document.body.querySelectorAll("*")) {
        const box = element.getBoundingClientRect();
        if (box.width > 0 && box.right > width + 1) {
            const owner = element.id ? null : element.parentElement.closest("[id]");
            const id = element.id ? "#" + element.id : owner ? " in #" + owner.id : "";
            const classes = [...element.classList].map((name) => "." + name).join("");
            const right = Math.round(box.right);
            culprits.push(element.tagName.toLowerCase() + classes + id + " right=" + right);
            if (culprits.length === 5) break;
        }
    }
    return {scrollWidth: root.scrollWidth, clientWidth: width, culprits};
}"""


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page is no wider than its viewport (nothing to scroll sideways to). Call it once
    the page's content is there (after an ``expect(...)`` on it)."""
    found = page.evaluate(_OVERFLOW)
    assert found["scrollWidth"] <= found["clientWidth"], (
        f"{page.url} scrolls sideways: scrollWidth {found['scrollWidth']} > clientWidth "
        f"{found['clientWidth']}; elements past the right edge: {found['culprits']}"
    )
