"""XLSX, CSV and ZIP reports opened and read back: typed cells, currency formats, the BOM,
the same figures as the table model."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from reports.periods import month_period, year_period
from reports.registry import ReportRequest, get_variant
from reports.services import render_csv, render_file, render_xlsx, render_zip, report_build

pytestmark = pytest.mark.django_db


def _report(merchant, variant="by-days", period=None, **kwargs):
    period = period or month_period(2026, 11, merchant.time_zone)
    request = ReportRequest(merchant=merchant, shops=(), period=period, **kwargs)
    return report_build(variant=get_variant(variant), request=request)


def test_xlsx_has_numeric_cells_with_currency_formats_and_totals(merchant, november, english):
    report = _report(merchant)
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    assert book.sheetnames == ["Report", "AMD", "USD"]
    about = {row[0]: row[1] for row in book["Report"].iter_rows(min_row=2, values_only=True)}
    assert about["Merchant"] == merchant.display_name
    assert about["Period"] == "[2026-11-01 00:00, 2026-12-01 00:00) Asia/Yerevan (UTC+04:00)"
    assert about["Shops"] == "All shops"
    assert about["Payments"] == "Live payments"
    assert about["Issued by"].startswith("Inecopay")
    assert about["Generated"].endswith("Asia/Yerevan")

    amd = book["AMD"]
    assert amd.freeze_panes == "A2"
    header = [cell.value for cell in amd[1]]
    assert header == ["Date", "Successful payments", "Gross", "Refunds", "Commission", "Net"]
    assert amd.max_row == 1 + 30 + 1
    third = amd[4]  # header, 1st, 2nd, 3rd
    assert isinstance(third[0].value, datetime)  # openpyxl reads dates back as datetimes
    assert third[0].value.date() == date(2026, 11, 3)
    assert third[1].value == 2 and third[1].data_type == "n"
    assert third[2].value == 1750
    assert third[2].data_type == "n"
    assert "֏" in third[2].number_format
    assert amd["F3"].value == -700  # the 2nd: a refund only
    totals = amd[32]
    assert totals[0].value is None  # a date column: the report sheet names the bold row
    assert about["Totals"] == "The last row of each currency's sheet, in bold."
    assert [c.value for c in totals[1:]] == [4, 4750, 1200, 35, 3515]
    assert totals[2].font.bold
    usd = book["USD"]
    assert "$" in usd["C6"].number_format
    assert usd["C6"].value == 10
    # Written as Decimal, read back as the spreadsheet's numbers.
    assert [c.value for c in usd[32][1:]] == [1, 10, 0, 0.01, 9.99]


def test_csv_has_a_bom_a_currency_column_and_the_same_figures(merchant, november, english):
    data = render_csv(_report(merchant))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    table, _blank, about = text.partition("\r\n\r\n")
    rows = list(csv.reader(io.StringIO(table), delimiter=";"))
    assert rows[0] == [
        "Currency",
        "Date",
        "Successful payments",
        "Gross",
        "Refunds",
        "Commission",
        "Net",
    ]
    amd = [row for row in rows[1:] if row[0] == "AMD"]
    assert len(amd) == 31  # 30 days and the totals
    assert amd[2] == ["AMD", "2026-11-03", "2", "1750,00", "0,00", "35,00", "1715,00"]
    assert amd[1][-1] == "-700,00"  # the 2nd: a refund of an October payment only
    assert amd[-1] == ["AMD", "Total", "4", "4750,00", "1200,00", "35,00", "3515,00"]
    usd = [row for row in rows[1:] if row[0] == "USD"]
    assert usd[-1] == ["USD", "Total", "1", "10,00", "0,00", "0,01", "9,99"]
    facts = dict(csv.reader(io.StringIO(about), delimiter=";"))
    assert facts["Period"] == "[2026-11-01 00:00, 2026-12-01 00:00) Asia/Yerevan (UTC+04:00)"
    assert facts["Merchant"] == merchant.display_name
    comma = render_csv(_report(merchant), delimiter=",").decode("utf-8-sig")
    assert "AMD,2026-11-03,2,1750.00,0.00,35.00,1715.00" in comma


def test_by_months_csv_and_an_empty_period(merchant, november, english):
    text = render_csv(_report(merchant, "by-months", year_period(2026, "Asia/Yerevan")))
    rows = list(
        csv.reader(io.StringIO(text.decode("utf-8-sig").split("\r\n\r\n")[0]), delimiter=";")
    )
    assert rows[0][1] == "Month"
    assert ["AMD", "November 2026", "4", "4750,00", "1200,00", "35,00", "3515,00"] in rows
    empty = render_csv(_report(merchant, period=month_period(2025, 2, "Asia/Yerevan")))
    assert "No payments and no refunds in this period." in empty.decode("utf-8-sig")


def test_zip_holds_the_chosen_files(merchant, november, english):
    report = _report(merchant)
    files = [render_file(report, "pdf"), render_file(report, "csv")]
    archive = render_zip(files, filename="inecopay-reports-2026-11.zip")
    assert archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert opened.namelist() == ["inecopay-by-days-2026-11.pdf", "inecopay-by-days-2026-11.csv"]
        assert opened.read("inecopay-by-days-2026-11.pdf").startswith(b"%PDF")
        assert opened.read("inecopay-by-days-2026-11.csv").startswith(b"\xef\xbb\xbf")
