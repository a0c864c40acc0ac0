"""A text cell a spreadsheet would open as a formula (workflows/data_model/csv_values.py):
written with OWASP's ``'`` before it, read back without exactly that ``'``, so that every
text comes back as it was."""

from __future__ import annotations

import pytest

from workflows.data_model.csv_values import CODECS, shield, unshield


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ('=HYPERLINK("http://x.example","go")', '\'=HYPERLINK("http://x.example","go")'),
        ("+33 1 23 45", "'+33 1 23 45"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        # what already starts with the quote before a formula gets one more, to come back
        ("'=1+1", "''=1+1"),
        ("''-x", "'''-x"),
        # the rest as it is
        ("plain", "plain"),
        ("'quoted", "'quoted"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        ("'", "'"),
    ],
)
def test_a_formula_s_start_gets_a_quote_and_the_import_takes_exactly_it_off(text, cell):
    assert shield(text) == cell
    assert unshield(cell) == text


def test_a_cell_written_by_someone_else_loses_only_that_quote():
    assert unshield("'=1+1") == "=1+1"  # a spreadsheet's way to type a formula as text
    assert unshield("'hello") == "'hello"
    assert unshield("=1+1") == "=1+1"


def test_only_text_cells_are_quoted_numbers_and_dates_are_not_text():
    text = {name for name, codec in CODECS.items() if codec.text_cells}
    assert text == {"text", "thing", "option", "file", "image", "geographic_address"}
