"""«Реестр платежей»: every payment of the period, per currency, in files that are opened
and read back against the database; long PDFs in chunks; long registries as background
jobs; too long PDFs refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from exports import services as export_services
from exports.models import ExportJob
from exports.tasks import run_export_job
from reports import registry_files
from reports.pdf import format_money
from reports.periods import Period, PeriodKind
from reports.registry import ReportRequest, get_variant
from reports.services import ReportTooLarge, render_file, report_build
from tests.exports.conftest import make_payments
from tests.factories import MerchantFactory, ShopFactory
from transactions.models import Payment

from .conftest import at

pytestmark = pytest.mark.django_db

DOWNLOAD = reverse("reports:download")
NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
# make_payments' first payment: 20:00 UTC on 1 March = midnight on 2 March in Yerevan.
MARCH = Period(PeriodKind.RANGE, date(2026, 3, 1), date(2026, 3, 8), "Asia/Yerevan")


@pytest.fixture(autouse=True)
def _now():
    with at(NOW):
        yield


@pytest.fixture
def queued(monkeypatch):
    sent = mock.Mock()
    monkeypatch.setattr(run_export_job, "delay", sent)
    return sent


@pytest.fixture
def rows(shop):
    """23 live payments of every status, method and currency, some with formula-like text,
    and 3 test payments that a live registry never shows."""
    live = make_payments(shop, 23, test=False)
    make_payments(shop, 3, test=True, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    return live


def _report(merchant, period=MARCH, shops=(), test=False):
    request = ReportRequest(merchant=merchant, shops=tuple(shops), period=period, test=test)
    return report_build(variant=get_variant("registry"), request=request)


def _live(merchant, currency=None):
    payments = Payment.objects.filter(
        merchant=merchant, test=False, created_at__gte=MARCH.start, created_at__lt=MARCH.end
    )
    if currency:
        payments = payments.filter(currency=currency)
    return payments.order_by("created_at", "id")


def test_xlsx_lists_every_live_payment_per_currency_with_typed_cells(merchant, rows, english):
    book = load_workbook(io.BytesIO(render_file(_report(merchant), "xlsx").content))
    assert book.sheetnames == ["Report", "AMD", "USD", "EUR", "RUB"]
    about = {r[0]: r[1] for r in book["Report"].iter_rows(min_row=2, values_only=True)}
    assert about["Merchant"] == merchant.display_name
    assert about["Period"] == "[2026-03-01 00:00, 2026-03-08 00:00) Asia/Yerevan (UTC+04:00)"
    assert about["Payments"] == "Live payments"
    assert about["Issued by"].startswith("Inecopay")
    for currency in ("AMD", "USD", "EUR", "RUB"):
        sheet = book[currency]
        expected = list(_live(merchant, currency))
        header = [c.value for c in sheet[1]]
        assert header[0] == "Payment ID" and header[9] == "Amount"
        body = list(sheet.iter_rows(min_row=2))
        assert len(body) == len(expected) + 1  # and the totals row
        for cells, payment in zip(body, expected, strict=False):
            assert cells[0].value == payment.public_id
            assert cells[9].data_type == "n"
            assert cells[9].value == pytest.approx(payment.amount / 100)
            assert cells[10].value == currency
            assert cells[3].data_type == "s"  # formula-like order ids stay text
        totals = body[-1]
        assert totals[0].value == f"Total: {len(expected)} payments"
        assert totals[9].value == pytest.approx(sum(p.amount for p in expected) / 100)
        assert totals[9].font.bold
        symbol = {"AMD": "֏", "USD": "$", "EUR": "€", "RUB": "₽"}[currency]
        assert symbol in body[0][9].number_format
        assert f"Total, {currency}" in about
    # Formula-like text is kept as text, never a formula.
    order_ids = [c.value for c in book["AMD"]["D"]]
    assert '=HYPERLINK("http://evil.example","click")' in order_ids


def test_csv_is_the_transactions_export_followed_by_what_the_file_is(merchant, rows, english):
    data = render_file(_report(merchant), "csv").content
    assert data.startswith(b"\xef\xbb\xbf")
    table, about = re.split(r"\r?\n\r?\n", data.decode("utf-8-sig"), maxsplit=1)
    parsed = list(csv.reader(io.StringIO(table), delimiter=";"))
    assert parsed[0][:3] == ["Payment ID", "Created (Asia/Yerevan)", "Shop"]
    expected = list(_live(merchant))
    assert [row[0] for row in parsed[1:]] == [p.public_id for p in expected]
    first = expected[0]
    assert parsed[1][9] == f"{first.amount // 100},{first.amount % 100:02d}"
    assert parsed[1][10] == first.currency
    # A formula-like order id is defused as the transactions export does it.
    assert '\'=HYPERLINK("http://evil.example","click")' in [row[3] for row in parsed]
    lines = dict(row for row in csv.reader(io.StringIO(about), delimiter=";") if len(row) == 2)
    assert lines["Merchant"] == merchant.display_name
    amd = list(_live(merchant, "AMD"))
    assert lines["Total, AMD"].startswith(f"{len(amd)} payments; amount ")


def test_pdf_in_chunks_has_every_row_header_once_and_pages_numbered_on(
    merchant, rows, english, monkeypatch
):
    monkeypatch.setattr(registry_files, "CHUNK_ROWS", 2)
    pdf = render_file(_report(merchant), "pdf").content
    reader = PdfReader(io.BytesIO(pdf))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) >= 12  # 23 rows, two a chunk, every chunk on its own page(s)
    numbers = [int(re.search(r"page (\d+)\s*$", text).group(1)) for text in texts]
    assert numbers == list(range(1, len(texts) + 1))
    whole = "\n".join(texts)
    for payment in _live(merchant):
        assert payment.public_id in whole
    assert sum("Issued by" in text for text in texts) == 1  # the header on page 1 only
    assert all("Payment ID" in text for text in texts)  # the table header on every page
    amd = list(_live(merchant, "AMD"))
    total = sum(p.amount for p in amd)
    assert f"Total: {len(amd)} payments" in whole
    assert format_money(total, "AMD") in whole
    assert "[2026-03-01 00:00, 2026-03-08 00:00) Asia/Yerevan" in texts[0]


def test_test_payments_are_only_in_test_registries(merchant, rows, english):
    live = _report(merchant)
    assert sum(len(s.rows) for s in live.sections) == 23
    test = _report(merchant, test=True)
    assert sum(len(s.rows) for s in test.sections) == 3
    book = load_workbook(io.BytesIO(render_file(live, "xlsx").content))
    tests = {p.public_id for p in Payment.objects.filter(test=True)}
    for sheet in book.sheetnames[1:]:
        assert not tests & {c.value for c in book[sheet]["A"]}


def test_an_empty_period_gives_valid_files_that_say_so(merchant, shop, english):
    report = _report(merchant)
    assert report.empty
    pdf = PdfReader(io.BytesIO(render_file(report, "pdf").content))
    assert "No payments in this period." in pdf.pages[0].extract_text()
    book = load_workbook(io.BytesIO(render_file(report, "xlsx").content))
    about = {r[0]: r[1] for r in book["Report"].iter_rows(min_row=2, values_only=True)}
    assert about["Note"] == "No payments in this period."
    text = render_file(report, "csv").content.decode("utf-8-sig")
    assert "No payments in this period." in text


def test_render_file_refuses_a_pdf_over_the_maximum(merchant, rows, settings):
    settings.REPORT_PDF_MAX_ROWS = 10
    with pytest.raises(ReportTooLarge):
        render_file(_report(merchant), "pdf")
    assert render_file(_report(merchant), "xlsx").content  # no limit for XLSX


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------
def _query(fmt="pdf", **overrides) -> dict:
    query = {
        "shop": "",
        "mode": "live",
        "month": "2026-11",
        "year": "2026",
        "date_from": "2026-03-01",
        "date_to": "2026-03-07",
        "file": f"registry:{fmt}",
    }
    query.update(overrides)
    return query


def test_page_offers_the_registry_and_downloads_a_short_one(owner_client, rows, english):
    page = owner_client.get(reverse("reports:index")).content.decode()
    assert "Payments registry" in page and 'value="registry:pdf"' in page
    assert 'name="date_from"' in page
    response = owner_client.get(DOWNLOAD, _query())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "inecopay-registry-2026-03-01_2026-03-07.pdf" in response["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert all(p.public_id in text for p in _live(rows[0].merchant))


def test_a_long_registry_pdf_is_a_job_with_progress_and_an_emailed_link(
    owner_client, owner, merchant, rows, settings, queued, mailoutbox, english,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.REPORT_PDF_INLINE_ROWS = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.get(DOWNLOAD, _query())
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.public_id}/"
    queued.assert_called_once_with(job.pk)
    assert (job.kind, job.format, job.user) == ("registry", "pdf", owner)
    assert job.file_name == "inecopay-registry-2026-03-01_2026-03-07.pdf"
    page = owner_client.get(response["Location"])
    assert page.status_code == 200 and b"data-export-status-url" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        export_services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total) == ("done", 23, 23)
    status = owner_client.get(f"/exports/{job.public_id}/status/").json()
    assert status["percent"] == 100 and status["download_url"]
    download = owner_client.get(status["download_url"])
    assert download["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    text = "".join(p.extract_text() for p in reader.pages)
    assert all(p.public_id in text for p in _live(merchant))
    assert len(mailoutbox) == 1 and f"/exports/{job.public_id}/" in mailoutbox[0].body


def test_a_long_registry_xlsx_is_a_job_too(owner_client, merchant, rows, settings, queued, english):
    settings.REPORT_REGISTRY_INLINE_ROWS = 10
    response = owner_client.get(DOWNLOAD, _query("xlsx"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.format == "xlsx"
    export_services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    book = load_workbook(job.file.open("rb"))
    ids = [c.value for sheet in book.sheetnames[1:] for c in book[sheet]["A"][1:-1]]
    assert sorted(ids) == sorted(p.public_id for p in _live(merchant))


def test_a_too_long_registry_pdf_is_refused_with_the_values_kept(
    owner_client, rows, settings, queued, english
):
    settings.REPORT_PDF_MAX_ROWS = 10
    response = owner_client.get(DOWNLOAD, _query(mode="live"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "has 23 payments, and a PDF is made for up to 10" in page
    assert "XLSX or CSV" in page
    assert 'value="2026-03-01"' in page and 'value="2026-03-07"' in page
    assert not ExportJob.objects.exists()
    queued.assert_not_called()


def test_the_refusal_is_in_the_members_language(owner_client, rows, settings):
    settings.REPORT_PDF_MAX_ROWS = 10
    owner_client.cookies["django_language"] = "ru"
    response = owner_client.get(DOWNLOAD, _query(), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert "XLSX" in response.content.decode()


def test_a_long_registry_in_a_zip_with_other_files_is_refused(
    owner_client, rows, settings, queued, english
):
    settings.REPORT_PDF_INLINE_ROWS = 10
    query = _query(file="", zip="1")
    query["files"] = ["registry:pdf", "by-days:xlsx"]
    response = owner_client.get(DOWNLOAD, query)
    assert response.status_code == 400
    assert "Download it on its own" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_another_merchants_shop_is_an_error(owner_client, rows, english):
    foreign = ShopFactory(merchant=MerchantFactory(), name="Theirs")
    response = owner_client.get(DOWNLOAD, _query(shop=str(foreign.pk)))
    assert response.status_code == 400
    assert "Choose one of your shops." in response.content.decode()


def test_one_shop_only_lists_its_payments(merchant, rows, english):
    other = ShopFactory(merchant=merchant, name="Other", is_open=True)
    make_payments(other, 4, test=False, start=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    report = _report(merchant, shops=[other])
    assert report.shops_label == "Other"
    assert sum(len(s.rows) for s in report.sections) == 4
    amd = Payment.objects.filter(merchant=merchant, test=False, currency="AMD").count()
    assert _report(merchant).sections[0].totals["count"] == amd == 7  # both shops
    period = Period(PeriodKind.RANGE, date(2026, 3, 1), date(2026, 3, 2), "Asia/Yerevan")
    assert _report(merchant, period=period).empty  # the first is at 00:00 on the 2nd
