"""The hosted payment form in a real browser, as an anonymous buyer on a desktop and on a
390 px phone: test cards, the 3-D Secure step, an expired invoice, delivery fields and the
method subset, under the portal's strict Content-Security-Policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ShopFactory
from transactions import services
from transactions.models import Payment

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOP_ORIGIN = "https://books.example.am"
YEAR = (timezone.now().year + 3) % 100
Status = Payment.Status


@pytest.fixture
def shop(merchant):
    return ShopFactory(
        merchant=merchant,
        name="Ararat Books LLC",
        display_name="Ararat Books",
        is_open=True,
        success_url=f"{SHOP_ORIGIN}/paid",
        fail_url=f"{SHOP_ORIGIN}/failed",
    )


@pytest.fixture
def bare_shop(merchant):
    """No return URLs: the form shows the outcome itself."""
    return ShopFactory(merchant=merchant, display_name="Ararat Books", is_open=True)


def _payment(shop, **overrides) -> Payment:
    values = {
        "amount": 1250000,
        "currency": "AMD",
        "order_id": "A-1001",
        "description": "Two books about Yerevan",
        "language": "en",
    }
    return services.payment_create(shop=shop, test=True, **(values | overrides))


@pytest.fixture
def open_page(browser, live_server):
    """A fresh page at a viewport; requests to the shop's site are answered by a stub."""
    contexts = []
    violations: list[str] = []

    def open_(payment: Payment, viewport: dict = DESKTOP):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        watch_console(page, violations)
        page.route(
            f"{SHOP_ORIGIN}/**",
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<h1>Back at the shop</h1>"
            ),
        )
        page.goto(f"{live_server.url}/pay/{payment.form_token}/")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert violations == []


def _fill_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry date").fill(f"12{YEAR:02d}")
    page.get_by_label("CVC").fill("123")


def test_success_card_returns_to_the_shop(open_page, shop, screenshot_dir):
    payment = _payment(shop)
    page = open_page(payment)

    assert page.get_by_text("Ararat Books", exact=True).is_visible()
    assert page.get_by_text("Order A-1001").is_visible()
    assert page.locator(".payform-amount").inner_text().endswith("֏12,500.00")
    assert page.get_by_role("heading", name="Test mode: no money is charged").is_visible()
    # The countdown ticks.
    first = page.locator("[data-countdown-value]").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("[data-countdown-value]").inner_text() != first
    # Typing is grouped as on the card.
    page.get_by_label("Card number").press_sequentially("4242424242424242")
    assert page.get_by_label("Card number").input_value() == "4242 4242 4242 4242"
    page.get_by_label("Expiry date").press_sequentially(f"12{YEAR:02d}")
    assert page.get_by_label("Expiry date").input_value() == f"12/{YEAR:02d}"
    page.get_by_label("CVC").fill("123")
    page.screenshot(path=str(screenshot_dir / "payform-01-form-desktop.png"), full_page=True)

    page.get_by_role("button", name="Pay ֏12,500.00").click()
    page.wait_for_url(f"{SHOP_ORIGIN}/paid?payment_id={payment.public_id}")
    assert page.get_by_role("heading", name="Back at the shop").is_visible()
    payment.refresh_from_db()
    assert (payment.status, payment.card_last4) == (Status.SUCCEEDED, "4242")


def test_phone_layout_and_russian(open_page, shop, screenshot_dir):
    payment = _payment(shop, language="ru", delivery_enabled=True)
    page = open_page(payment, PHONE)

    assert page.locator("html").get_attribute("lang") == "ru"
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "payform-02-form-phone-ru.png"), full_page=True)


def test_decline_card_shows_the_outcome(open_page, bare_shop, screenshot_dir):
    payment = _payment(bare_shop)
    page = open_page(payment, PHONE)

    _fill_card(page, "4000 0000 0000 0002")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_selector("[data-state=declined]")

    assert page.get_by_role("heading", name="Payment declined").is_visible()
    assert page.get_by_text("insufficient funds").is_visible()
    page.screenshot(path=str(screenshot_dir / "payform-03-declined-phone.png"), full_page=True)
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED


def test_invalid_card_is_explained_next_to_the_fields(open_page, shop, screenshot_dir):
    payment = _payment(shop)
    page = open_page(payment, PHONE)

    page.get_by_label("Card number").fill("4242 4242 4242 4241")
    page.get_by_label("Expiry date").fill("01/20")
    page.get_by_label("CVC").fill("12")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_selector("#id_card_number-error")

    assert "typo" in page.locator("#id_card_number-error").inner_text()
    assert "expired" in page.locator("#id_expiry-error").inner_text()
    assert "3 digits" in page.locator("#id_cvc-error").inner_text()
    assert page.get_by_label("Card number").input_value() == ""
    assert page.get_by_label("Expiry date").input_value() == "01/20"
    page.screenshot(path=str(screenshot_dir / "payform-04-card-errors-phone.png"), full_page=True)


def test_three_d_secure_step(open_page, shop, bare_shop, screenshot_dir):
    payment = _payment(shop)
    page = open_page(payment, PHONE)

    _fill_card(page, "4000 0000 0000 3220")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/confirm/")
    assert page.get_by_role("heading", name="3-D Secure check").is_visible()
    page.screenshot(path=str(screenshot_dir / "payform-05-3ds-phone.png"), full_page=True)
    page.get_by_role("button", name="Pass the check").click()
    page.wait_for_url(f"{SHOP_ORIGIN}/paid?payment_id={payment.public_id}")
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED

    failing = _payment(bare_shop)
    page = open_page(failing)
    _fill_card(page, "4000 0000 0000 3220")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/confirm/")
    page.screenshot(path=str(screenshot_dir / "payform-06-3ds-desktop.png"), full_page=True)
    page.get_by_role("button", name="Fail the check").click()
    page.wait_for_selector("[data-state=declined]")
    assert page.get_by_text("3-D Secure check was not passed").is_visible()
    failing.refresh_from_db()
    assert failing.status == Status.DECLINED


def test_expired_invoice_shows_its_state(open_page, shop, screenshot_dir):
    payment = _payment(shop)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    page = open_page(payment, PHONE)

    assert page.get_by_role("heading", name="Time to pay has run out").is_visible()
    assert page.get_by_label("Card number").count() == 0
    page.screenshot(path=str(screenshot_dir / "payform-07-expired-phone.png"), full_page=True)
    page.get_by_role("link", name="Return to the shop").click()
    page.wait_for_url(f"{SHOP_ORIGIN}/failed?payment_id={payment.public_id}")
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED


def test_countdown_reaching_zero_shows_the_expired_state(open_page, shop):
    payment = _payment(shop)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() + timedelta(seconds=3))

    page = open_page(payment)

    page.wait_for_selector("[data-state=expired]", timeout=10000)
    payment.refresh_from_db()
    assert payment.status == Status.EXPIRED


def test_delivery_fields_on_and_off(open_page, bare_shop, screenshot_dir):
    with_delivery = _payment(bare_shop, delivery_enabled=True)
    page = open_page(with_delivery)

    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_selector("#id_recipient-error")
    assert page.locator(".payform-delivery .payform-error").count() == 3
    page.screenshot(path=str(screenshot_dir / "payform-08-delivery-errors.png"), full_page=True)
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_label("Recipient").fill("Anna Petrosyan")
    page.get_by_label("Delivery address").fill("Abovyan 1, Yerevan")
    page.get_by_label("Phone").fill("+374 10 123456")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_selector("[data-state=succeeded]")
    page.screenshot(path=str(screenshot_dir / "payform-09-paid.png"), full_page=True)
    with_delivery.refresh_from_db()
    assert with_delivery.delivery["recipient"] == "Anna Petrosyan"

    without = _payment(bare_shop, delivery_enabled=False)
    page = open_page(without)
    assert page.get_by_label("Recipient").count() == 0
    assert page.locator(".payform-delivery").count() == 0


def test_method_subset(open_page, shop, screenshot_dir):
    payment = _payment(shop, payment_methods=["card", "idram", "telcell"])
    page = open_page(payment, PHONE)

    radios = page.locator("input[name=method]")
    assert sorted(radios.evaluate_all("els => els.map(e => e.value)")) == [
        "card",
        "idram",
        "telcell",
    ]
    assert page.get_by_label("Card number").is_visible()
    page.get_by_text("Idram", exact=True).click()
    # The card fields step aside for a wallet.
    expect(page.get_by_label("Card number")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "payform-10-wallet-chosen-phone.png"), full_page=True)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/confirm/")
    assert page.get_by_role("heading", name="Confirm in Idram").is_visible()
    page.screenshot(
        path=str(screenshot_dir / "payform-11-wallet-confirm-phone.png"), full_page=True
    )
    page.get_by_role("button", name="Confirm payment").click()
    page.wait_for_url(f"{SHOP_ORIGIN}/paid?payment_id={payment.public_id}")
    payment.refresh_from_db()
    assert (payment.status, payment.method) == (Status.SUCCEEDED, "idram")

    wallet_only = _payment(shop, payment_methods=["telcell"])
    page = open_page(wallet_only)
    assert page.locator("input[name=method][type=radio]").count() == 0
    assert page.get_by_label("Card number").count() == 0
    assert page.get_by_text("Pay with Telcell").is_visible()
    page.screenshot(path=str(screenshot_dir / "payform-12-telcell-only.png"), full_page=True)
