"""A builder at the editor: what a person does with it — click, pick from a list, type a
value, insert dynamic data — counted, so a test can say how many interactions building a
workflow took (the editor's cost to a builder, reported with the issue's note)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from playwright.sync_api import Locator, Page, expect


@dataclass
class Builder:
    page: Page
    interactions: int = 0
    started: float = field(default_factory=time.monotonic)

    # --- one interaction each ---------------------------------------------------------------

    def click(self, target: str | Locator) -> None:
        self._locator(target).click()
        self.interactions += 1

    def fill(self, target: str | Locator, text: str) -> None:
        """Type into a plain input (one interaction: a value typed)."""
        locator = self._locator(target)
        locator.fill(text)
        locator.dispatch_event("change")
        self.interactions += 1

    def type_keys(self, target: str | Locator, text: str) -> None:
        """Type into a plain input key by key (one interaction: a value typed): the page
        sees each keystroke, as it does a person's."""
        self._locator(target).press_sequentially(text)
        self.interactions += 1

    def choose(self, target: str | Locator, value: str) -> None:
        self._locator(target).select_option(value)
        self.interactions += 1

    def type_into(self, field_id: str, text: str) -> None:
        """Type at the end of an expression input (a CodeMirror editor)."""
        editor = self.page.locator(f"#{field_id}")
        editor.click()
        self.page.keyboard.press("End" if "\n" not in text else "Control+End")
        self.page.keyboard.type(text)
        self.interactions += 1

    def type_at(self, field_id: str, after: str, text: str) -> None:
        """Type into an expression input just after the first ``after`` in its text: a click
        there, then the typing (two interactions)."""
        self.place_cursor(field_id, after)
        self.page.keyboard.type(text)
        self.interactions += 1

    def place_cursor(self, field_id: str, after: str) -> None:
        """Click in an expression input just after the first ``after`` in its text, as a
        person puts the cursor there (one interaction)."""
        editor = self.page.locator(f"#{field_id}")
        editor.scroll_into_view_if_needed()
        point = editor.evaluate(_POINT_AFTER, after)
        self.page.mouse.click(point["x"], point["y"])
        expect(editor).to_be_focused()
        self.interactions += 1

    def key(self, keys: str) -> None:
        self.page.keyboard.press(keys)
        self.interactions += 1

    # --- "Insert dynamic data" -------------------------------------------------------------------

    def insert(self, field_id: str, *path: str, after: str | None = None) -> None:
        """Open the field's picker and follow ``path`` (labels as the picker shows them:
        "order", "customer", "email"), picking the last one. One interaction per click.
        The value goes at the end of the field's text, or just after the text ``after``
        (a click there first)."""
        editor = self.page.locator(f"#{field_id}")
        if after is None:
            editor.click()  # the cursor where the value goes: at the end
            self.page.keyboard.press("Control+End")
        else:
            self.place_cursor(field_id, after)
        self.click(f"#{field_id}-insert")
        picker = self.page.locator(".wf-picker")
        expect(picker).to_be_visible()
        for i, label in enumerate(path):
            option = (
                picker.locator(".wf-picker-option")
                .filter(has=self.page.locator(".wf-picker-label").get_by_text(label, exact=True))
                .first
            )
            if i < len(path) - 1:
                self.click(option.locator(".wf-picker-open"))
                expect(picker.locator(".wf-picker-title")).to_have_text(label)
            else:
                self.click(option)
        expect(picker).to_have_count(0)

    # --- steps ---------------------------------------------------------------------------

    def add_step(self, label: str) -> int:
        """Add a step from the "Add a step" menu; its number (from 1)."""
        count = self.page.locator(".wf-card").count()
        self.click("#wf-add-step")
        self.click(self.page.get_by_role("menuitem", name=label, exact=True))
        expect(self.page.locator(".wf-card")).to_have_count(count + 1)
        return count + 1

    def step_field(self, number: int, key: str) -> str:
        """The id of step ``number``'s field ``key`` (dots for nested keys: data.order)."""
        return "wf-f-actions-" + str(number - 1) + "-" + key.replace(".", "-")

    def seconds(self) -> float:
        return time.monotonic() - self.started

    def _locator(self, target: str | Locator) -> Locator:
        return self.page.locator(target) if isinstance(target, str) else target


#: The page's coordinates of the place just after the first occurrence of a text in an
#: expression input (the right edge of its last character), for a click that puts the
#: cursor there.
_POINT_AFTER = """(element, needle) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let text = "";
    while (walker.nextNode()) {
        nodes.push([walker.currentNode, text.length]);
        text += walker.currentNode.data;
    }
    const at = text.indexOf(needle);
    if (at < 0 || !needle) {
        throw new Error(`${JSON.stringify(needle)} is not in ${JSON.stringify(text)}`);
    }
    const end = at + needle.length;
    const [node, start] = nodes.find(([n, from]) => from < end && end <= from + n.data.length);
    const range = document.createRange();
    range.setStart(node, end - start - 1);
    range.setEnd(node, end - start);
    const box = range.getBoundingClientRect();
    return {x: box.right, y: box.top + box.height / 2};
}"""


def open_editor(page: Page, workflow: Any) -> None:
    """Open ``workflow``'s editor and wait until it is built and checked (no problems)."""
    page.goto(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")
