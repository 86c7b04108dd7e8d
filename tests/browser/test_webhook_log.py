"""The shop's Webhooks tab in a real browser: send a test webhook, see its attempts, resend."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from payments.models import WebhookDelivery
from payments.webhooks import webhook_delivery_attempt
from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import PASSWORD, ShopFactory
from tests.payments.test_webhooks import Receiver, _verify

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_send_a_test_webhook_see_attempts_and_resend(
    browser, live_server, screenshot_dir, http_cookies, settings, owner, merchant
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    violations: list[str] = []
    with Receiver([500, 200]) as receiver:
        shop = ShopFactory(merchant=merchant, name="Books", webhook_url=receiver.url)
        _key, secret = api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)
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

        log_url = f"{live_server.url}/shops/{shop.pk}/webhooks/"
        page.goto(log_url)
        expect(page.get_by_text("No webhooks have been sent yet.")).to_be_visible()
        page.get_by_role("button", name="Send a test webhook").first.click()
        page.wait_for_url(log_url)
        delivery = WebhookDelivery.objects.get(shop=shop)
        assert delivery.type == "webhook.test"

        # The worker's job, done here: the receiver answers 500 first, then 200.
        webhook_delivery_attempt(delivery_id=delivery.pk)
        page.reload()
        page.get_by_role("button", name="Resend").first.click()
        page.wait_for_url(log_url)
        webhook_delivery_attempt(delivery_id=delivery.pk)
        assert len(receiver.requests) == 2
        for headers, body in receiver.requests:
            assert _verify(headers["Inecopay-Signature"], body, secret)

        page.reload()
        page.locator("details summary").first.click()
        rows = page.locator("details").first.locator("tbody tr")
        expect(rows).to_have_count(2)
        page.screenshot(path=str(screenshot_dir / "webhooks-01-log.png"), full_page=True)
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshot_dir / "webhooks-02-log-phone.png"), full_page=True)
    assert violations == []
