"""A builder brings rows into a data type from the admin, as with Bubble's Upload button:
the Leads list's "Upload CSV", a file with a bad row and "import the good rows", the result
page (summary, columns, the refused row by line), a file that is not CSV (refused on the
form), then the rows in the list — in a real browser. Photographed at 1366 px
(test-results/screenshots/data-csv-*.png); ``make screenshots`` also writes the two
pictures of docs/data-types.md#bringing-rows-csv."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.workflows.data_model.conftest import LEAD, STAGE, data_model  # noqa: F401
from workflows import data_types
from workflows.data_model import schema

from . import screens
from .layout import assert_no_horizontal_scroll

pytestmark = [pytest.mark.screenshots, pytest.mark.usefixtures("data_model")]

LEADS_CSV = b"""email,score,stage,Source
ann@example.com,12,New,fair
bob@example.com,lots,Won,web
cy@example.com,7,Qualified,web
"""


def test_a_builder_uploads_a_csv_and_sees_the_rows_in_the_list(
    admin_page: Page, screenshot: Callable[..., Path]
) -> None:
    page = admin_page
    schema.save_option_set(STAGE)
    lead = schema.create_data_type(LEAD)
    page.goto(f"/admin/things/t{lead.pk}/")
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    screens.save_screenshot(page, "data-csv-list-buttons", full_page=False)  # to look at
    page.get_by_role("link", name="Upload CSV").click()

    expect(page.locator("h1")).to_have_text("Upload CSV into Leads")
    page.get_by_label("CSV file").set_input_files(
        {"name": "leads.csv", "mimeType": "text/csv", "buffer": LEADS_CSV}
    )
    page.get_by_label("Import the good rows and list the bad ones").check()
    assert_no_horizontal_scroll(page)
    screenshot(page.locator("#content"), "data-csv-upload")
    page.get_by_role("button", name="Upload").click()

    expect(page.locator("#csv-summary")).to_have_text("Imported 2 rows; 1 row refused.")
    errors = page.locator("#csv-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("3score'lots' is not a number")
    expect(page.locator("#csv-columns")).to_contain_text("Sourceignored: no field has this name")
    assert_no_horizontal_scroll(page)
    screenshot(page.locator("#content"), "data-csv-result")

    # a file that is not CSV text: said on the form, nothing imported
    page.get_by_role("link", name="Upload another file").click()
    page.get_by_label("CSV file").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".errornote")).to_have_text("Nothing was imported.")
    expect(page.locator(".errorlist.nonfield")).to_contain_text(
        "logo.png: cannot be read as CSV (UTF-8): line 1 holds the byte 0x89"
    )
    screens.save_screenshot(page, "data-csv-refused", full_page=False)  # to look at

    page.get_by_role("link", name="Cancel").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("ann@example.com")
    expect(page.locator("#result_list")).to_contain_text("cy@example.com")
    model = data_types.get_model("Lead")
    assert sorted(model.objects.values_list("email", "stage__display")) == [
        ("ann@example.com", "New"),
        ("cy@example.com", "Qualified"),
    ]
