"""The trust suite, part 1: the whole journey in one headless Chromium scenario, in Russian
and in English.

A visitor signs up from the landing page and activates the account (email link, company,
SMS code, website check against a local site, tariffs); adds a shop and submits Section 1
with a local receiver as its result URL; uploads the documents. Staff sign in to the admin
with a TOTP code and approve the documents and the shop. The merchant creates a test key
and a webhook signing secret in the portal; the test creates two payments through the API
on the live server; a buyer pays one with the success card and is declined on the other;
the webhooks reach the receiver signed. The merchant sees both in «Последние платежи»,
refunds part of one, downloads the by-days report as PDF and XLSX, subscribes an
accountant who confirms from the email, the scheduler runs on a real Celery worker and the
report email arrives with both files; «Сверка расчетов» balances.

Each step saves var/screenshots/journey-<lang>-NN-<step>.png (a CI artifact).
"""

from __future__ import annotations

import pytest
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  registers celery.ping
from celery.contrib.testing.worker import start_worker

from inecopay.celery import app
from tests.payments.test_webhooks import Receiver

from . import journey_steps as steps

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def worker(transactional_db, settings):
    """A real Celery worker on the configured broker (Redis in CI) for the whole journey:
    webhook deliveries and report sendings queued by the live server go through it.
    Stopped before the database is flushed."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    # Tasks a broken earlier run left in the queue would reach rows that are gone.
    app.control.purge()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=True):
        yield


@pytest.fixture
def receiver():
    with Receiver([]) as receiver:
        yield receiver


@pytest.fixture
def journey(
    request,
    browser,
    live_server,
    screenshot_dir,
    http_cookies,
    settings,
    tariff,
    shop_site,
    receiver,
    worker,
):
    # Links in emails (the activation, the subscription's confirmation) and the API's
    # payment_url point at the live server.
    settings.SITE_URL = live_server.url
    shop_site.serve("/paid", "<!doctype html><h1>Thank you: the order is paid</h1>")
    shop_site.serve("/failed", "<!doctype html><h1>The payment did not go through</h1>")
    shop_site.serve("/favicon.ico", b"")
    journey = steps.Journey(
        browser=browser,
        lang=request.param,
        base_url=live_server.url,
        site=shop_site,
        receiver=receiver,
        screenshot_dir=screenshot_dir,
    )
    yield journey
    journey.close()


@pytest.mark.parametrize("journey", ["ru", "en"], indirect=True)
def test_the_whole_journey(journey, staff):
    j = journey
    steps.open_landing_and_choose_language(j)
    steps.sign_up(j)
    steps.confirm_email_from_the_activation_email(j)
    steps.fill_in_company(j)
    steps.confirm_phone_with_the_sms_code(j)
    steps.verify_the_website(j)
    steps.accept_the_tariffs(j)

    steps.add_shop(j)
    steps.fill_in_and_submit_section_1(j)
    steps.upload_documents(j)

    admin = steps.staff_signs_in_with_totp(j, staff)
    steps.staff_approves_documents(j, admin)
    steps.staff_confirms_the_shop(j, admin)
    steps.open_the_shop(j)

    steps.create_test_api_key(j)
    steps.create_webhook_signing_secret(j)
    paid = steps.create_payment_through_the_api(
        j,
        order_id=f"J-{j.lang}-1",
        amount=steps.PAID,
        payment_methods=["card", "idram"],
        expires_in=600,
        delivery={"enabled": True},
    )
    steps.buyer_pays_with_the_success_card(j, paid)
    declined = steps.create_payment_through_the_api(
        j, order_id=f"J-{j.lang}-2", amount=steps.DECLINED, expires_in=600
    )
    steps.buyer_is_declined_with_the_decline_card(j, declined)
    steps.webhooks_arrive_signed(j)

    steps.see_both_payments_in_latest_payments(j)
    steps.refund_part_of_the_paid_payment(j)
    steps.refund_webhook_arrives(j)
    steps.download_by_days_reports(j)

    steps.subscribe_the_accountant(j)
    steps.accountant_confirms_from_the_email(j)
    steps.scheduler_sends_the_report(j)

    steps.reconciliation_balances(j)
    assert j.violations == [], j.failed_requests
