from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import ShopFactory
from transactions.models import Payment

# Free text a buyer or a shop's code could send, which a spreadsheet would otherwise run.
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+7 900", "-1+2", "@SUM(A1:A9)"]


def make_payments(shop, count: int, *, test: bool = True, start: datetime | None = None):
    """`count` payments of every status, method and currency, one minute apart, written in
    one INSERT (exports read them; the state machine is not what is tested here)."""
    start = start or datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    statuses = list(Payment.Status.values)
    methods = ["card", "apple_pay", "idram", ""]
    currencies = ["AMD", "USD", "EUR", "RUB"]
    rows = []
    for i in range(count):
        status = statuses[i % len(statuses)]
        method = methods[i % len(methods)]
        created = start + timedelta(minutes=i)
        amount = 1_000 + i * 137
        rows.append(
            Payment(
                shop=shop,
                merchant=shop.merchant,
                test=test,
                status=status,
                amount=amount,
                currency=currencies[i % len(currencies)],
                order_id=FORMULAS[i % len(FORMULAS)] if i % 5 == 0 else f"{i:05d}",
                description=f"Заказ №{i}; «книги»" if i % 3 else "",
                expires_at=created + timedelta(minutes=15),
                method=method,
                card_brand="visa" if method == "card" else "",
                card_last4=f"{i % 10000:04d}" if method == "card" else "",
                refunded_amount=amount // 2 if status == "partially_refunded" else 0,
                created_at=created,
                succeeded_at=created + timedelta(seconds=30) if status == "succeeded" else None,
            )
        )
    return Payment.objects.bulk_create(rows)


@pytest.fixture
def shop(merchant):
    return ShopFactory(merchant=merchant, name="=Books", is_open=True)


@pytest.fixture
def payments(shop):
    return make_payments(shop, 23)
