"""«Подписка на отчеты» in a real browser: from the Reports tab, add a subscription through
the form (a refusal first, with what was typed kept), see it on the list on a desktop and a
phone, and confirm it from the emailed link without signing in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from subscriptions.models import ReportSubscription
from tests.factories import PASSWORD, ShopFactory

from .conftest import watch_console

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _sign_in(page, live_server, user) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/dashboard/")


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_add_a_subscription_and_confirm_it_from_the_email(
    browser, live_server, screenshot_dir, http_cookies, settings, owner, merchant
):
    settings.SITE_URL = live_server.url
    ShopFactory(merchant=merchant, name="Գրքեր", is_open=True, live_mode=True)
    ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True)

    violations: list[str] = []
    context = browser.new_context(viewport=DESKTOP, locale="ru-RU")
    page = context.new_page()
    watch_console(page, violations)
    _sign_in(page, live_server, owner)

    # The Reports section's second tab.
    page.locator(".site-nav a[href='/reports/']").click()
    page.wait_for_url("**/reports/")
    expect(page.locator(".report-tabs .nav-link.active")).to_have_attribute("href", "/reports/")
    page.screenshot(path=str(screenshot_dir / "subscriptions-00-reports-tabs-ru.png"))
    page.locator(".report-tabs a[href='/reports/subscriptions/']").click()
    page.wait_for_url("**/reports/subscriptions/")
    expect(page.locator(".subs-empty")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "subscriptions-01-empty-ru.png"), full_page=True)

    # A periodic subscription without a report: refused, the typed values kept.
    page.locator(".subs-empty a.btn-primary").click()
    page.wait_for_url("**/reports/subscriptions/add/")
    page.locator("input[name=email]").fill("Accountant@Example.am")
    page.locator("input[name=frequency][value=weekly]").check()
    page.locator("input[name=send_time]").fill("08:30")
    page.locator("input[name=formats][value=pdf]").check()
    page.get_by_label("Գրքեր").check()
    page.locator(".subs-form-actions button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".subs-errors")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value("Accountant@Example.am")
    expect(page.locator("input[name=frequency][value=weekly]")).to_be_checked()
    expect(page.locator("input[name=send_time]")).to_have_value("08:30")
    expect(page.locator("input[name=formats][value=pdf]")).to_be_checked()
    expect(page.get_by_label("Գրքեր")).to_be_checked()
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    assert ReportSubscription.objects.count() == 0
    page.screenshot(path=str(screenshot_dir / "subscriptions-02-form-error-ru.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert _fits_the_phone(page)
    page.screenshot(
        path=str(screenshot_dir / "subscriptions-03-form-error-phone.png"), full_page=True
    )
    page.set_viewport_size(DESKTOP)

    page.locator("input[name=variants][value=by-days]").check()
    page.locator("input[name=formats][value=xlsx]").check()
    page.locator(".subs-form-actions button[type=submit]").click()
    page.wait_for_url("**/reports/subscriptions/")
    card = page.locator(".subs-card")
    expect(card).to_have_count(1)
    expect(card.locator(".subs-email")).to_have_text("accountant@example.am")
    expect(card.locator(".subs-badge-pending")).to_be_visible()
    expect(card).to_contain_text("Գրքեր")
    subscription = ReportSubscription.objects.get()
    assert subscription.status == ReportSubscription.Status.PENDING
    assert subscription.language == "ru"

    # The recipient opens the emailed link in a browser where nobody is signed in.
    [message] = mail.outbox
    link = re.search(r"https?://\S+/reports/subscriptions/confirm/\S+/", message.body)[0]
    assert link.startswith(settings.SITE_URL)
    recipient = browser.new_context(viewport=PHONE, locale="ru-RU")
    visitor = recipient.new_page()
    watch_console(visitor, violations)
    visitor.goto(link)
    expect(visitor.locator(".site-nav")).to_have_count(0)
    expect(visitor.locator(".subs-public")).to_be_visible()
    assert _fits_the_phone(visitor)
    visitor.screenshot(
        path=str(screenshot_dir / "subscriptions-04-confirm-phone.png"), full_page=True
    )
    visitor.locator(".subs-public button[type=submit]").click()
    visitor.wait_for_load_state()
    expect(visitor.locator("h1")).to_be_visible()
    visitor.screenshot(
        path=str(screenshot_dir / "subscriptions-05-confirmed-phone.png"), full_page=True
    )
    recipient.close()
    subscription.refresh_from_db()
    assert subscription.status == ReportSubscription.Status.ACTIVE
    assert subscription.next_run_at is not None

    # Two more, in the other states a list shows: paused by failures, and awaiting.
    paused = ReportSubscription.objects.create(
        merchant=merchant,
        email="director.with.a.rather.long.address@example-holding-company.am",
        frequency="monthly",
        variants=["statement", "by-months"],
        formats=["pdf", "xlsx", "csv"],
        status=ReportSubscription.Status.PAUSED,
        paused_reason="Paused after 5 failed sendings in a row.",
        last_error="550 5.1.1 The email account that you tried to reach does not exist.",
        last_error_at=subscription.confirmed_at,
        last_sent_at=subscription.confirmed_at,
    )
    ReportSubscription.objects.create(
        merchant=merchant,
        email="ops@example.am",
        frequency="each_payment",
        test=True,
        confirmation_sent_at=subscription.confirmed_at,
    )
    page.reload()
    expect(page.locator(".subs-card")).to_have_count(3)
    expect(page.locator(f"#{subscription.public_id} .subs-badge-active")).to_be_visible()
    expect(page.locator(f"#{paused.public_id} .subs-error")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "subscriptions-06-list-ru.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert _fits_the_phone(page)
    page.screenshot(path=str(screenshot_dir / "subscriptions-07-list-phone.png"), full_page=True)

    page.set_viewport_size(DESKTOP)
    page.locator("form.language-switch button[value=en]").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Report subscriptions")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "subscriptions-08-list-en.png"), full_page=True)
    context.close()
    # The refused form is answered with a 400 page, which the console reports as an error.
    assert [v for v in violations if "status of 400" not in v] == []
