"""Payments moved through the real state machine at chosen moments, for report tests."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ShopFactory
from transactions import services
from transactions.models import Actor, Payment, Refund

YEREVAN = ZoneInfo("Asia/Yerevan")


def yerevan(*args) -> datetime:
    return datetime(*args, tzinfo=YEREVAN)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def paid(
    shop,
    moment: datetime,
    amount: int,
    currency: str = "AMD",
    *,
    test: bool = False,
    commission: int | None = None,
) -> Payment:
    """A payment created a minute before `moment` and paid at `moment`."""
    with at(moment - timedelta(minutes=1)):
        payment = services.payment_create(
            shop=shop, test=test, amount=amount, currency=currency, order_id=f"o-{moment:%s}"
        )
    # The commission is what settlements charges on success (no tariff here: 0), or the
    # given one as if the tariff said so.
    charged = (
        mock.patch("settlements.ledger.commission_for", return_value=commission)
        if commission is not None
        else contextlib.nullcontext()
    )
    with at(moment), charged:
        services.payment_transition(
            payment=payment, to=Payment.Status.PROCESSING, actor=Actor.SYSTEM
        )
        services.payment_transition(
            payment=payment, to=Payment.Status.SUCCEEDED, actor=Actor.SYSTEM
        )
    payment.refresh_from_db()
    return payment


def refunded(payment: Payment, moment: datetime, amount: int) -> Refund:
    with at(moment):
        refund = services.refund_create(payment=payment, amount=amount)
    # The model's default took the real clock, not the patched one.
    Refund.objects.filter(pk=refund.pk).update(created_at=moment)
    return refund


@pytest.fixture
def shop(merchant):
    return ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True)


@pytest.fixture
def other_shop(merchant):
    return ShopFactory(merchant=merchant, name="Գրքեր", is_open=True, live_mode=True)


@pytest.fixture
def november(merchant, shop, other_shop):
    """A month of payments in two shops and two currencies, with the edge cases."""
    early = paid(shop, yerevan(2026, 10, 28, 12, 0), 700_00)  # October, refunded in November
    first = paid(shop, yerevan(2026, 11, 1, 0, 30), 1_000_00)  # 20:30 UTC on 31 October
    third = paid(shop, yerevan(2026, 11, 3, 10, 0), 1_500_00, commission=30_00)
    paid(other_shop, yerevan(2026, 11, 3, 11, 0), 250_00, commission=5_00)
    paid(shop, yerevan(2026, 11, 15, 23, 30), 2_000_00)  # 19:30 UTC, still the 15th
    paid(shop, yerevan(2026, 11, 5, 9, 0), 10_00, "USD", commission=1)
    paid(shop, yerevan(2026, 11, 3, 12, 0), 999_00, test=True)  # never in a live report
    paid(shop, yerevan(2026, 12, 1, 0, 30), 4_000_00)  # 20:30 UTC on 30 November: December
    refunded(third, yerevan(2026, 11, 20, 9, 0), 500_00)  # a later day than its payment
    refunded(early, yerevan(2026, 11, 2, 9, 0), 700_00)
    refunded(first, yerevan(2026, 12, 1, 0, 10), 100_00)  # December
    return first
