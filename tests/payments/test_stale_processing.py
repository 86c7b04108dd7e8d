"""Payments stuck in processing (a 3-D Secure step the buyer never finished) are declined
by a periodic task once PAYMENT_PROCESSING_TIMEOUT has passed, through the state machine."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import WebhookDelivery
from tests.payments.test_form import THREE_D_SECURE, _card, _payment, _url
from transactions import services
from transactions.models import Actor, Payment
from transactions.tasks import decline_stale_processing

pytestmark = pytest.mark.django_db

Status = Payment.Status


@pytest.fixture
def buyer() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _left_at_3ds(buyer: Client, shop) -> Payment:
    payment = _payment(shop)
    response = buyer.post(_url(payment), _card(THREE_D_SECURE))
    assert response["Location"] == _url(payment, "confirm/")
    payment.refresh_from_db()
    assert payment.status == Status.PROCESSING
    return payment


def _sweep_at(when) -> int:
    with mock.patch("django.utils.timezone.now", return_value=when):
        return decline_stale_processing.apply().get()


def test_an_abandoned_3ds_step_is_declined_after_the_timeout_and_the_buyer_told(
    buyer, shop, django_capture_on_commit_callbacks
):
    shop.webhook_url = "https://books.example.am/wh"
    shop.save()
    payment = _left_at_3ds(buyer, shop)
    started = payment.updated_at

    assert _sweep_at(started + timedelta(minutes=29)) == 0
    payment.refresh_from_db()
    assert payment.status == Status.PROCESSING

    with (
        mock.patch("payments.tasks.deliver_webhook.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert _sweep_at(started + timedelta(minutes=30, seconds=1)) == 1
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED
    event = payment.events.get(to_status=Status.DECLINED)
    assert (event.from_status, event.actor, event.reason) == (
        Status.PROCESSING,
        Actor.SYSTEM,
        "processing timed out",
    )
    assert event.data == {"decline_code": "processing_timeout"}
    assert WebhookDelivery.objects.filter(type="payment.declined", payment=payment).count() == 1

    # Run again: nothing more happens.
    assert _sweep_at(started + timedelta(hours=2)) == 0
    assert payment.events.filter(to_status=Status.DECLINED).count() == 1

    # The buyer coming back sees the outcome, not the confirmation step.
    buyer_page = buyer.get(_url(payment), follow=True)
    assert "not completed in time" in buyer_page.content.decode()
    confirm = buyer.post(_url(payment, "confirm/"), {"decision": "approve"})
    assert confirm["Location"] == _url(payment)
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED


def test_the_timeout_is_a_setting(buyer, shop, settings):
    settings.PAYMENT_PROCESSING_TIMEOUT = 5
    payment = _left_at_3ds(buyer, shop)
    assert _sweep_at(payment.updated_at + timedelta(minutes=6)) == 1
    payment.refresh_from_db()
    assert payment.status == Status.DECLINED


def test_a_payment_settled_before_the_sweep_is_left_alone(buyer, shop):
    payment = _left_at_3ds(buyer, shop)
    buyer.post(_url(payment, "confirm/"), {"decision": "approve"})
    assert _sweep_at(timezone.now() + timedelta(hours=1)) == 0
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


def test_the_sweep_rechecks_under_the_row_lock(buyer, shop):
    """Listed as stale, then settled by the buyer before its turn: not declined."""
    payment = _left_at_3ds(buyer, shop)
    later = timezone.now() + timedelta(hours=1)
    real_filter = Payment.objects.filter

    def listed_then_settled(*args, **kwargs):
        result = real_filter(*args, **kwargs)
        if kwargs.get("status") == Status.PROCESSING:
            ids = list(result.values_list("pk", flat=True))
            services.payment_transition(
                payment=payment, to=Status.SUCCEEDED, actor=Actor.FORM, reason="3ds approved"
            )
            return real_filter(pk__in=ids)
        return result

    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        mock.patch.object(Payment.objects, "filter", side_effect=listed_then_settled),
    ):
        assert services.payment_decline_stale_processing() == 0
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
