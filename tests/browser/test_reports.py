"""«Отчеты» in a real browser: choose a report, click a format icon, get the file; tick
several and get one ZIP; a month in the future is refused on the same form."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ShopFactory
from tests.reports.conftest import paid, refunded

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _sign_in(page, live_server, owner) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")


def test_download_a_report_and_a_zip_of_several(
    browser, live_server, screenshot_dir, http_cookies, owner, merchant
):
    zone = ZoneInfo(merchant.time_zone)
    today = datetime.now(zone)
    books = ShopFactory(merchant=merchant, name="Գրքեր", is_open=True, live_mode=True)
    ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True)
    first = today.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    payment = paid(books, first, 12_500_00)
    paid(books, first + timedelta(hours=1), 3_000_00, "USD")
    refunded(payment, first + timedelta(hours=2), 2_500_00)
    month = f"{today:%Y-%m}"

    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU", accept_downloads=True)
    page = context.new_page()
    watch_console(page, violations)
    _sign_in(page, live_server, owner)

    page.locator(".site-nav a[href='/reports/']").click()
    page.wait_for_url("**/reports/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("input[name=month]")).to_have_value(month)
    # The dram sign and Armenian names come from the shipped font, whatever the system has.
    assert page.evaluate(
        "document.fonts.ready.then(() => document.fonts.check('16px \"Inecopay Armenian\"', '֏'))"
    )
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.includes('Inecopay Armenian') && f.status === 'loaded')"
    )
    page.screenshot(path=str(screenshot_dir / "reports-01-page-ru.png"), full_page=True)

    page.locator("select[name=shop]").select_option(label="Գրքեր")
    with page.expect_download() as download_info:
        page.locator("button[name=file][value='by-days:pdf']").click()
    download = download_info.value
    assert download.suggested_filename == f"inecopay-by-days-{month}.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"

    page.locator("input[name=files][value='by-days:xlsx']").check()
    page.locator("input[name=files][value='by-months:csv']").check()
    with page.expect_download() as download_info:
        page.locator("button[name=zip]").click()
    download = download_info.value
    assert download.suggested_filename == f"inecopay-reports-{month}_{today.year}.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes())) as archive:
        assert archive.namelist() == [
            f"inecopay-by-days-{month}.xlsx",
            f"inecopay-by-months-{today.year}.csv",
        ]
        text = archive.read(f"inecopay-by-months-{today.year}.csv").decode("utf-8-sig")
        assert "12500,00" in text and "2500,00" in text and "3000,00" in text

    # A month that has not begun: the same form, values kept, the reason shown.
    after = (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m")
    page.locator("input[name=month]").fill(after)
    page.locator("button[name=file][value='by-days:csv']").click()
    page.wait_for_load_state()
    expect(page.locator("input[name=month]")).to_have_value(after)
    expect(page.locator("input[name=month]")).to_have_class("form-control is-invalid")
    expect(page.locator("select[name=shop] option:checked")).to_have_text("Գրքեր")
    expect(page.locator("input[name=files][value='by-days:xlsx']")).to_be_checked()
    page.screenshot(path=str(screenshot_dir / "reports-02-error-ru.png"), full_page=True)

    page.goto(live_server.url + "/reports/")
    page.locator("form.language-switch button[value=en]").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Reports", exact=True).first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "reports-03-page-en.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "reports-04-page-phone.png"), full_page=True)
    context.close()
    # The refused month is answered with a 400 page, which the console reports as an error.
    assert [v for v in violations if "status of 400" not in v] == []
