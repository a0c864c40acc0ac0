"""The workflow editor with the keyboard alone: a builder who cannot or does not use a mouse
reaches every step with Tab and Shift+Tab, reorders the steps (Alt+Arrow on a card, or its
up and down buttons), adds a step from the "Add a step" menu, opens a step's properties
and saves — and never loses their place: after each change the focus is on the moved card
or the button they pressed, drawn so it can be seen, and not hidden under the Save row."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from workflows.definitions import workflow_definition
from workflows.models import Workflow

from .builder import open_editor

#: process-order's steps as the editor names them, in the example's order
PAID, SUMMARY, EMAIL, REVIEW, RETURN = (
    "Make changes to a thing",
    "Trigger a custom event",
    "Send an email",
    "Schedule an API workflow",
    "Return data",
)
#: more presses than any element of the page is away (the page has about 60 stops)
MAX_PRESSES = 150

# What the focused element looks like: whether the browser draws focus on it
# (:focus-visible), its outline, and where it is against the screen and the Save row.
_FOCUS_SHOWN = """(element) => {
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    const bar = document.querySelector(".wf-submit-row").getBoundingClientRect();
    return {
        focusVisible: element.matches(":focus-visible"),
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        outlineColor: style.outlineColor,
        background: getComputedStyle(document.body).backgroundColor,
        top: box.top, bottom: box.bottom, screenBottom: innerHeight,
        barTop: element.closest(".wf-submit-row") ? innerHeight : bar.top,
    };
}"""


def press_until_focused(page: Page, selector: str, key: str = "Tab") -> int:
    """Press ``key`` until the element matching ``selector`` has the focus, as a keyboard
    user moves through the page; how many presses it took."""
    for presses in range(1, MAX_PRESSES + 1):
        page.keyboard.press(key)
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return presses
    raise AssertionError(f"{key} never reached {selector} in {MAX_PRESSES} presses")


def relative_luminance(css_colour: str) -> float:
    red, green, blue = (int(n) / 255 for n in re.findall(r"\d+", css_colour)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_focus_shown(target: Locator) -> None:
    """``target`` has the focus, and a keyboard user sees it: an outline at least 2 px
    wide, 3:1 against the page (WCAG 1.4.11), on screen and not under the sticky Save row
    (unless it is in that row)."""
    expect(target).to_be_focused()
    shown = target.evaluate(_FOCUS_SHOWN)
    assert shown["focusVisible"], f"{target} has the focus but the browser does not show it"
    assert shown["outlineStyle"] not in {"none", "hidden"}, shown
    assert shown["outlineWidth"] >= 2, shown
    assert contrast(shown["outlineColor"], shown["background"]) >= 3, shown
    assert shown["top"] >= 0, f"the focused {target} is above the screen: {shown}"
    assert shown["bottom"] <= shown["barTop"], (
        f"the focused {target} is under the Save row: {shown}"
    )


def assert_input_focus_shown(page: Page, field_id: str) -> None:
    """An expression input (a CodeMirror editor) has the focus and shows it. Its text box
    sits in a scrolling box that clips an outline of its own, so the ring must be drawn
    around the whole input (``.cm-editor``)."""
    expect(page.locator(f"#{field_id}")).to_be_focused()
    box = page.locator(".cm-editor").filter(has=page.locator(f"#{field_id}"))
    shown = box.evaluate(_FOCUS_SHOWN)
    assert shown["outlineStyle"] not in {"none", "hidden"}, shown
    assert shown["outlineWidth"] >= 2, shown
    assert contrast(shown["outlineColor"], shown["background"]) >= 3, shown


def assert_steps(page: Page, *titles: str) -> None:
    """The cards, in order, numbered from 1 (the number a screen reader reads, too)."""
    expect(page.locator(".wf-step-number")).to_have_text(
        [str(n) for n in range(1, len(titles) + 1)]
    )
    expect(page.locator(".wf-card-select")).to_have_text(
        [re.compile(rf"^Step {n}: {re.escape(title)}") for n, title in enumerate(titles, 1)]
    )


def announced(page: Page) -> Locator:
    return page.locator("body > [role=status][aria-live=polite]")


def test_a_builder_reorders_the_steps_with_the_keyboard_and_saves(
    admin_page: Page, process_order: Workflow
) -> None:
    page = admin_page
    open_editor(page, process_order)
    assert_steps(page, PAID, SUMMARY, EMAIL, REVIEW, RETURN)

    # Tab from the top of the page to step 2's card; Alt+↑ moves it up, focus goes with it
    press_until_focused(page, "#wf-card-1")
    assert_focus_shown(page.locator("#wf-card-1"))
    page.keyboard.press("Alt+ArrowUp")
    assert_steps(page, SUMMARY, PAID, EMAIL, REVIEW, RETURN)
    assert_focus_shown(page.locator("#wf-card-0"))
    expect(page.locator("#wf-card-0")).to_contain_text("Trigger order-summary")
    expect(announced(page)).to_have_text("Step moved to position 1.")
    page.keyboard.press("Alt+ArrowUp")  # already the first: nothing moves, focus stays
    assert_steps(page, SUMMARY, PAID, EMAIL, REVIEW, RETURN)
    assert_focus_shown(page.locator("#wf-card-0"))

    # step 2 (paid) goes down twice with its ↓ button: the focus stays on that button
    press_until_focused(page, "[aria-label='Move step 2 down']")
    page.keyboard.press("Enter")
    assert_steps(page, SUMMARY, EMAIL, PAID, REVIEW, RETURN)
    assert_focus_shown(page.get_by_role("button", name="Move step 3 down"))
    page.keyboard.press("Space")
    assert_steps(page, SUMMARY, EMAIL, REVIEW, PAID, RETURN)
    assert_focus_shown(page.get_by_role("button", name="Move step 4 down"))
    expect(announced(page)).to_have_text("Step moved to position 4.")
    # Shift+Tab to the same step's ↑ button, and once back up
    press_until_focused(page, "[aria-label='Move step 4 up']", key="Shift+Tab")
    page.keyboard.press("Enter")
    assert_steps(page, SUMMARY, EMAIL, PAID, REVIEW, RETURN)
    assert_focus_shown(page.get_by_role("button", name="Move step 3 up"))

    # up to the top with ↑: once its ↑ is disabled, the focus is on the moved card itself
    press_until_focused(page, "[aria-label='Move step 2 up']", key="Shift+Tab")
    page.keyboard.press("Enter")
    assert_steps(page, EMAIL, SUMMARY, PAID, REVIEW, RETURN)
    expect(page.get_by_role("button", name="Move step 1 up")).to_be_disabled()
    assert_focus_shown(page.locator("#wf-card-0"))
    # ... which the server's check reports (the email reads steps.summary, now after it)
    expect(page.locator("#wf-issues")).to_contain_text("Step 1")
    page.keyboard.press("Alt+ArrowDown")
    assert_steps(page, SUMMARY, EMAIL, PAID, REVIEW, RETURN)
    assert_focus_shown(page.locator("#wf-card-1"))
    expect(page.locator("#wf-issues")).to_contain_text("No problems found")

    # on to "Save and continue editing", still with Tab, and Enter
    press_until_focused(page, "input[name=_continue]")
    assert_focus_shown(page.locator("input[name=_continue]"))
    page.keyboard.press("Enter")
    expect(page.locator(".messagelist")).to_contain_text("was saved")
    saved = workflow_definition(Workflow.objects.get(pk=process_order.pk))
    assert [step.get("id") for step in saved["actions"]] == [
        "summary",
        "confirmation",
        "paid",
        "review",
        None,
    ]
    expect(page.locator("#wf-editor[data-ready='true']")).to_be_attached()
    assert_steps(page, SUMMARY, EMAIL, PAID, REVIEW, RETURN)


def test_the_open_step_stays_open_when_another_moves_past_it(
    admin_page: Page, process_order: Workflow
) -> None:
    page = admin_page
    open_editor(page, process_order)
    press_until_focused(page, "#wf-card-2")
    page.keyboard.press("Enter")  # open the email's properties
    expect(page.locator("#wf-card-2")).to_have_attribute("aria-expanded", "true")
    press_until_focused(page, "#wf-card-1", key="Shift+Tab")
    page.keyboard.press("Alt+ArrowDown")  # summary moves past the open email
    assert_steps(page, PAID, EMAIL, SUMMARY, REVIEW, RETURN)
    assert_focus_shown(page.locator("#wf-card-2"))
    # the email (now step 2) is still the open one, not whatever took its place
    expect(page.locator(".wf-card.is-selected .wf-card-title")).to_have_text(EMAIL)
    expect(page.locator("#wf-card-1")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#wf-props-1")).to_contain_text("To")


def test_a_builder_adds_a_step_from_the_menu_with_the_keyboard(
    admin_page: Page, process_order: Workflow
) -> None:
    page = admin_page
    open_editor(page, process_order)
    button = page.locator("#wf-add-step")
    menu = page.get_by_role("menu", name="Add a step")
    items = menu.get_by_role("menuitem")

    press_until_focused(page, "#wf-add-step")
    assert_focus_shown(button)
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    assert_focus_shown(items.first)
    page.keyboard.press("End")
    expect(items.last).to_be_focused()
    page.keyboard.press("ArrowDown")  # round to the first again
    expect(items.first).to_be_focused()
    page.keyboard.press("Escape")  # closed, back on the button
    expect(menu).to_be_hidden()
    assert_focus_shown(button)

    page.keyboard.press("Space")
    expect(items.first).to_be_focused()
    press_until_focused(page, "[role=menuitem][data-type=send_email]", key="ArrowDown")
    assert_focus_shown(menu.get_by_role("menuitem", name=EMAIL, exact=True))
    page.keyboard.press("Enter")

    # step 6 is there, open, with the focus on its card
    assert_steps(page, PAID, SUMMARY, EMAIL, REVIEW, RETURN, EMAIL)
    expect(menu).to_be_hidden()
    assert_focus_shown(page.locator("#wf-card-5"))
    expect(page.locator("#wf-card-5")).to_have_attribute("aria-expanded", "true")
    expect(announced(page)).to_have_text("Step 6 added: Send an email.")
    # Tab goes on into its properties: the first is "To", typed into at once
    presses = press_until_focused(page, "#wf-props-5 *")
    assert presses <= 4, f"{presses} presses from the card to its first property"
    assert_input_focus_shown(page, "wf-f-actions-5-to")
    page.keyboard.type("team@example.com")
    expect(page.locator("#wf-card-5")).to_contain_text("Send an email to team@example.com")


def test_a_builder_opens_and_closes_a_steps_properties_with_the_keyboard(
    admin_page: Page, process_order: Workflow
) -> None:
    page = admin_page
    open_editor(page, process_order)
    card = page.locator("#wf-card-2")
    press_until_focused(page, "#wf-card-2")
    expect(card).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(card).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#wf-props-2")).to_be_visible()
    assert_focus_shown(card)

    # into the properties: the subject's "Insert dynamic data" opens and closes by keyboard
    press_until_focused(page, "#wf-f-actions-2-subject-insert")
    assert_focus_shown(page.locator("#wf-f-actions-2-subject-insert"))
    page.keyboard.press("Enter")
    picker = page.locator(".wf-picker")
    expect(picker.get_by_role("searchbox")).to_be_focused()
    expect(picker.get_by_role("option").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    assert_focus_shown(page.locator("#wf-f-actions-2-subject-insert"))

    # back to the card with Shift+Tab; Enter closes it and the focus stays on the card
    press_until_focused(page, "#wf-card-2", key="Shift+Tab")
    page.keyboard.press("Enter")
    expect(card).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#wf-props-2")).to_have_count(0)
    assert_focus_shown(card)


def test_a_dropdown_changed_with_the_arrow_keys_keeps_the_focus(
    admin_page: Page, process_order: Workflow
) -> None:
    """Arrow keys on a closed dropdown change its value at once; the editor rebuilds
    itself on some of them (the workflow's kind), and the focus must come back to it."""
    page = admin_page
    open_editor(page, process_order)
    kind = page.locator("#wf-f-kind")
    press_until_focused(page, "#wf-f-kind")
    page.keyboard.press("ArrowDown")
    expect(kind).not_to_have_value("api")
    expect(page.locator("#wf-trigger-title")).not_to_contain_text("API workflow")
    assert_focus_shown(kind)
    page.keyboard.press("ArrowUp")
    expect(kind).to_have_value("api")
    expect(page.locator("#wf-trigger-title")).to_contain_text("API workflow")
    assert_focus_shown(kind)
