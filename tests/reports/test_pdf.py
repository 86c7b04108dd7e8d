"""PDF reports: A4, the figures and page numbers in the text, the project's own fonts, and
nothing fetched from outside the bundled static files."""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from inecopay.lib.tabular import Column
from reports.pdf import BUNDLED, BundledFilesFetcher, bundled_file, html_to_pdf, render_pdf
from reports.periods import month_period, year_period
from reports.registry import ReportRequest, get_variant
from reports.services import report_build
from reports.tables import Report, Section

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _by_days(merchant, shops=(), test=False):
    period = month_period(2026, 11, merchant.time_zone)
    request = ReportRequest(merchant=merchant, shops=tuple(shops), period=period, test=test)
    return report_build(variant=get_variant("by-days"), request=request)


def test_by_days_pdf_states_figures_period_and_pages(merchant, november, english, tmp_path):
    pdf = render_pdf(_by_days(merchant))
    (tmp_path / "by-days-en.pdf").write_bytes(pdf)
    reader, text = _text(pdf)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert "By days" in text
    assert "November 2026" in text
    assert "[2026-11-01 00:00, 2026-12-01 00:00) Asia/Yerevan (UTC+04:00)" in text
    assert merchant.display_name in text
    assert "All shops" in text
    assert "Live payments" in text
    # The 3rd, its totals and the month's totals, per currency.
    assert "11/03/2026" in text
    assert "1,750.00" in text
    assert "4,750.00" in text  # AMD gross of the month
    assert "1,200.00" in text  # AMD refunds
    assert "3,515.00" in text  # AMD net: 4,750.00 − 1,200.00 − 35.00
    assert "-700.00" in text  # the 2nd: only a refund of an October payment
    assert "10.00" in text  # USD
    assert f"page 1 of {len(reader.pages)}" in text
    assert len(reader.pages) == 2  # one currency a page
    assert "page 2 of 2" in text
    assert all("Noto-Sans" in name for name in _fonts(reader)), _fonts(reader)


def test_russian_pdf_with_armenian_shop_name_and_dram_sign(
    merchant, other_shop, november, tmp_path
):
    pdf = render_pdf(_by_days(merchant, shops=[other_shop]))
    (tmp_path / "by-days-ru.pdf").write_bytes(pdf)
    reader, text = _text(pdf)
    assert "Գրքեր" in text
    assert "֏" in text
    assert "250,00" in text
    fonts = _fonts(reader)
    assert any("Noto-Sans-Armenian" in name for name in fonts), fonts
    assert all("Noto-Sans" in name for name in fonts), fonts


def test_by_months_pdf(merchant, november, english, tmp_path):
    period = year_period(2026, merchant.time_zone)
    request = ReportRequest(merchant=merchant, shops=(), period=period)
    pdf = render_pdf(report_build(variant=get_variant("by-months"), request=request))
    (tmp_path / "by-months-en.pdf").write_bytes(pdf)
    _reader, text = _text(pdf)
    assert "By months" in text
    assert "October 2026" in text
    assert "December 2026" in text
    assert "4,750.00" in text


def test_an_empty_month_is_a_valid_pdf_that_says_so(merchant, english):
    period = month_period(2026, 2, merchant.time_zone)
    request = ReportRequest(merchant=merchant, shops=(), period=period)
    _reader, text = _text(render_pdf(report_build(variant=get_variant("by-days"), request=request)))
    assert "No payments and no refunds in this period." in text
    assert "02/28/2026" in text


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_nothing_outside_the_bundled_static_files_is_fetched(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        pdf = html_to_pdf(
            f'<link rel="stylesheet" href="file://{secret}">'
            f'<img src="{url}/tracker.png"><img src="file:///etc/passwd">'
            f'<img src="../../../etc/passwd"><img src="{BUNDLED}../../etc/passwd">'
            f'<img src="{BUNDLED}img/logo.svg"><p>ok</p>'
        )
    finally:
        server.shutdown()
    assert _Recorder.hits == []
    assert pdf.startswith(b"%PDF")
    fetcher = BundledFilesFetcher()
    for refused in (
        f"{url}/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        f"file://{secret}",
        "data:text/plain,hello",
        f"{BUNDLED}/etc/passwd",
        f"{BUNDLED}../../etc/passwd",
        f"{BUNDLED}vendor/../../manage.py",
        f"{BUNDLED}missing.png",
    ):
        with pytest.raises(ValueError, match="only bundled static files"):
            fetcher.fetch(refused)
    assert bundled_file("img/logo.svg") is not None
    served = fetcher.fetch(f"{BUNDLED}vendor/fonts/noto-sans-2.004/NotoSans-Regular.ttf")
    assert served.read()[:4] == b"\x00\x01\x00\x00"


def test_long_tables_repeat_their_header_on_every_page(merchant, english):
    period = month_period(2026, 11, merchant.time_zone)
    columns = [Column("n", "Row number", "int"), Column("amount", "Amount", "money")]
    rows = [{"n": n, "amount": n * 100} for n in range(1, 151)]
    report = Report(
        variant="long",
        title="Long",
        merchant_name=merchant.display_name,
        shops_label="All shops",
        period=period,
        test=False,
        generated_at=period.start,
        sections=[Section(currency="AMD", columns=columns, rows=rows)],
    )
    reader, _text_all = _text(render_pdf(report))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        assert "Row number" in page.extract_text()
    assert "150.00" in reader.pages[-1].extract_text()
