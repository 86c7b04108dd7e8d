"""«Последние платежи» and a payment's page in a real browser: filters, legend, pages,
a confirmed partial refund, on a desktop and a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD, ShopFactory
from tests.transactions.helpers import Status, make_payment
from transactions.models import Refund

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _history(merchant):
    books = ShopFactory(merchant=merchant, name="Books", is_open=True)
    music = ShopFactory(merchant=merchant, name="Music", is_open=True)
    now = timezone.now()
    fates = [
        Status.SUCCEEDED,
        Status.DECLINED,
        Status.PENDING,
        Status.SUCCEEDED,
        Status.PARTIALLY_REFUNDED,
        Status.REFUNDED,
        Status.EXPIRED,
        Status.CANCELLED,
        Status.CHARGEBACK,
        Status.PROCESSING,
    ]
    payments = []
    for n in range(56):
        payments.append(
            make_payment(
                books if n % 3 else music,
                now - timedelta(hours=n * 5, minutes=n),
                status=fates[n % len(fates)],
                currency="USD" if n % 7 == 0 else "AMD",
                amount=1000 + n * 123457,
                order_id=f"A-{1000 + n}",
                customer_email="buyer@example.am",
                metadata={"cart": f"c-{n}"},
            )
        )
    return payments


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_list_filters_legend_pages_detail_and_refund(
    browser, live_server, screenshot_dir, http_cookies, owner, merchant
):
    payments = _history(merchant)
    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    watch_console(page, violations)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(owner.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")
    page.locator("form.language-switch button[value=en]").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="Transactions").first.click()
    page.wait_for_url("**/transactions/")
    expect(page.get_by_role("heading", name="Latest payments")).to_be_visible()
    expect(page.locator("tr.tx-row")).to_have_count(50)
    expect(page.locator(".tx-totals")).to_contain_text("56 payments")

    # Older page and back.
    page.locator("a[rel=next]").click()
    expect(page.locator("tr.tx-row")).to_have_count(6)
    page.locator("a[rel=prev]").click()
    expect(page.locator("tr.tx-row")).to_have_count(50)

    # Filters: two statuses and a shop, in the URL.
    page.locator(".tx-filters > summary").click()
    page.locator(".tx-legend > summary").click()
    page.get_by_label("Paid", exact=True).check()
    page.get_by_label("Declined", exact=True).check()
    page.get_by_label("Books", exact=True).check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**status=succeeded**")
    assert "status=declined" in page.url and "shop=" in page.url
    expected = [
        p for p in payments if p.status in ("succeeded", "declined") and p.shop.name == "Books"
    ]
    expect(page.locator("tr.tx-row")).to_have_count(len(expected))
    page.locator(".tx-legend > summary").click()
    expect(page.locator(".tx-legend-list")).to_be_visible()
    badge = page.locator("tr.tx-row .tx-status").first
    assert badge.get_attribute("title")
    page.screenshot(path=str(screenshot_dir / "transactions-01-list-filters.png"), full_page=True)

    # A bad date: the page still renders and says what was ignored.
    page.goto(live_server.url + "/transactions/?mode=test&from=2026-02-31&amount_min=abc")
    expect(page.locator(".tx-errors")).to_contain_text("is not a date like")
    expect(page.locator(".tx-errors")).to_contain_text("is not an amount")
    page.screenshot(path=str(screenshot_dir / "transactions-02-list-bad-input.png"))

    # A paid payment's page: refund part of it with confirmation.
    paid = next(p for p in payments if p.status == "succeeded" and p.currency == "AMD")
    page.goto(live_server.url + "/transactions/")
    page.locator("#tx-q").fill(paid.order_id)
    page.locator("#tx-q").press("Enter")
    expect(page.locator("tr.tx-row")).to_have_count(1)
    page.get_by_role("link", name=paid.order_id).click()
    page.wait_for_url(f"**/transactions/{paid.public_id}/")
    expect(page.locator(".tx-timeline .tx-event").first).to_be_visible()
    page.locator("input[name=amount]").fill("99999999")
    page.get_by_role("button", name="Refund…").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("exceeds what remains")
    # The refused form answers 400 on purpose; the browser logs that as an error.
    violations[:] = [v for v in violations if "status of 400" not in v]
    page.locator("input[name=amount]").fill("10.50")
    page.locator("input[name=reason]").fill("one book damaged")
    page.get_by_role("button", name="Refund…").click()
    expect(page.get_by_role("heading", name="Confirm the refund")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "transactions-03-refund-confirm.png"))
    page.get_by_role("button", name="Refund", exact=True).click()
    page.wait_for_url(f"**/transactions/{paid.public_id}/")
    expect(page.locator(".alert-success")).to_contain_text("10.50 AMD")
    assert Refund.objects.get(payment=paid).amount == 1050
    page.screenshot(path=str(screenshot_dir / "transactions-04-detail.png"), full_page=True)

    # Phone width: no sideways scrolling on the list or the payment.
    page.set_viewport_size(PHONE)
    _no_horizontal_scroll(page)
    page.screenshot(path=str(screenshot_dir / "transactions-05-detail-phone.png"), full_page=True)
    page.goto(live_server.url + "/transactions/?mode=test")
    page.locator(".tx-filters > summary").click()
    _no_horizontal_scroll(page)
    page.screenshot(path=str(screenshot_dir / "transactions-06-list-phone.png"), full_page=True)
    assert violations == []
