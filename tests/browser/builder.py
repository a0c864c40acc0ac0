"""A builder at the editor: what a person does with it — click, pick from a list, type a
value, insert dynamic data — counted, so a test can say how many interactions building a
workflow took (the editor's cost to a builder, reported with the issue's note)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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

    def key(self, keys: str) -> None:
        self.page.keyboard.press(keys)
        self.interactions += 1

    # --- "Insert dynamic data" -------------------------------------------------------------------

    def insert(self, field_id: str, *path: str) -> None:
        """Open the field's picker and follow ``path`` (labels as the picker shows them:
        "order", "customer", "email"), picking the last one. One interaction per click."""
        editor = self.page.locator(f"#{field_id}")
        editor.click()  # the cursor where the value goes: at the end
        self.page.keyboard.press("Control+End")
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
