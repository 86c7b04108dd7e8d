"""Daily totals: kept exact by every change, equal to a recount, and read per filter with
live edges that agree with counting the payments one by one."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ShopFactory
from transactions import services
from transactions.models import DailyTotal, MonthlyTotal, Payment, TotalDelta
from transactions.tasks import rebuild_stale_daily_totals
from transactions.totals import (
    TotalsFilter,
    daily_rows,
    daily_totals_rebuild,
    payment_totals,
    totals_compact,
    whole_days,
)

pytestmark = pytest.mark.django_db

Status = Payment.Status
YEREVAN = ZoneInfo("Asia/Yerevan")
BASE = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _create(shop, moment: datetime, **overrides) -> Payment:
    values = {"amount": 150000, "currency": "AMD", "order_id": "o-1"}
    values.update(overrides)
    with _at(moment):
        return services.payment_create(shop=shop, test=True, **values)


def _rows(merchant, model=DailyTotal) -> set[tuple]:
    return set(
        model.objects.filter(merchant=merchant)
        .exclude(count=0, amount=0, refunded=0)
        .values_list(
            "test", "time_zone", "day", "shop_id", "status", "method", "currency",
            "count", "amount", "refunded",
        )
    )  # fmt: skip


def _history(shop, other_shop, seed: int) -> list[Payment]:
    """Payments over four days around month ends, moved through random fates."""
    rng = random.Random(seed)
    payments = []
    for n in range(60):
        moment = BASE + timedelta(minutes=rng.randrange(0, 4 * 24 * 60))
        payment = _create(
            rng.choice([shop, other_shop]),
            moment,
            order_id=f"o-{n}",
            amount=rng.randrange(100, 10_000_00),
            currency=rng.choice(["AMD", "USD"]),
        )
        fate = rng.choice(["pending", "paid", "declined", "refund", "partial", "cancel"])
        with _at(moment + timedelta(minutes=1)):
            if fate == "cancel":
                services.payment_cancel(payment=payment)
            elif fate != "pending":
                outcome = Status.DECLINED if fate == "declined" else Status.SUCCEEDED
                services.payment_simulate(payment=payment, outcome=outcome)
            if fate == "refund":
                services.refund_create(payment=payment)
            if fate == "partial":
                services.refund_create(payment=payment, amount=1)
                services.refund_create(payment=payment, amount=1)
        payments.append(payment)
    return payments


@pytest.fixture
def shops(merchant):
    return (
        ShopFactory(merchant=merchant, name="Books", is_open=True),
        ShopFactory(merchant=merchant, name="Music", is_open=True),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_totals_equal_a_recount(merchant, shops, seed):
    _history(*shops, seed=seed)
    assert TotalDelta.objects.exists()
    assert totals_compact() > 0
    assert not TotalDelta.objects.exists()
    kept = _rows(merchant)
    kept_months = _rows(merchant, MonthlyTotal)
    assert kept and kept_months

    daily_totals_rebuild(merchant_id=merchant.pk)

    assert _rows(merchant) == kept
    assert _rows(merchant, MonthlyTotal) == kept_months


def _python_totals(merchant, start, end, keep=lambda p: True):
    count, amount = 0, {}
    for p in Payment.objects.filter(merchant=merchant, test=True):
        inside = (start is None or p.created_at >= start) and (end is None or p.created_at < end)
        if inside and keep(p):
            count += 1
            amount[p.currency] = amount.get(p.currency, 0) + p.amount
    return count, amount


@pytest.mark.parametrize("seed", [4, 5])
def test_totals_over_any_period_and_filter_match_the_payments(merchant, shops, seed):
    _history(*shops, seed=seed)
    merchant.refresh_from_db()
    rng = random.Random(seed)
    statuses = list(Status.values)
    for n in range(40):
        if n == 20:
            # Half the reads with the changes pending, half once they are folded in.
            totals_compact()
        a = BASE + timedelta(minutes=rng.randrange(-600, 5 * 24 * 60))
        b = a + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        # Sometimes exactly at local midnight, sometimes open-ended.
        if rng.random() < 0.3:
            a = datetime.combine(a.astimezone(YEREVAN).date(), datetime.min.time(), YEREVAN)
        start = None if rng.random() < 0.15 else a
        end = None if rng.random() < 0.15 else b
        chosen = tuple(rng.sample(statuses, rng.randrange(0, 4)))
        shop_ids = tuple(rng.sample([s.pk for s in shops], rng.randrange(0, 2)))
        filters = TotalsFilter(statuses=chosen, shop_ids=shop_ids)

        got = payment_totals(merchant=merchant, test=True, start=start, end=end, filters=filters)

        count, amount = _python_totals(
            merchant,
            start,
            end,
            lambda p, chosen=chosen, shop_ids=shop_ids: (
                (not chosen or p.status in chosen) and (not shop_ids or p.shop_id in shop_ids)
            ),
        )
        assert (got.count, got.amount) == (count, amount)


def test_a_payment_at_23_30_yerevan_counts_on_that_local_day(merchant, shops):
    late = datetime(2026, 11, 3, 23, 30, tzinfo=YEREVAN)  # 19:30 UTC
    _create(shops[0], late)
    merchant.refresh_from_db()

    rows = daily_rows(
        merchant=merchant,
        test=True,
        first=late.date(),
        after=late.date() + timedelta(days=1),
        by=("day", "currency"),
    )
    assert rows == [
        {"day": late.date(), "currency": "AMD", "count": 1, "amount": 150000, "refunded": 0}
    ]
    day_start = datetime(2026, 11, 3, tzinfo=YEREVAN)
    totals = payment_totals(
        merchant=merchant, test=True, start=day_start, end=day_start + timedelta(days=1)
    )
    assert totals.count == 1


def test_whole_days_of_a_period():
    start = datetime(2026, 11, 1, 0, 0, tzinfo=YEREVAN)
    end = datetime(2026, 11, 3, 15, 0, tzinfo=YEREVAN)
    first, after = whole_days(start, end, YEREVAN)
    assert (str(first), str(after)) == ("2026-11-01", "2026-11-03")
    first, after = whole_days(start + timedelta(minutes=1), end, YEREVAN)
    assert str(first) == "2026-11-02"


def test_totals_read_in_a_constant_number_of_queries(merchant, shops):
    _history(*shops, seed=7)
    merchant.refresh_from_db()
    start = datetime(2026, 10, 30, 13, 17, tzinfo=YEREVAN)
    end = datetime(2026, 11, 2, 8, 5, tzinfo=YEREVAN)
    with CaptureQueriesContext(connection) as queries:
        payment_totals(merchant=merchant, test=True, start=start, end=end)
    # The two partial edge days live, and the whole days from the daily totals (no whole
    # month lies inside).
    assert len(queries) == 3


def test_a_new_time_zone_counts_live_until_the_rebuild(merchant, shops):
    _history(*shops, seed=8)
    merchant.time_zone = "America/New_York"
    merchant.save()
    merchant.refresh_from_db()
    start = datetime(2026, 10, 31, tzinfo=ZoneInfo("America/New_York"))
    expected = _python_totals(merchant, start, None)

    assert merchant.totals_time_zone == "Asia/Yerevan"
    got = payment_totals(merchant=merchant, test=True, start=start)
    assert (got.count, got.amount) == expected

    assert rebuild_stale_daily_totals() == 1
    merchant.refresh_from_db()
    assert merchant.totals_time_zone == "America/New_York"
    assert set(
        DailyTotal.objects.filter(merchant=merchant).values_list("time_zone", flat=True)
    ) == {"America/New_York"}
    got = payment_totals(merchant=merchant, test=True, start=start)
    assert (got.count, got.amount) == expected
    assert rebuild_stale_daily_totals() == 0


def test_totals_over_whole_months_read_the_monthly_rows(merchant, shops):
    rng = random.Random(11)
    for n in range(40):
        moment = datetime(2026, 8, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 24 * 120))
        payment = _create(shops[n % 2], moment, order_id=f"m-{n}", amount=rng.randrange(100, 9999))
        if n % 3 == 0:
            with _at(moment):
                services.payment_simulate(payment=payment, outcome=Status.SUCCEEDED)
    merchant.refresh_from_db()
    cases = [
        (datetime(2026, 8, 1, tzinfo=YEREVAN), datetime(2026, 11, 1, tzinfo=YEREVAN)),
        (datetime(2026, 8, 17, 13, tzinfo=YEREVAN), datetime(2026, 11, 20, 9, tzinfo=YEREVAN)),
        (datetime(2026, 9, 1, tzinfo=YEREVAN), None),
        (None, datetime(2026, 10, 15, tzinfo=YEREVAN)),
        (None, None),
    ]
    for start, end in cases:
        for statuses in ((), (Status.SUCCEEDED,)):
            got = payment_totals(
                merchant=merchant,
                test=True,
                start=start,
                end=end,
                filters=TotalsFilter(statuses=statuses),
            )
            expected = _python_totals(
                merchant, start, end, lambda p, s=statuses: not s or p.status in s
            )
            assert (got.count, got.amount) == expected, (start, end, statuses)


def test_a_fold_in_the_middle_of_changes_loses_and_doubles_nothing(merchant, shops):
    _history(*shops, seed=12)
    totals_compact()
    more = _history(*shops, seed=13)
    services.refund_create(payment=next(p for p in more if p.status == Status.SUCCEEDED))
    merchant.refresh_from_db()
    expected = _python_totals(merchant, None, None)
    got = payment_totals(merchant=merchant, test=True)
    assert (got.count, got.amount) == expected
    totals_compact()
    assert totals_compact() == 0
    got = payment_totals(merchant=merchant, test=True)
    assert (got.count, got.amount) == expected
