from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from merchants.models import Tariff, TariffAcceptance, TariffRate
from tests.factories import ShopFactory
from transactions import services
from transactions.models import Actor, Payment

Status = Payment.Status


@pytest.fixture
def tariff(db):
    tariff = Tariff.objects.create(
        name="Test", version=90, published_at=timezone.now(), refund_returns_commission=True
    )
    TariffRate.objects.create(
        tariff=tariff, method="card", percent=Decimal("2.50"), fixed_fee=0, min_fee=10000
    )
    TariffRate.objects.create(
        tariff=tariff, method="idram", percent=Decimal("2.00"), fixed_fee=5000, min_fee=0
    )
    return tariff


@pytest.fixture
def live_shop(merchant, owner, tariff):
    TariffAcceptance.objects.create(merchant=merchant, tariff=tariff, accepted_by=owner)
    return ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def paid(shop, moment: datetime, amount: int = 100000, method: str = "card", **kw) -> Payment:
    """A live payment paid at `moment`."""
    with at(moment):
        payment = services.payment_create(
            shop=shop,
            test=False,
            amount=amount,
            currency=kw.pop("currency", "AMD"),
            order_id=kw.pop("order_id", "o-1"),
        )
        services.payment_transition(
            payment=payment,
            to=Status.PROCESSING,
            actor=Actor.FORM,
            fields={"method": method, "card_brand": "visa", "card_last4": "4242"},
        )
        services.payment_transition(payment=payment, to=Status.SUCCEEDED, actor=Actor.FORM)
    payment.refresh_from_db()
    return payment


def refund(payment: Payment, moment: datetime, amount: int | None = None):
    with at(moment):
        return services.refund_create(payment=payment, amount=amount, actor=Actor.USER)
