"""A builder defines data in the admin, as in Bubble's Data tab: an option set "Stage", a
data type "Lead" with five fields, then a Lead in the Data section — in a real browser,
with the page's script (new rows, the inputs each field type takes, the display field).

Photographed at 1366 px (test-results/screenshots/data-*.png); ``make screenshots`` also
writes the four pictures of docs/data-types.md#in-the-admin to docs/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.workflows.data_model.conftest import LEAD, STAGE, data_model  # noqa: F401
from workflows.data_model import registry, schema
from workflows.models.data_model import DataType, OptionSet

from . import screens
from .conftest import DESKTOP
from .layout import assert_no_horizontal_scroll

pytestmark = [pytest.mark.screenshots, pytest.mark.usefixtures("data_model")]


def look(target: Page | Locator, name: str, *, full_page: bool = True) -> Path:
    """A picture to look at only (test-results/screenshots/), never one of the docs'."""
    return screens.save_screenshot(target, name, full_page=full_page)


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()


def data_section(page: Page):
    return page.locator("#content-main .app-things")


def field_row(page: Page, index: int):
    return page.locator(f"#fields-{index}")


def test_a_builder_defines_stage_and_lead_then_adds_a_lead(
    open_page: Callable, superuser, screenshot: Callable[..., Path]
) -> None:
    page = open_page(DESKTOP, "builder")
    log_in(page, "root", "pw-root-123")

    # the Data section of the admin's index
    section = data_section(page)
    expect(section.locator("caption")).to_contain_text("Data")
    expect(section.get_by_role("link", name="Data types", exact=True)).to_be_visible()
    look(page, "data-admin-index", full_page=False)

    # an option set: Stage, three options in order, a colour each
    section.get_by_role("link", name="Option sets", exact=True).click()
    page.get_by_role("link", name="Add option set").click()
    page.get_by_label("Name:").fill("Stage")
    options = page.locator("tr[data-dm-option]")
    options.nth(0).get_by_label("Display").fill("New")
    for display in ("Won", "Qualified"):
        page.get_by_role("button", name="Add an option").click()
        options.last.get_by_label("Display").fill(display)
    page.get_by_role("button", name="Add an attribute").click()
    page.get_by_label("Attribute name").fill("color")
    for index, color in enumerate(("grey", "green", "blue")):
        options.nth(index).get_by_label("Attribute value").fill(color)
    options.nth(2).get_by_role("button", name="Move up").click()  # Qualified before Won
    expect(options.nth(1).get_by_label("Display")).to_have_value("Qualified")
    assert_no_horizontal_scroll(page)
    screenshot(page.locator("#content"), "data-option-set")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("The option set “Stage” was added")
    stage = OptionSet.objects.get(name="Stage")
    assert [(o.display, o.attributes["color"]) for o in stage.options.order_by("position")] == [
        ("New", "grey"),
        ("Qualified", "blue"),
        ("Won", "green"),
    ]

    # a data type: Lead, with five fields
    page.goto("/admin/")
    data_section(page).get_by_role("link", name="Data types", exact=True).click()
    page.get_by_role("link", name="Add data type").click()
    page.get_by_label("Name:").fill("Lead")
    page.get_by_label("Description:").fill("Someone who may buy.")
    fields = [
        ("email", "text"),
        ("score", "number"),
        ("active", "yes / no"),
        ("follow_up", "date"),
        ("stage", "an option of an option set"),
    ]
    for index, (name, kind) in enumerate(fields):
        if index:
            page.get_by_role("button", name="Add another field").click()
        row = field_row(page, index)
        row.locator("[name$='-name']").fill(name)
        row.locator("[name$='-type']").select_option(label=kind)
    email, score, stage_row = field_row(page, 0), field_row(page, 1), field_row(page, 4)
    email.locator("[name$='-required']").check()
    email.locator("[name$='-unique']").check()
    email.locator("[name$='-help_text']").fill("Work email")
    score.locator("[name$='-default']").fill("0")
    # only the inputs a field's type takes
    expect(stage_row.locator("[name$='-option_set']")).to_be_visible()
    expect(stage_row.locator("[name$='-data_type']")).to_be_hidden()
    expect(field_row(page, 2).locator("[name$='-is_list']")).to_be_disabled()  # yes / no
    stage_row.locator("[name$='-option_set']").select_option("Stage")
    page.get_by_label("Display field:").select_option("email")  # offered as it was typed
    assert_no_horizontal_scroll(page)
    screenshot(page.locator("#content"), "data-type-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("The data type “Lead” was added")
    lead = DataType.objects.get(name="Lead")
    assert [f.name for f in lead.fields.order_by("position")] == [n for n, _ in fields]
    assert lead.display_field == "email"
    expect(page.locator("#fields-0 [name$='-name']")).to_have_value("email")
    look(page, "data-type-change")

    page.goto("/admin/workflows/datatype/")
    expect(page.locator("#result_list")).to_contain_text("0 Leads")
    look(page, "data-types-list", full_page=False)
    page.goto("/admin/workflows/optionset/")
    expect(page.locator("#result_list")).to_contain_text("New, Qualified, Won")
    expect(page.locator("#result_list")).to_contain_text("Lead.stage")
    look(page, "data-option-sets-list", full_page=False)

    # a Lead, in the Data section
    page.goto("/admin/")
    data_section(page).get_by_role("link", name="Leads", exact=True).click()
    page.get_by_role("link", name="Add lead").click()
    page.get_by_label("Email:").fill("ann@example.com")
    page.get_by_label("Score:").fill("12")
    page.get_by_label("Active:").select_option(label="yes")
    page.locator("#id_follow_up_0").fill("2025-03-01")
    page.locator("#id_follow_up_1").fill("09:30:00")
    page.get_by_label("Stage:").select_option(label="Qualified")
    assert_no_horizontal_scroll(page)
    look(page, "data-thing-add")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("ann@example.com")
    expect(page.locator("#result_list thead")).to_contain_text("Created Date")
    assert_no_horizontal_scroll(page)
    screenshot(page, "data-things-list", full_page=False)
    ann = registry.built_models()["lead"].objects.get()
    assert (ann.score, ann.active, ann.stage.display) == (12.0, True, "Qualified")


def test_a_refused_change_deleted_fields_and_purging_look_right(
    admin_page: Page, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    schema.save_option_set(STAGE)
    lead_type = schema.create_data_type(LEAD)
    registry.built_models()["lead"].objects.create(email="a@example.com", phone="555")
    change = f"/admin/workflows/datatype/{lead_type.pk}/change/"
    page.goto(change)
    phone = page.locator("tr[data-dm-row]", has=page.locator("input[value='phone']"))
    phone.locator("[name$='-name']").fill("mobile phone")
    page.get_by_role("button", name="Add another field").click()
    page.locator("#fields-6 [name$='-name']").fill("company")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote")).to_be_visible()
    errors = page.locator("#fields-group .row-form-errors")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("Name: field 'mobile phone' is not a valid name")
    expect(page.locator("#fields-1 td.field-name")).to_have_class(re.compile("errors"))
    expect(page.locator("#fields-6 [name$='-name']")).to_have_value("company")  # kept
    assert_no_horizontal_scroll(page)
    look(page, "data-type-error")
    assert not lead_type.fields.filter(name="company").exists()

    page.goto(change)
    page.locator("tr[data-dm-row]", has=page.locator("input[value='phone']")).locator(
        "[name$='-DELETE']"
    ).check()
    page.get_by_role("button", name="Save and continue editing").click()
    deleted = page.locator("#deleted-fields")
    expect(deleted).to_contain_text("phone")
    screenshot(deleted, "data-type-deleted-fields")
    deleted.get_by_role("link", name="Purge…").click()
    expect(page.locator("#content")).to_contain_text("1 Lead are lost")
    look(page, "data-purge-field", full_page=False)
    page.get_by_role("link", name="No, take me back").click()
    page.locator("#deleted-fields").get_by_role("button", name="Restore").click()
    expect(page.locator(".messagelist")).to_contain_text("is back, with its data")
    expect(page.locator("#deleted-fields")).to_have_count(0)

    # deleting the type says what goes
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.locator("#content")).to_contain_text("1 Lead: every value in them")
    look(page, "data-type-delete", full_page=False)
