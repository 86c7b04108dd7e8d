"""The hosted form against card testing: a payment allows PAYFORM_CARD_ATTEMPTS failed
card attempts and is then declined; a client address has a budget of failed card
attempts across payments (PAYFORM_IP_RATE_LIMIT)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from tests.payments.test_form import SUCCEEDS, _card, _payment, _url
from transactions.models import Payment

pytestmark = pytest.mark.django_db

Status = Payment.Status
# Luhn-valid, but not a test card: the sandbox refuses it, as an acquirer refuses a bad card.
NOT_A_TEST_CARD = "5555 5555 5555 4444"


def _buyer(ip: str = "203.0.113.7", **headers: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip, **headers)


def test_five_failed_card_attempts_decline_the_payment_with_a_clear_message(shop):
    buyer = _buyer()
    payment = _payment(shop)
    for attempt in range(1, 5):
        response = buyer.post(_url(payment), _card(NOT_A_TEST_CARD))
        assert response.status_code == 200
        page = response.content.decode()
        assert "use one of the test cards" in page
        warned = "more unsuccessful card attempt" in page
        assert warned == (attempt >= 3)
    assert "1 more unsuccessful card attempt and this payment will be locked" in page
    payment.refresh_from_db()
    assert payment.status == Status.PENDING

    fifth = buyer.post(_url(payment), _card(NOT_A_TEST_CARD))
    assert fifth["Location"] == _url(payment)
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED
    declined = payment.events.get(to_status=Status.DECLINED)
    assert declined.data == {"decline_code": "too_many_attempts"}
    assert declined.reason == "5 failed card attempts"

    page = buyer.get(_url(payment)).content.decode()
    assert "Too many unsuccessful card attempts" in page
    # A good card changes nothing now.
    buyer.post(_url(payment), _card(SUCCEEDS))
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED


def test_invalid_card_details_count_but_a_missing_number_does_not(shop, settings):
    settings.PAYFORM_CARD_ATTEMPTS = 2
    buyer = _buyer()
    payment = _payment(shop)
    for _n in range(3):
        buyer.post(_url(payment), _card(""))
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    buyer.post(_url(payment), _card("4242 4242 4242 4241"))  # Luhn typo
    buyer.post(_url(payment), _card(SUCCEEDS, cvc="1"))
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED


def test_the_attempt_limit_is_per_payment(shop, settings):
    settings.PAYFORM_CARD_ATTEMPTS = 2
    buyer = _buyer()
    first, second = _payment(shop), _payment(shop, order_id="A-1002")
    buyer.post(_url(first), _card(NOT_A_TEST_CARD))
    buyer.post(_url(second), _card(NOT_A_TEST_CARD))
    response = buyer.post(_url(second), _card(SUCCEEDS))
    assert response.status_code == 302
    for payment, status in ((first, Status.PENDING), (second, Status.SUCCEEDED)):
        payment.refresh_from_db()
        assert payment.status == status


def test_an_address_over_its_budget_is_refused_across_payments_until_the_window_ends(
    shop, settings
):
    settings.PAYFORM_IP_RATE_LIMIT = (3, 3600)
    tester = _buyer("203.0.113.9")
    for n in range(3):
        tester.post(_url(_payment(shop, order_id=f"T-{n}")), _card(NOT_A_TEST_CARD))

    target = _payment(shop, order_id="T-9")
    response = tester.post(_url(target), _card(SUCCEEDS))
    assert response.status_code == 429
    assert "Too many unsuccessful card attempts from your network" in response.content.decode()
    target.refresh_from_db()
    assert target.status == Status.PENDING
    # The page itself still opens, and another address pays.
    assert tester.get(_url(target)).status_code == 200
    assert _buyer("198.51.100.4").post(_url(target), _card(SUCCEEDS)).status_code == 302
    target.refresh_from_db()
    assert target.status == Status.SUCCEEDED

    later = timezone.now() + timedelta(hours=1)
    fresh = _payment(shop, order_id="T-10", expires_in=7 * 86400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert tester.post(_url(fresh), _card(SUCCEEDS)).status_code == 302


def test_behind_the_tls_proxy_the_forwarded_address_counts(shop, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.PAYFORM_IP_RATE_LIMIT = (1, 3600)
    via_proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_PROTO": "https"}
    first = Client(HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.20", **via_proxy)
    other = Client(HTTP_X_FORWARDED_FOR="203.0.113.21", **via_proxy)
    payment = _payment(shop)
    first.post(_url(payment), _card(NOT_A_TEST_CARD), secure=True)
    assert first.post(_url(payment), _card(SUCCEEDS), secure=True).status_code == 429
    assert other.post(_url(payment), _card(SUCCEEDS), secure=True).status_code == 302


def test_the_address_limit_can_be_switched_off(shop, settings):
    settings.PAYFORM_IP_RATE_LIMIT = None
    buyer = _buyer()
    for n in range(6):
        buyer.post(_url(_payment(shop, order_id=f"O-{n}")), _card(NOT_A_TEST_CARD))
    last = _payment(shop, order_id="O-last")
    assert buyer.post(_url(last), _card(SUCCEEDS)).status_code == 302
