"""Report day totals: kept in the transaction of every change, they give exactly the
figures counted from the payments and refunds, across days, DST, modes and shops; a
change of zone or history from before the totals falls back to counting until rebuilt."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from merchants.models import Tariff, TariffAcceptance, TariffRate
from reports.models import ReportDayDelta, ReportDayTotal, ReportTotalsState
from reports.periods import month_period, year_period
from reports.registry import ReportRequest
from reports.selectors import counted_figures, daily_figures
from reports.tasks import compact_report_totals, rebuild_stale_report_totals
from reports.totals import (
    report_totals_compact,
    report_totals_rebuild,
    stale_merchant_ids,
    totals_complete,
)
from tests.factories import MembershipFactory, MerchantFactory, ShopFactory
from transactions import services
from transactions.models import Actor, Payment

pytestmark = pytest.mark.django_db

Status = Payment.Status
BERLIN = "Europe/Berlin"
_ROW = (
    "test",
    "time_zone",
    "day",
    "shop_id",
    "currency",
    "count",
    "gross",
    "refunds",
    "commission",
)
# Around the two DST changes of 2026 in Berlin and the month ends next to them.
WINDOWS = (
    (datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 4, 2, 12, tzinfo=UTC)),
    (datetime(2026, 10, 23, 12, tzinfo=UTC), datetime(2026, 11, 2, 12, tzinfo=UTC)),
)


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _transition(payment: Payment, to: str, moment: datetime, **kw) -> None:
    with _at(moment):
        services.payment_transition(payment=payment, to=to, actor=Actor.SYSTEM, **kw)


@pytest.fixture
def berlin_merchant(db):
    owner = MembershipFactory(merchant=MerchantFactory(time_zone=BERLIN))
    merchant = owner.merchant
    tariff = Tariff.objects.create(
        name="Test", version=91, published_at=timezone.now(), refund_returns_commission=True
    )
    TariffRate.objects.create(
        tariff=tariff, method="card", percent=Decimal("2.50"), fixed_fee=0, min_fee=10000
    )
    TariffRate.objects.create(
        tariff=tariff, method="idram", percent=Decimal("2.00"), fixed_fee=5000, min_fee=0
    )
    TariffAcceptance.objects.create(merchant=merchant, tariff=tariff, accepted_by=owner.user)
    return merchant


@pytest.fixture
def shops(berlin_merchant):
    return [ShopFactory(merchant=berlin_merchant, is_open=True, live_mode=True) for _ in range(2)]


def _moment(rng: random.Random) -> datetime:
    """A moment in one of the windows, often within minutes of a Berlin midnight."""
    start, end = rng.choice(WINDOWS)
    moment = start + (end - start) * rng.random()
    if rng.random() < 0.5:
        local = moment.astimezone(ZoneInfo(BERLIN))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        moment = (midnight + timedelta(seconds=rng.randint(-600, 600))).astimezone(UTC)
    return moment


def _history(shops, seed: int) -> None:
    """Payments in random fates: succeeded or not, refunded in parts later (some in the
    next month), charged back; live and test, two currencies and methods, with folds of
    the pending changes at random points."""
    rng = random.Random(seed)
    for n in range(24):
        shop = rng.choice(shops)
        test = rng.random() < 0.25
        currency = rng.choice(["AMD", "AMD", "USD"])
        amount = rng.choice([100_00, 1_500_00, 12_345, 999_99])
        created = _moment(rng)
        with _at(created):
            payment = services.payment_create(
                shop=shop, test=test, amount=amount, currency=currency, order_id=f"o-{n}"
            )
        fate = rng.random()
        if fate < 0.15:
            continue  # stays pending: in no figure
        method = rng.choice(["card", "idram", "apple_pay"])
        _transition(payment, Status.PROCESSING, created, fields={"method": method})
        paid_at = created + timedelta(seconds=rng.randint(1, 900))
        if fate < 0.3:
            _transition(payment, Status.DECLINED, paid_at)
            continue
        _transition(payment, Status.SUCCEEDED, paid_at)
        moment = paid_at
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            payment.refresh_from_db()
            if payment.status not in (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED):
                break
            moment += timedelta(hours=rng.choice([0.1, 3, 20, 24 * 9]))
            with _at(moment):
                services.refund_create(
                    payment=payment,
                    amount=rng.choice([None, max(1, payment.remaining_amount // 2)]),
                )
        payment.refresh_from_db()
        if payment.status != Status.REFUNDED and rng.random() < 0.3:
            _transition(payment, Status.CHARGEBACK, moment + timedelta(days=2))
        if rng.random() < 0.3:
            report_totals_compact(limit=rng.choice([1, 5, 1000]))


def _requests(merchant, shops, zone: str = BERLIN):
    periods = [month_period(2026, m, zone) for m in (3, 4, 10, 11)] + [year_period(2026, zone)]
    for period in periods:
        for test in (False, True):
            for chosen in ((), (shops[0],), tuple(shops)):
                yield ReportRequest(merchant=merchant, shops=chosen, period=period, test=test)


def _assert_same_as_counted(merchant, shops, zone: str = BERLIN) -> None:
    for request in _requests(merchant, shops, zone):
        assert daily_figures(request) == counted_figures(request), (
            request.period.slug,
            request.test,
            request.shop_ids,
        )


@pytest.mark.parametrize("seed", range(6))
def test_random_histories_give_the_figures_counted_from_payments(berlin_merchant, shops, seed):
    _history(shops, seed)
    assert totals_complete(berlin_merchant, BERLIN)
    year = counted_figures(
        ReportRequest(merchant=berlin_merchant, shops=(), period=year_period(2026, BERLIN))
    )
    # Histories worth comparing: payments, refunds and commission on several days.
    days = [f for by_day in year.values() for f in by_day.values()]
    assert len(days) > 5
    assert any(f.refunds for f in days) and any(f.commission for f in days)
    _assert_same_as_counted(berlin_merchant, shops)
    # Folded or not, the same figures; and a recount writes the same totals.
    report_totals_compact()
    assert not ReportDayDelta.objects.exists()
    _assert_same_as_counted(berlin_merchant, shops)
    folded = set(ReportDayTotal.objects.values_list(*_ROW))
    report_totals_rebuild(merchant_id=berlin_merchant.pk)
    assert set(ReportDayTotal.objects.values_list(*_ROW)) == folded
    _assert_same_as_counted(berlin_merchant, shops)


def test_commission_is_what_settlements_charged_on_the_day_it_succeeded(berlin_merchant, shops):
    with _at(datetime(2026, 10, 24, 21, 50, tzinfo=UTC)):  # 23:50 in Berlin on the 24th
        payment = services.payment_create(
            shop=shops[0], test=False, amount=10_000_00, currency="AMD", order_id="c-1"
        )
    _transition(payment, Status.PROCESSING, payment.created_at, fields={"method": "card"})
    _transition(payment, Status.SUCCEEDED, datetime(2026, 10, 24, 22, 5, tzinfo=UTC))
    payment.refresh_from_db()
    assert payment.commission_amount == 25_000  # 2.5 %, settlements' rule
    request = ReportRequest(
        merchant=berlin_merchant, shops=(), period=month_period(2026, 10, BERLIN)
    )
    figures = daily_figures(request)["AMD"]
    (day,) = figures
    assert day.isoformat() == "2026-10-25"  # 00:05 in Berlin
    assert (figures[day].count, figures[day].gross, figures[day].commission) == (
        1,
        10_000_00,
        25_000,
    )
    # A chargeback changes nothing in these figures.
    _transition(payment, Status.CHARGEBACK, datetime(2026, 10, 28, 9, tzinfo=UTC))
    assert daily_figures(request)["AMD"] == figures


def test_a_payment_change_only_inserts_pending_changes(berlin_merchant, shops):
    with _at(datetime(2026, 10, 24, 10, tzinfo=UTC)):
        payment = services.payment_create(
            shop=shops[0], test=False, amount=1_000_00, currency="AMD", order_id="c-1"
        )
    _transition(payment, Status.PROCESSING, payment.created_at, fields={"method": "card"})
    total = ReportDayTotal._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        _transition(payment, Status.SUCCEEDED, datetime(2026, 10, 24, 10, 1, tzinfo=UTC))
        with _at(datetime(2026, 10, 25, 10, tzinfo=UTC)):
            services.refund_create(payment=payment, amount=100_00)
    assert not [q for q in queries if total in q["sql"]]
    assert sorted(
        ReportDayDelta.objects.values_list("day", "count", "gross", "refunds", "commission")
    ) == [
        (date(2026, 10, 24), 0, 0, 0, 100_00),  # the commission settlements charged (minimum)
        (date(2026, 10, 24), 1, 1_000_00, 0, 0),
        (date(2026, 10, 25), 0, 0, 100_00, 0),
    ]


def test_reading_takes_two_queries_from_the_totals(
    berlin_merchant, shops, django_assert_num_queries
):
    _history(shops, seed=1)
    request = ReportRequest(merchant=berlin_merchant, shops=(), period=year_period(2026, BERLIN))
    with django_assert_num_queries(2):
        daily_figures(request)


def test_a_change_of_zone_counts_from_payments_until_the_rebuild(
    berlin_merchant, shops, django_capture_on_commit_callbacks
):
    _history(shops, seed=3)
    berlin_merchant.time_zone = "Asia/Yerevan"
    with (
        mock.patch("reports.tasks.rebuild_report_totals.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        berlin_merchant.save()
    queued.assert_called_once_with(berlin_merchant.pk)
    assert not totals_complete(berlin_merchant, "Asia/Yerevan")
    assert stale_merchant_ids() == [berlin_merchant.pk]
    _assert_same_as_counted(berlin_merchant, shops, "Asia/Yerevan")
    assert rebuild_stale_report_totals() == 1
    assert totals_complete(berlin_merchant, "Asia/Yerevan")
    assert not ReportDayTotal.objects.filter(time_zone=BERLIN).exists()
    _assert_same_as_counted(berlin_merchant, shops, "Asia/Yerevan")


def test_history_from_before_the_totals_is_counted_until_backfilled(berlin_merchant, shops):
    _history(shops, seed=4)
    # As after deploy: payments exist, no totals and no record of them being complete.
    ReportTotalsState.objects.filter(merchant=berlin_merchant).delete()
    ReportDayTotal.objects.all().delete()
    ReportDayDelta.objects.all().delete()
    assert not totals_complete(berlin_merchant, BERLIN)
    _assert_same_as_counted(berlin_merchant, shops)
    call_command("rebuild_report_totals", "--stale", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert totals_complete(berlin_merchant, BERLIN)
    assert stale_merchant_ids() == []
    _assert_same_as_counted(berlin_merchant, shops)
    # Idempotent: a second rebuild writes the same rows.
    rows = set(ReportDayTotal.objects.values_list(*_ROW))
    report_totals_rebuild(merchant_id=berlin_merchant.pk)
    assert set(ReportDayTotal.objects.values_list(*_ROW)) == rows


def test_compaction_task_folds_everything_and_twice_changes_nothing(berlin_merchant, shops):
    _history(shops, seed=5)
    with mock.patch("reports.tasks.COMPACT_BATCH", 3):
        compact_report_totals()
    assert not ReportDayDelta.objects.exists()
    rows = set(ReportDayTotal.objects.values_list(*_ROW))
    assert compact_report_totals() == 0
    assert set(ReportDayTotal.objects.values_list(*_ROW)) == rows
    _assert_same_as_counted(berlin_merchant, shops)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL")
def test_a_rebuild_holds_back_only_its_own_merchants_changes():
    payments = {}
    for name in ("rebuilt", "other"):
        shop = ShopFactory(merchant=MerchantFactory(), is_open=True, live_mode=True)
        payment = services.payment_create(
            shop=shop, test=True, amount=100_00, currency="AMD", order_id=name
        )
        services.payment_transition(payment=payment, to=Status.PROCESSING, actor=Actor.SYSTEM)
        payments[name] = payment
    rebuilt = payments["rebuilt"].merchant
    started, release = threading.Event(), threading.Event()

    def rebuild() -> None:
        try:
            with transaction.atomic():
                report_totals_rebuild(merchant_id=rebuilt.pk)
                started.set()
                release.wait(20)
        finally:
            connection.close()

    def succeed(payment: Payment, done: threading.Event) -> None:
        try:
            services.payment_transition(payment=payment, to=Status.SUCCEEDED, actor=Actor.SYSTEM)
            done.set()
        finally:
            connection.close()

    rebuilding = threading.Thread(target=rebuild)
    rebuilding.start()
    assert started.wait(20)
    other_done, own_done = threading.Event(), threading.Event()
    threading.Thread(target=succeed, args=(payments["other"], other_done)).start()
    own = threading.Thread(target=succeed, args=(payments["rebuilt"], own_done))
    own.start()
    # Another merchant's payment is not held back; the rebuilt merchant's waits for it.
    assert other_done.wait(10)
    assert not own_done.wait(1)
    release.set()
    rebuilding.join(20)
    own.join(20)
    assert own_done.is_set()
    period = month_period(timezone.localdate().year, timezone.localdate().month, "Asia/Yerevan")
    request = ReportRequest(merchant=rebuilt, shops=(), period=period, test=True)
    assert totals_complete(rebuilt, "Asia/Yerevan")
    figures = daily_figures(request)
    assert figures == counted_figures(request)
    assert sum(f.count for f in figures["AMD"].values()) == 1
