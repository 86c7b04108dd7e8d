"""«Сверка расчетов» in a real browser: the balance lines, the daily settlements with their
payout reference, a drill-down, in Russian and on a phone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from merchants.models import Tariff, TariffAcceptance, TariffRate
from settlements.models import Payout
from settlements.services import payout_mark_paid, settle
from tests.factories import PASSWORD, ShopFactory
from tests.settlements.conftest import paid, refund

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_the_reconciliation_page(
    browser, live_server, screenshot_dir, http_cookies, owner, merchant, staff
):
    tariff = Tariff.objects.create(name="Standard", version=91, published_at=timezone.now())
    TariffRate.objects.create(tariff=tariff, method="card", percent=Decimal("2.5"), min_fee=10000)
    TariffAcceptance.objects.create(merchant=merchant, tariff=tariff, accepted_by=owner)
    shop = ShopFactory(merchant=merchant, name="Գրքեր Books", is_open=True, live_mode=True)
    first = paid(shop, datetime(2026, 11, 2, 8, tzinfo=UTC), amount=12_500_000, order_id="A-100")
    paid(shop, datetime(2026, 11, 3, 8, tzinfo=UTC), amount=4_990_000, order_id="A-101")
    refund(first, datetime(2026, 11, 3, 9, tzinfo=UTC), amount=2_000_000)
    settle(now=datetime(2026, 11, 4, 8, tzinfo=UTC))
    payout_mark_paid(
        payout=Payout.objects.get(),
        reference="AMERIA-2026-1104",
        paid_on=date(2026, 11, 4),
        staff=staff,
    )
    paid(shop, datetime(2026, 11, 5, 8, tzinfo=UTC), amount=7_000_000, order_id="A-102")
    settle(now=datetime(2026, 11, 6, 8, tzinfo=UTC))

    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = context.new_page()
    watch_console(page, violations)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")

    page.goto(live_server.url + "/reconciliation/?first=2026-11-01&last=2026-11-10&currency=AMD")
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_text("AMERIA-2026-1104").first).to_be_visible()
    expect(page.locator(".recon-days tbody tr")).to_have_count(3)
    page.screenshot(path=str(screenshot_dir / "reconciliation-01-ru.png"), full_page=True)

    page.locator(".recon-lines a").first.click()
    expect(page.locator(".recon-line tbody tr")).to_have_count(3)
    page.screenshot(path=str(screenshot_dir / "reconciliation-02-line.png"), full_page=True)

    page.goto(live_server.url + "/reconciliation/?first=2026-11-10&last=2026-11-01&currency=AMD")
    expect(page.locator(".alert-danger")).to_be_visible()

    page.goto(live_server.url + "/reconciliation/?first=2026-11-01&last=2026-11-10&currency=AMD")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "reconciliation-03-phone.png"), full_page=True)
    assert violations == []
