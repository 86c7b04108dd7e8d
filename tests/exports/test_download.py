"""Exports of the payments list up to the direct limit: downloaded at once, opened and
compared with the database."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import QueryDict
from openpyxl import load_workbook

from exports.models import ExportJob
from exports.selectors import payment_csv_chunks, payment_rows
from inecopay.lib.tabular import Column, iter_csv, safe_text, utf8_reader
from transactions.filters import filtered_payments, parse_payment_filters
from transactions.models import Payment

from .conftest import FORMULAS, make_payments

URL = "/exports/payments/"
YEREVAN = ZoneInfo("Asia/Yerevan")


def _expected(merchant, **filters) -> list[Payment]:
    return list(
        Payment.objects.filter(merchant=merchant, test=True, **filters)
        .select_related("shop")
        .order_by("-created_at", "-id")
    )


def _local(moment, zone=YEREVAN):
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def _money_text(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.usefixtures("english")
def test_csv_download_is_every_filtered_payment_as_in_the_database(
    owner_client, merchant, payments
):
    response = owner_client.post(URL, {"format": "csv", "filters": "mode=test"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="payments-test-')
    raw = _body(response)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(utf8_reader(io.BytesIO(raw)), delimiter=";"))
    header, data = rows[0], rows[1:]
    assert header[:3] == ["Payment ID", "Created (Asia/Yerevan)", "Shop"]
    expected = _expected(merchant)
    assert len(data) == len(expected) == 23
    for row, p in zip(data, expected, strict=True):
        assert row == [
            p.public_id,
            _local(p.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            "'=Books",
            safe_text(p.order_id),
            p.description,
            p.get_status_display(),
            p.get_method_display() if p.method else "",
            p.card_brand,
            p.card_last4,
            _money_text(p.amount),
            p.currency,
            _money_text(p.refunded_amount),
            "yes",
            _local(p.succeeded_at).strftime("%Y-%m-%d %H:%M:%S") if p.succeeded_at else "",
        ]
    assert {row[3] for row in data} >= {"'" + text for text in FORMULAS}


@pytest.mark.usefixtures("english")
def test_xlsx_download_has_typed_cells_formats_frozen_header_and_text_formulas(
    owner_client, merchant, payments
):
    response = owner_client.post(URL, {"format": "xlsx", "filters": "mode=test"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws.title == "Payments"
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "Payment ID" and ws["A1"].font.b
    expected = _expected(merchant)
    data = list(ws.iter_rows(min_row=2))
    assert len(data) == len(expected)
    for cells, p in zip(data, expected, strict=True):
        values = [c.value for c in cells]
        assert values[0] == p.public_id
        assert values[1] == _local(p.created_at)
        assert cells[1].number_format == "yyyy-mm-dd hh:mm:ss"
        assert (values[2], cells[2].data_type) == ("=Books", "s")
        assert (values[3], cells[3].data_type) == (p.order_id, "s")
        assert values[5] == p.get_status_display()
        assert cells[9].data_type == "n" and cells[9].number_format == "#,##0.00"
        assert Decimal(str(values[9])) == Decimal(p.amount).scaleb(-2)
        assert values[10] == p.currency
        assert Decimal(str(values[11] or 0)) == Decimal(p.refunded_amount).scaleb(-2)
        assert values[13] == _local(p.succeeded_at)
    # The last four digits keep their leading zeros: text, not a number.
    card = next(cells for cells in data if cells[8].value)
    assert card[8].data_type == "s" and len(card[8].value) == 4


@pytest.mark.usefixtures("english")
def test_export_applies_the_list_filters_and_never_mixes_live_and_test(
    owner_client, merchant, shop, payments
):
    make_payments(shop, 4, test=False)
    response = owner_client.post(URL, {"format": "csv", "filters": "mode=test&status=succeeded"})
    data = list(csv.reader(utf8_reader(io.BytesIO(_body(response))), delimiter=";"))[1:]
    expected = _expected(merchant, status="succeeded")
    assert [row[0] for row in data] == [p.public_id for p in expected]
    assert expected and all(row[5] == "Paid" for row in data)

    live = owner_client.post(URL, {"format": "csv", "filters": "mode=live"})
    live_rows = list(csv.reader(utf8_reader(io.BytesIO(_body(live))), delimiter=";"))[1:]
    assert len(live_rows) == 4 and {row[12] for row in live_rows} == {"no"}


@pytest.mark.usefixtures("english")
def test_garbage_filters_are_dropped_and_the_export_still_works(owner_client, payments):
    response = owner_client.post(
        URL, {"format": "csv", "filters": "mode=test&from=2026-99-99&status=nope&q=' OR 1=1 --"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(utf8_reader(io.BytesIO(_body(response))), delimiter=";"))
    assert len(rows) == 1  # the search matches nothing, the bad values are ignored


@pytest.mark.usefixtures("english")
def test_unknown_format_is_a_clear_400(owner_client, payments):
    response = owner_client.post(URL, {"format": "pdf", "filters": "mode=test"})
    assert response.status_code == 400
    assert "Choose CSV or XLSX" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_export_needs_post_and_a_signed_in_member(client, owner_client, outsider_client):
    assert owner_client.get(URL).status_code == 405
    response = client.post(URL, {"format": "csv"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsider_exports_only_their_own_payments(outsider_client, payments):
    response = outsider_client.post(URL, {"format": "csv", "filters": "mode=test"})
    rows = list(csv.reader(utf8_reader(io.BytesIO(_body(response))), delimiter=";"))
    assert len(rows) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_csv_equals_the_python_writer(merchant, payments, english):
    filters = parse_payment_filters(merchant=merchant, params=QueryDict("mode=test"))
    qs = filtered_payments(filters)
    zone = ZoneInfo("America/New_York")
    copied = b"".join(payment_csv_chunks(qs, zone))
    columns = [Column(str(i), "x") for i in range(14)]
    columns[1] = Column("c", "x", "datetime")
    columns[9] = Column("a", "x", "money")
    columns[11] = Column("r", "x", "money")
    columns[13] = Column("p", "x", "datetime")
    python = b"".join(iter_csv(columns, payment_rows(qs, zone), header=False))

    def parse(raw: bytes) -> list[list[str]]:
        return list(csv.reader(utf8_reader(io.BytesIO(raw)), delimiter=";"))

    assert parse(copied)[1:] == parse(python)
    assert len(parse(python)) == 23


def test_the_list_page_carries_its_filters_into_the_export_form(owner_client, payments):
    page = owner_client.get("/transactions/?mode=test&status=succeeded&status=nope")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'action="/exports/payments/"' in html
    # The cleaned filters: the unknown status is not carried along.
    assert 'name="filters" value="mode=test&amp;status=succeeded"' in html
    assert 'name="format" value="csv"' in html and 'name="format" value="xlsx"' in html
