"""Commission and ledger entries: rounding per method, refunds giving commission back,
chargebacks, and test payments kept out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from merchants.models import TariffRate
from settlements.ledger import commission_for
from settlements.models import LedgerEntry
from tests.settlements.conftest import at, paid, refund
from transactions import services
from transactions.models import Payment

pytestmark = pytest.mark.django_db

Kind = LedgerEntry.Kind
NOON = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "amount", "currency", "expected"),
    [
        ("card", 1_000_000, "AMD", 25_000),  # 2.5 %
        ("card", 1_000_020, "AMD", 25_001),  # 25 000.5 rounds half up
        ("card", 1_000_019, "AMD", 25_000),  # 25 000.475 rounds down
        ("card", 100_000, "AMD", 10_000),  # the minimum fee
        ("card", 5_000, "AMD", 5_000),  # never more than the payment
        ("card", 100_000, "USD", 2_500),  # fees in AMD do not apply to dollars
        ("idram", 100_000, "AMD", 7_000),  # 2 % plus the fixed 5 000
        ("telcell", 100_000, "AMD", 0),  # no rate for the method
    ],
)
def test_commission_rounding_per_method(tariff, method, amount, currency, expected):
    assert (
        commission_for(tariff=tariff, method=method, amount=amount, currency=currency) == expected
    )


def _entries(payment):
    return sorted(
        LedgerEntry.objects.filter(payment=payment).values_list("kind", "amount", "day"),
        key=lambda e: (e[2], e[0]),
    )


def test_a_paid_live_payment_stores_its_commission_and_enters_the_ledger(live_shop, tariff):
    payment = paid(live_shop, NOON, amount=1_000_020)

    assert payment.commission_amount == 25_001
    assert payment.tariff == tariff
    day = NOON.date()
    assert _entries(payment) == [(Kind.COMMISSION, -25_001, day), (Kind.GROSS, 1_000_020, day)]

    # A later change of rates does not touch what was charged.
    TariffRate.objects.filter(tariff=tariff).update(min_fee=0, fixed_fee=999)
    payment.refresh_from_db()
    assert payment.commission_amount == 25_001


def test_partial_refunds_give_back_commission_proportionally_and_in_full_at_the_end(live_shop):
    payment = paid(live_shop, NOON, amount=1_000_000)  # commission 25 000
    refund(payment, NOON.replace(day=11), amount=333_333)
    refund(payment, NOON.replace(day=12), amount=333_333)
    refund(payment, NOON.replace(day=13))

    returns = LedgerEntry.objects.filter(payment=payment, kind=Kind.COMMISSION_RETURN)
    assert list(returns.order_by("day").values_list("amount", flat=True)) == [8333, 8334, 8333]
    assert sum(returns.values_list("amount", flat=True)) == 25_000
    refunds = LedgerEntry.objects.filter(payment=payment, kind=Kind.REFUND)
    assert sum(refunds.values_list("amount", flat=True)) == -1_000_000


def test_no_commission_back_when_the_tariff_says_so(live_shop, tariff):
    tariff.refund_returns_commission = False
    tariff.save()
    payment = paid(live_shop, NOON)
    refund(payment, NOON)
    assert not LedgerEntry.objects.filter(kind=Kind.COMMISSION_RETURN).exists()


def test_a_chargeback_takes_back_what_was_not_refunded(live_shop, staff):
    payment = paid(live_shop, NOON, amount=500_000)
    refund(payment, NOON, amount=100_000)
    with at(NOON.replace(day=20)):
        services.payment_chargeback(payment=payment, staff=staff, reason="fraud")
    chargeback = LedgerEntry.objects.get(payment=payment, kind=Kind.CHARGEBACK)
    assert (chargeback.amount, chargeback.day) == (-400_000, NOON.replace(day=20).date())


def test_test_payments_never_enter_the_ledger(live_shop):
    payment = services.payment_create(
        shop=live_shop, test=True, amount=100000, currency="AMD", order_id="t"
    )
    services.payment_simulate(payment=payment, outcome=Payment.Status.SUCCEEDED)
    services.refund_create(payment=payment)
    payment.refresh_from_db()
    assert payment.commission_amount is None
    assert not LedgerEntry.objects.exists()


def test_the_ledger_day_is_the_merchants_local_day(live_shop):
    late = datetime(2026, 11, 3, 20, 30, tzinfo=UTC)  # 00:30 on the 4th in Yerevan
    payment = paid(live_shop, late)
    assert {day for _, _, day in _entries(payment)} == {datetime(2026, 11, 4).date()}
