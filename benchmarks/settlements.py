"""Settlements at volume: building a day's settlements for 1 000 merchants with 1 000 000
payments that day, and the reconciliation page of a busy merchant's year.

PostgreSQL only (set DATABASE_URL); runs in a throwaway test database. The ledger rows are
loaded with COPY into the day's open settlements, as the ledger writes them: each payment
is a gross and a commission entry, every tenth has a refund. Settling the day closes the
settlements: one grouped query over the day's entries and an update of the settlements.
Run alone with `python -m benchmarks.settlements`; BENCH_SETTLE_PAYMENTS and
BENCH_SETTLE_MERCHANTS scale it down.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inecopay.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)

PAYMENTS = int(os.environ.get("BENCH_SETTLE_PAYMENTS", "1000000"))
MERCHANTS = int(os.environ.get("BENCH_SETTLE_MERCHANTS", "1000"))
DAY = date(2026, 11, 2)


def _copy_entries(rows) -> None:
    from settlements.models import LedgerEntry

    table = LedgerEntry._meta.db_table
    columns = "merchant_id, currency, kind, amount, day, occurred_at, settlement_id"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _open_settlements(merchant_ids: list[int], day: date) -> dict[int, int]:
    from settlements.models import Settlement

    Settlement.objects.bulk_create(
        [Settlement(merchant_id=pk, currency="AMD", day=day) for pk in merchant_ids],
        batch_size=1000,
    )
    return dict(
        Settlement.objects.filter(day=day, merchant_id__in=merchant_ids).values_list(
            "merchant_id", "pk"
        )
    )


def _day_entries(merchant_ids: list[int], payments: int, day: date):
    """A day's entries, each in its merchant's open settlement of the day (as the ledger
    writes them). The settlements are opened before the rows are generated: nothing else
    may use the connection while COPY streams them."""
    opened = _open_settlements(merchant_ids, day)
    return _rows(merchant_ids, payments, day, opened)


def _rows(merchant_ids, payments, day, opened):
    rng = random.Random(7)
    moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=6)
    for n in range(payments):
        merchant_id = merchant_ids[n % len(merchant_ids)]
        settlement = opened[merchant_id]
        amount = rng.randrange(1_000, 10_000_000)
        commission = max(10_000, amount * 25 // 1000)
        yield (merchant_id, "AMD", "gross", amount, day, moment, settlement)
        yield (merchant_id, "AMD", "commission", -min(commission, amount), day, moment, settlement)
        if n % 10 == 0:
            yield (merchant_id, "AMD", "refund", -(amount // 2), day, moment, settlement)


def bench_build() -> list[tuple[str, str, str]]:
    from merchants.models import Merchant
    from settlements.models import LedgerEntry, Settlement
    from settlements.services import payouts_build, settlements_build

    Merchant.objects.bulk_create(
        [Merchant(name=f"bench-{n}", totals_time_zone="Asia/Yerevan") for n in range(MERCHANTS)],
        batch_size=1000,
    )
    ids = list(Merchant.objects.filter(name__startswith="bench-").values_list("pk", flat=True))
    start = time.perf_counter()
    _copy_entries(_day_entries(ids, PAYMENTS, DAY))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LedgerEntry._meta.db_table}")
    seeded = time.perf_counter() - start
    entries = LedgerEntry.objects.count()

    start = time.perf_counter()
    made = settlements_build(now=datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    built = time.perf_counter() - start
    start = time.perf_counter()
    payouts = payouts_build()
    paid = time.perf_counter() - start
    again_start = time.perf_counter()
    again = settlements_build(now=datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    again_s = time.perf_counter() - again_start

    assert made == len(ids) and again == 0 and payouts == len(ids)
    assert not Settlement.objects.open().exists()
    gross = Settlement.objects.aggregate(total=django.db.models.Sum("gross"))["total"]
    assert (
        gross
        == LedgerEntry.objects.filter(kind="gross").aggregate(total=django.db.models.Sum("amount"))[
            "total"
        ]
    )
    return [
        (f"seed {entries:,} ledger entries (COPY)", f"{seeded:.1f} s", "—"),
        (
            f"settle one day: {PAYMENTS:,} payments, {len(ids):,} merchants",
            f"{built:.1f} s",
            "< 60 s",
        ),
        (f"payouts for {payouts:,} settlements", f"{paid:.2f} s", "—"),
        ("settle the same day again (nothing to do)", f"{again_s:.2f} s", "—"),
    ]


def bench_page() -> list[tuple[str, str, str]]:
    """A busy merchant's year: 365 settled days of 2 700 payments, then the page."""
    from merchants.models import Membership, Merchant, User
    from settlements.models import LedgerEntry
    from settlements.services import payout_mark_paid, settle

    merchant = Merchant.objects.create(name="busy", legal_name="Busy LLC")
    user = User.objects.create_user(email="busy@bench.example", password="bench-password-1")
    Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
    staff = User.objects.create_user(email="staff@bench.example", password="x", is_staff=True)
    first = date(2025, 11, 1)
    per_day = int(os.environ.get("BENCH_SETTLE_DAILY", "2700"))
    start = time.perf_counter()
    for offset in range(365):
        _copy_entries(_day_entries([merchant.pk], per_day, first + timedelta(days=offset)))
    settle(now=datetime(2026, 11, 1, 8, 0, tzinfo=UTC))
    for payout in merchant.payouts.all():
        payout_mark_paid(payout=payout, reference="BENCH", paid_on=payout.due_on, staff=staff)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LedgerEntry._meta.db_table}")
    seeded = time.perf_counter() - start
    entries = LedgerEntry.objects.filter(merchant=merchant).count()

    client = Client()
    client.force_login(user)
    url = "/reconciliation/?first=2025-11-01&last=2026-10-31&currency=AMD"
    for _ in range(5):
        assert client.get(url).status_code == 200
    timings = []
    for _ in range(50):
        begin = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200 and not response.context["rec"].problems
    return [
        (
            f"seed a year: {entries:,} entries, 365 settlements, paid payouts",
            f"{seeded:.1f} s",
            "—",
        ),
        (
            "reconciliation page, a year of the busy merchant (median of 50)",
            f"{statistics.median(timings):.1f} ms",
            "< 300 ms",
        ),
    ]


def run() -> list[tuple[str, str, str]]:
    if connection.vendor != "postgresql":
        return [("settlements benchmark", "skipped", "needs PostgreSQL (DATABASE_URL)")]
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        return bench_build() + bench_page()
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


def main() -> None:
    rows = run()
    print(f"engine: {connection.vendor}")
    print("| measure | result | limit |")
    print("| --- | ---: | ---: |")
    for name, value, limit in rows:
        print(f"| {name} | {value} | {limit} |")


if __name__ == "__main__":
    main()
