"""An export job's page in a real browser: the progress bar follows the job, the download
appears when the file is ready, an expired export says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from exports.models import ExportJob
from exports.services import export_job_run
from tests.exports.conftest import make_payments
from tests.factories import PASSWORD, ShopFactory

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _sign_in(page, base: str, owner) -> None:
    page.goto(base + "/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_export_page_follows_the_job_to_its_download(
    browser, live_server, screenshot_dir, http_cookies, owner, merchant, language, tmp_path
):
    shop = ShopFactory(merchant=merchant, name="Books", is_open=True)
    make_payments(shop, 30)
    job = ExportJob.objects.create(
        merchant=merchant,
        user=owner,
        format="xlsx",
        params="mode=test",
        file_name="payments-test-2026-03-02-0915.xlsx",
        rows_total=30,
        rows_done=12,
    )
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    page = context.new_page()
    watch_console(page, violations)
    _sign_in(page, live_server.url, owner)
    if language == "en":
        page.locator("form.language-switch button[value=en]").click()
        page.wait_for_load_state()

    url = f"{live_server.url}/exports/{job.public_id}/"
    page.goto(url)
    bar = page.locator("progress[data-export-bar]")
    expect(bar).to_have_attribute("value", "40")
    page.screenshot(path=screenshot_dir / f"export-running-{language}.png", full_page=True)

    export_job_run(job_id=job.pk)  # the worker's part, done here
    download_link = page.locator("[data-export-download]")
    expect(download_link).to_be_visible(timeout=10_000)
    assert bar.evaluate("el => el.value") == 100
    page.screenshot(path=screenshot_dir / f"export-done-{language}.png", full_page=True)

    with page.expect_download() as info:
        download_link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == job.file_name
    assert load_workbook(saved).active.max_row == 31

    phone = browser.new_context(viewport=PHONE, locale="en-US")
    phone.add_cookies(context.cookies())
    phone_page = phone.new_page()
    phone_page.goto(url)
    phone_page.screenshot(path=screenshot_dir / f"export-done-phone-{language}.png", full_page=True)
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page.goto(url)
    expect(page.locator("#export-state")).to_be_visible()
    assert page.locator("[data-export-download]").count() == 0
    page.screenshot(path=screenshot_dir / f"export-expired-{language}.png", full_page=True)
    # The expired page answers 410 Gone, which the console reports; nothing else may appear.
    assert [v for v in violations if "410" not in v] == []
    phone.close()
    context.close()


def test_export_buttons_on_the_list_download_the_filtered_payments(
    browser, live_server, screenshot_dir, http_cookies, owner, merchant, tmp_path
):
    shop = ShopFactory(merchant=merchant, name="Books", is_open=True)
    make_payments(shop, 18)
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    page = context.new_page()
    violations: list[str] = []
    watch_console(page, violations)
    _sign_in(page, live_server.url, owner)
    page.locator("form.language-switch button[value=en]").click()
    page.wait_for_load_state()
    page.goto(live_server.url + "/transactions/?mode=test&status=succeeded&status=declined")
    buttons = page.locator("form.tx-export")
    expect(buttons).to_be_visible()
    page.screenshot(path=screenshot_dir / "export-buttons-en.png")
    with page.expect_download() as info:
        buttons.get_by_role("button", name="XLSX").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    ws = load_workbook(saved).active
    statuses = {row[5] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert statuses == {"Paid", "Declined"}
    assert ws.max_row - 1 == 4  # 18 payments cycle through 9 statuses: 2 of each

    phone = browser.new_context(viewport=PHONE, locale="en-US")
    phone.add_cookies(context.cookies())
    phone_page = phone.new_page()
    phone_page.goto(live_server.url + "/transactions/?mode=test")
    phone_page.screenshot(path=screenshot_dir / "export-buttons-phone-en.png")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert violations == []
    phone.close()
    context.close()
