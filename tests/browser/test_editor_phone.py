"""The workflow editor on a phone (390 px wide, touch): process-order opens without
scrolling sideways, a step's properties open and take what is typed, "Insert dynamic data"
opens fully on screen (not past its edges, not under the Save row) at every level, and a
test run can be set up, run and read."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from examples.models import Order
from examples.services import sample_data_ensure
from workflows.models import Workflow

from .builder import open_editor
from .conftest import EXPECT_TIMEOUT_MS
from .layout import assert_no_horizontal_scroll

#: the smallest target a finger can be asked to hit (WCAG 2.5.8: 24 by 24 CSS pixels)
MIN_TARGET_PX = 24

# Resolves when the element is wholly on screen and above the sticky Save row; the
# picker scrolls itself into view once its options are there.
_ON_SCREEN = """(element) => {
    const box = element.getBoundingClientRect();
    const bar = document.querySelector(".wf-submit-row").getBoundingClientRect();
    return box.left >= 0 && box.right <= document.documentElement.clientWidth
        && box.top >= 0 && box.bottom <= Math.min(innerHeight, bar.top);
}"""


_WHERE = """(element) => {
    const box = element.getBoundingClientRect();
    const bar = document.querySelector(".wf-submit-row").getBoundingClientRect();
    return {left: box.left, right: box.right, top: box.top, bottom: box.bottom,
            screen: [document.documentElement.clientWidth, innerHeight], saveRowTop: bar.top};
}"""


def assert_on_screen(target: Locator) -> None:
    """``target`` is wholly inside the screen and not under the Save row (waiting for it
    to get there: the page scrolls it into view)."""
    expect(target).to_be_visible()
    try:
        target.page.wait_for_function(
            _ON_SCREEN, arg=target.element_handle(), timeout=EXPECT_TIMEOUT_MS
        )
    except PlaywrightTimeoutError:
        where = target.evaluate(_WHERE)
        raise AssertionError(
            f"{target} is not wholly on screen above the Save row: {where}"
        ) from None


def assert_tappable(target: Locator) -> None:
    box = target.bounding_box()
    assert box is not None, f"{target} is not shown"
    assert box["height"] >= MIN_TARGET_PX and box["width"] >= MIN_TARGET_PX, (
        f"{target} is {box['width']:.0f}x{box['height']:.0f} px, too small to tap"
    )


def test_the_editor_fits_a_phone(admin_mobile_page: Page, process_order: Workflow, screenshot):
    page = admin_mobile_page
    open_editor(page, process_order)
    expect(page.locator("#wf-f-name")).to_have_value("process-order")
    assert_no_horizontal_scroll(page)
    for target in ("#wf-add-step", "#wf-card-0", "input[name=_save]"):
        assert_tappable(page.locator(target))
    # the Save row stays at the bottom, and is no more than a fifth of the screen
    bar = page.locator(".wf-submit-row").bounding_box()
    assert bar["y"] + bar["height"] <= 844 and bar["height"] <= 844 / 5, bar
    screenshot(page, "editor-phone-top", full_page=False)


def test_a_steps_properties_open_and_take_input_on_a_phone(
    admin_mobile_page: Page, process_order: Workflow, screenshot
):
    page = admin_mobile_page
    open_editor(page, process_order)
    page.locator("#wf-card-2").tap()
    props = page.locator("#wf-props-2")
    expect(props).to_be_visible()
    expect(page.locator("#wf-card-2")).to_have_attribute("aria-expanded", "true")
    assert_no_horizontal_scroll(page)

    subject = page.locator("#wf-f-actions-2-subject")
    subject.tap()
    page.keyboard.press("End")
    page.keyboard.type(" today")
    expect(page.locator("#wf-card-2")).to_contain_text("confirmed today")
    assert_no_horizontal_scroll(page)
    screenshot(page, "editor-phone-step", full_page=False)


def test_insert_dynamic_data_fits_a_phone(
    admin_mobile_page: Page, process_order: Workflow, screenshot
):
    page = admin_mobile_page
    open_editor(page, process_order)
    page.locator("#wf-card-2").tap()
    # the field low on the screen, where a builder scrolling down meets it: its picker,
    # opening under it, would reach under the Save row and past the screen's bottom
    insert = page.locator("#wf-f-actions-2-cc-insert")
    insert.evaluate(
        "(b) => window.scrollBy(0, b.getBoundingClientRect().bottom - innerHeight * 0.7)"
    )
    insert.tap()
    picker = page.locator(".wf-picker")
    expect(picker.locator(".wf-picker-option").first).to_be_visible()
    assert_on_screen(picker)
    assert_no_horizontal_scroll(page)
    screenshot(page, "editor-phone-picker", full_page=False)

    # one level down and the next: still on screen, and what is picked lands in the field
    for label in ("order", "customer"):
        option = picker.locator(".wf-picker-option").filter(
            has=page.locator(".wf-picker-label").get_by_text(label, exact=True)
        )
        assert_tappable(option.locator(".wf-picker-open"))
        option.locator(".wf-picker-open").tap()
        expect(picker.locator(".wf-picker-title")).to_have_text(label)
        assert_on_screen(picker)
        assert_no_horizontal_scroll(page)
    picker.locator(".wf-picker-option").filter(
        has=page.locator(".wf-picker-label").get_by_text("email", exact=True)
    ).tap()
    expect(picker).to_have_count(0)
    expect(page.locator("#wf-f-actions-2-cc")).to_have_text("{{ params.order.customer.email }}")


def test_a_test_run_is_usable_on_a_phone(
    admin_mobile_page: Page, process_order: Workflow, screenshot
):
    sample_data_ensure()
    order = Order.objects.filter(status="new", total__gt=0).first()
    page = admin_mobile_page
    open_editor(page, process_order)
    page.locator("#wf-trial > summary").tap()
    search = page.locator("#wf-f-trial-order")
    expect(search).to_be_visible()
    search.tap()
    choice = page.locator(".wf-thing-option").filter(has_text=str(order))
    assert_on_screen(choice)
    assert_tappable(choice)
    choice.tap()
    expect(page.locator("#wf-f-trial-order-picked")).to_have_text(f"Chosen: {order}")
    run = page.locator("#wf-trial-run")
    assert_tappable(run)
    run.tap()
    expect(page.locator("#wf-trial-status")).to_contain_text("succeeded")
    expect(page.locator("#wf-trial-result")).to_contain_text("Not sent (recorded)")
    assert_on_screen(page.locator("#wf-trial-status"))
    assert_no_horizontal_scroll(page)
    order.refresh_from_db()
    assert order.status == "new"
    screenshot(page, "editor-phone-test-run", full_page=False)
