"""Daily settlements and payouts: one per merchant, currency and day, built twice with no
change; T+1 business days around weekends and holidays; staff decisions; and the balance
identity over any split of any period."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlements.models import Holiday, LedgerEntry, Payout, PayoutSchedule, Settlement
from settlements.selectors import reconciliation
from settlements.services import (
    SettlementError,
    adjustment_create,
    business_days_after,
    payout_mark_paid,
    payout_reject,
    settle,
    settlements_build,
)
from tests.factories import MerchantFactory, ShopFactory
from tests.settlements.conftest import at, paid, refund
from transactions import services

pytestmark = pytest.mark.django_db

Kind = LedgerEntry.Kind


def _noon(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 8, 0, tzinfo=UTC)


def test_a_days_settlement_is_built_once_and_covers_each_payment_once(live_shop):
    first = paid(live_shop, _noon(2), amount=1_000_000, order_id="a")
    second = paid(live_shop, _noon(2), amount=200_000, order_id="b")
    paid(live_shop, _noon(3), amount=300_000, order_id="c")
    refund(first, _noon(3), amount=100_000)

    # On the 3rd only the 2nd is over.
    assert settlements_build(now=_noon(3)) == 1
    assert settlements_build(now=_noon(3)) == 0
    settlement = Settlement.objects.closed().get()
    assert (settlement.day, settlement.payments_count) == (date(2026, 11, 2), 2)
    assert settlement.gross == 1_200_000
    assert settlement.commission == first.commission_amount + second.commission_amount
    assert settlement.net == 1_200_000 - settlement.commission

    assert settlements_build(now=_noon(5)) == 1
    assert settlements_build(now=_noon(5)) == 0
    day3 = Settlement.objects.get(day=date(2026, 11, 3))
    assert (day3.gross, day3.refunds) == (300_000, 100_000)
    assert day3.commission == 10_000 - 2_500  # the 3rd's commission less the share given back
    # Every entry is settled, each payment's gross exactly once.
    assert not LedgerEntry.objects.filter(settlement__closed_at__isnull=True).exists()
    assert LedgerEntry.objects.filter(kind=Kind.GROSS).count() == 3


def test_a_day_is_settled_only_once_it_is_over_in_the_merchants_zone(live_shop):
    paid(live_shop, datetime(2026, 11, 2, 19, 0, tzinfo=UTC))  # 23:00 in Yerevan
    # 23:50 Yerevan on the 2nd: the day is not over.
    assert settlements_build(now=datetime(2026, 11, 2, 19, 50, tzinfo=UTC)) == 0
    # 00:20 on the 3rd, past the grace: it is.
    assert settlements_build(now=datetime(2026, 11, 2, 20, 20, tzinfo=UTC)) == 1


def test_business_days_skip_weekends_and_holidays():
    friday = date(2026, 11, 6)
    assert business_days_after(friday, 1) == date(2026, 11, 9)  # Monday
    assert business_days_after(date(2026, 9, 18), 1) == date(2026, 9, 22)  # Mon 21st: holiday
    Holiday.objects.create(day=date(2026, 11, 10), name="Staff-added day off")
    assert business_days_after(date(2026, 11, 9), 1) == date(2026, 11, 11)
    assert business_days_after(date(2026, 11, 9), 2) == date(2026, 11, 12)


def test_payouts_follow_the_schedule_and_gather_the_weekend(live_shop, merchant):
    for day in (6, 7, 8):  # Friday, Saturday, Sunday
        paid(live_shop, _noon(day), amount=1_000_000, order_id=f"o-{day}")
    with at(_noon(9)):
        assert settle(now=_noon(9)) == (3, 1)
        assert settle(now=_noon(9)) == (0, 0)
    payout = Payout.objects.get()
    assert payout.due_on == date(2026, 11, 9)  # Monday: T+1 after Sunday
    assert payout.amount == 3 * (1_000_000 - 25_000)
    assert payout.settlements.count() == 3

    PayoutSchedule.objects.create(merchant=merchant, delay_days=2)
    paid(live_shop, _noon(9), order_id="mon")
    settle(now=_noon(10))
    assert Payout.objects.latest("id").due_on == date(2026, 11, 11)


def test_marking_a_payout_paid_twice_is_refused_and_rejection_frees_its_days(live_shop, staff):
    paid(live_shop, _noon(2))
    paid(live_shop, _noon(3), order_id="b")
    settle(now=_noon(4))
    payout = Payout.objects.get()
    payout_mark_paid(payout=payout, reference="TRX-1", paid_on=date(2026, 11, 4), staff=staff)
    with pytest.raises(SettlementError):
        payout_mark_paid(payout=payout, reference="TRX-2", paid_on=date(2026, 11, 4), staff=staff)
    entry = LedgerEntry.objects.get(kind=Kind.PAYOUT)
    assert (entry.amount, entry.day) == (-payout.amount, date(2026, 11, 4))

    paid(live_shop, _noon(4), order_id="c")
    settle(now=_noon(5))
    second = Payout.objects.get(status=Payout.Status.DUE)
    payout_reject(payout=second, reason="Account closed", staff=staff)
    with pytest.raises(SettlementError):
        payout_reject(payout=second, reason="again", staff=staff)
    assert Settlement.objects.filter(payout__isnull=True).count() == 1
    settle(now=_noon(6))
    third = Payout.objects.get(status=Payout.Status.DUE)
    assert third.amount == second.amount


def _ledger_total(merchant, currency, last: date) -> int:
    return LedgerEntry.objects.filter(
        merchant=merchant, currency=currency, day__lte=last
    ).aggregate(total=Sum("amount", default=0))["total"]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_the_balance_identity_holds_for_any_split_of_any_period(tariff, owner, staff, seed):
    """Random histories of payments, refunds, chargebacks, adjustments, settlements and
    payouts; random periods split at a random day: the closing of one part is the opening
    of the next, and every closing equals the ledger's own sum."""
    from merchants.models import TariffAcceptance

    rng = random.Random(seed)
    merchant = MerchantFactory()
    TariffAcceptance.objects.create(merchant=merchant, tariff=tariff, accepted_by=owner)
    shop = ShopFactory(merchant=merchant, is_open=True, live_mode=True)
    start = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
    payments = []
    for step in range(40):
        moment = start + timedelta(hours=step * 9 + rng.randrange(0, 8))
        action = rng.random()
        if action < 0.5 or not payments:
            payments.append(
                paid(
                    shop,
                    moment,
                    amount=rng.randrange(1_000, 5_000_000),
                    method=rng.choice(["card", "idram", "telcell"]),
                    order_id=f"o-{step}",
                )
            )
        elif action < 0.7:
            payment = rng.choice(payments)
            payment.refresh_from_db()
            if payment.status in ("succeeded", "partially_refunded") and payment.remaining_amount:
                refund(payment, moment, amount=rng.randrange(1, payment.remaining_amount + 1))
        elif action < 0.75:
            payment = rng.choice(payments)
            payment.refresh_from_db()
            if payment.status in ("succeeded", "partially_refunded"):
                with at(moment):
                    services.payment_chargeback(payment=payment, staff=staff, reason="bank")
        elif action < 0.8:
            with at(moment):
                adjustment_create(
                    merchant=merchant,
                    currency="AMD",
                    amount=rng.choice([-1, 1]) * rng.randrange(1, 50_000),
                    reason="correction",
                    staff=staff,
                )
        else:
            with at(moment):
                settle(now=moment)
            for payout in Payout.objects.filter(merchant=merchant, status=Payout.Status.DUE):
                if rng.random() < 0.7 and payout.due_on <= moment.date():
                    with at(moment):
                        payout_mark_paid(
                            payout=payout,
                            reference=f"T{payout.pk}",
                            paid_on=moment.date(),
                            staff=staff,
                        )
    # Each merchant is new, so examples do not see each other's rows.
    assert LedgerEntry.objects.filter(merchant=merchant).exists()
    for _ in range(10):
        first = date(2026, 10, 1) + timedelta(days=rng.randrange(-3, 12))
        last = first + timedelta(days=rng.randrange(0, 14))
        split = first + timedelta(days=rng.randrange(0, (last - first).days + 1))
        whole = reconciliation(merchant=merchant, currency="AMD", first=first, last=last)
        assert whole.problems == []
        assert whole.closing == _ledger_total(merchant, "AMD", last)
        assert whole.opening == _ledger_total(merchant, "AMD", first - timedelta(days=1))
        if split > first:
            left = reconciliation(
                merchant=merchant, currency="AMD", first=first, last=split - timedelta(days=1)
            )
            right = reconciliation(merchant=merchant, currency="AMD", first=split, last=last)
            assert left.opening == whole.opening
            assert left.closing == right.opening
            assert right.closing == whole.closing
