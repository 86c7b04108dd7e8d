"""The reconciliation statement (акт сверки): downloaded from the reconciliation page as
PDF and XLSX, its figures read back from the files and compared with the ledger."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from settlements.models import Payout
from settlements.services import payout_mark_paid, settle
from tests.settlements.conftest import paid, refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(live_shop, staff, merchant):
    merchant.legal_name = "Գրքեր LLC"
    merchant.tax_id = "02512345"
    merchant.save()
    first = paid(live_shop, datetime(2026, 11, 2, 8, tzinfo=UTC), amount=1_000_000, order_id="A")
    paid(live_shop, datetime(2026, 11, 3, 8, tzinfo=UTC), amount=400_000, order_id="B")
    refund(first, datetime(2026, 11, 3, 9, tzinfo=UTC), amount=200_000)
    settle(now=datetime(2026, 11, 4, 8, tzinfo=UTC))
    payout_mark_paid(
        payout=Payout.objects.get(), reference="BANK-7", paid_on=date(2026, 11, 4), staff=staff
    )


QUERY = {"mode": "live", "date_from": "2026-11-01", "date_to": "2026-11-10"}


def test_the_reconciliation_page_links_the_statement(owner_client, history):
    page = owner_client.get("/reconciliation/?first=2026-11-01&last=2026-11-10&currency=AMD")
    assert b"file=statement:pdf" in page.content
    assert b"file=statement:xlsx" in page.content


def test_the_statement_pdf_names_both_parties_and_balances(owner_client, history, english):
    response = owner_client.get("/reports/download/", {**QUERY, "file": "statement:pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Reconciliation statement" in text
    assert "02512345" in text
    assert "Opening balance" in text and "Closing balance" in text
    assert "14,000.00" in text  # gross: 10 000 + 4 000 AMD
    assert "signature" in text
    # Opening 0; gross 14 000; refunds 2 000; commission 250 + 100 − 50; paid out all.
    assert "11,700.00" in text  # the payout


def test_the_statement_xlsx_has_numeric_balances_equal_to_the_ledger(owner_client, history):
    response = owner_client.get("/reports/download/", {**QUERY, "file": "statement:xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    movements = book.worksheets[1]
    values = [row for row in movements.iter_rows(min_row=2, values_only=True) if row[0]]
    amounts = [row[1] for row in values]
    assert all(not isinstance(a, str) for a in amounts)
    opening, gross, refunds, chargebacks, commission, adjustments, payouts, closing = amounts[:8]
    assert (float(gross), float(refunds), float(commission)) == (14000.0, 2000.0, 300.0)
    assert float(payouts) == 11700.0
    assert float(closing) == float(opening) + 14000 - 2000 - 300 - 11700
    days = book.worksheets[2]
    day_rows = [row for row in days.iter_rows(min_row=2, values_only=True) if row[1] is not None]
    assert len(day_rows) >= 2


def test_a_statement_for_the_future_or_reversed_is_refused(owner_client, history):
    reversed_ = owner_client.get(
        "/reports/download/",
        {
            "mode": "live",
            "date_from": "2026-11-10",
            "date_to": "2026-11-01",
            "file": "statement:pdf",
        },
    )
    assert reversed_.status_code == 400
