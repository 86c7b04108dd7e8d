"""The shared CSV and XLSX writers: typed cells, formats, and text that never runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from inecopay.lib.tabular import Column, Sheet, safe_text, utf8_reader, write_csv, write_xlsx

COLUMNS = [
    Column("text", "Text"),
    Column("count", "Count", "int"),
    Column("amount", "Amount", "money", 14),
    Column("at", "At", "datetime", 19),
    Column("day", "Day", "date"),
]
DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)", "\tx", "\rx", "#N/A"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_safe_text_prefixes_formula_starts_with_an_apostrophe(text):
    assert safe_text(text) == "'" + text


def test_safe_text_keeps_ordinary_text_and_empties_none():
    assert safe_text("Order 5 = paid") == "Order 5 = paid"
    assert safe_text(None) == ""
    assert safe_text(42) == "42"


def _rows():
    return [
        ["Книга", 3, 123_456, datetime(2026, 3, 1, 23, 30, 5), date(2026, 3, 1)],
        ['a;b "quoted"\nline', 0, Decimal("7.5"), None, None],
        *[[text, None, 1, None, None] for text in DANGEROUS],
    ]


def test_csv_has_bom_semicolons_comma_decimals_and_neutralised_formulas():
    out = io.BytesIO()
    assert write_csv(out, COLUMNS, _rows()) == 2 + len(DANGEROUS)
    raw = out.getvalue()
    assert raw.startswith("\ufeff".encode())
    parsed = list(csv.reader(utf8_reader(io.BytesIO(raw)), delimiter=";"))
    assert parsed[0] == ["Text", "Count", "Amount", "At", "Day"]
    assert parsed[1] == ["Книга", "3", "1234,56", "2026-03-01 23:30:05", "2026-03-01"]
    assert parsed[2] == ['a;b "quoted"\nline', "0", "7,50", "", ""]
    for text, row in zip(DANGEROUS[:-1], parsed[3:], strict=False):
        assert row[0] == "'" + text
    assert parsed[-1][0] == "#N/A"


def test_csv_with_comma_delimiter_uses_decimal_points():
    out = io.BytesIO()
    write_csv(out, COLUMNS[:3], [["x", 1, 100_050]], delimiter=",")
    parsed = list(csv.reader(utf8_reader(io.BytesIO(out.getvalue()))))
    assert parsed[1] == ["x", "1", "1000.50"]


def test_xlsx_cells_are_typed_formatted_frozen_and_never_formulas():
    out = io.BytesIO()
    totals = ["Total", 3, 123_456 + 750 + len(DANGEROUS), None, None]
    write_xlsx(out, [Sheet("AMD", COLUMNS, _rows(), currency="AMD", totals=totals)])
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert ws.title == "AMD"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width == 14
    assert [c.value for c in ws[1]] == ["Text", "Count", "Amount", "At", "Day"]
    assert all(c.font.b for c in ws[1])

    text, count, amount, at, day = ws[2]
    assert (text.value, text.data_type) == ("Книга", "s")
    assert (count.value, count.data_type) == (3, "n")
    assert amount.data_type == "n"
    assert Decimal(str(amount.value)) == Decimal("1234.56")
    assert amount.number_format == '#,##0.00 "֏"'
    assert at.value == datetime(2026, 3, 1, 23, 30, 5)
    assert at.number_format == "yyyy-mm-dd hh:mm:ss"
    assert day.is_date and day.number_format == "yyyy-mm-dd"

    texts = [ws.cell(row=4 + i, column=1) for i in range(len(DANGEROUS))]
    # XML reads a lone CR back as LF; what matters is that it stays text.
    assert [c.value for c in texts] == [t.replace("\r", "\n") for t in DANGEROUS]
    assert {c.data_type for c in texts} == {"s"}
    last = ws.max_row
    assert ws.cell(row=last, column=1).value == "Total"
    assert ws.cell(row=last, column=1).font.b
    assert Decimal(str(ws.cell(row=last, column=3).value)) == Decimal("1242.13")


def test_xlsx_raw_file_has_no_formula_element():
    import zipfile

    out = io.BytesIO()
    write_xlsx(out, [Sheet("x", COLUMNS[:1], [[t] for t in DANGEROUS])])
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert 't="e"' not in xml


def test_xlsx_aware_datetimes_are_written_as_wall_clock_and_titles_are_made_valid():
    out = io.BytesIO()
    columns = [Column("at", "At", "datetime")]
    write_xlsx(
        out,
        [
            Sheet("a/b", columns, [[datetime(2026, 1, 1, 12, tzinfo=UTC)]]),
            Sheet("A/B", columns, []),
        ],
    )
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == ["a_b", "A_B (2)"]
    assert workbook["a_b"]["A2"].value == datetime(2026, 1, 1, 12)


def test_unknown_column_kind_is_refused():
    with pytest.raises(ValueError):
        Column("x", "X", "float")  # type: ignore[arg-type]
