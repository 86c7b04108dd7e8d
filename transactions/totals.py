"""Daily payment totals: kept exact with every change, and read for counts and sums.

Each payment counts once in the DailyTotal row of its key: the merchant-local day it was
created, shop, mode, status, method and currency. `totals_shift` moves it between rows in
the transaction that changes it (the rows are upserted additively, so concurrent changes
add up instead of overwriting each other). `daily_totals_rebuild` recomputes a merchant's
rows from the payments, in one transaction, for its current time zone.

`payment_totals` answers "how many payments, and how much per currency" for any filter on
those key fields over any period: whole local days come from the rows, the partial days at
either edge are counted from the payments themselves.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from merchants.models import Merchant

from .models import DailyTotal, MonthlyTotal, Payment, PeriodTotal, TotalDelta

# Key fields, in the order of the unique constraint's columns after merchant, test, zone, day.
_COLUMNS = (
    "merchant_id",
    "test",
    "time_zone",
    "day",
    "shop_id",
    "status",
    "method",
    "currency",
    "count",
    "amount",
    "refunded",
)


def _upsert_sql(model: type[PeriodTotal]) -> str:
    # Only the model's own table and column names go into the text; values are parameters.
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    conflict = ", ".join(_COLUMNS[:8])
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608  # nosec B608  # quoted table and fixed column names; values are parameters
        f"ON CONFLICT ({conflict}) DO UPDATE SET "
        f"count = {table}.count + EXCLUDED.count, "
        f"amount = {table}.amount + EXCLUDED.amount, "
        f"refunded = {table}.refunded + EXCLUDED.refunded"
    )


def _month_rows(rows: Iterable[tuple]) -> list[tuple]:
    """The same rows keyed by the first day of their month, merged per key."""
    merged: dict[tuple, list[int]] = {}
    for row in rows:
        key = (*row[:3], row[3].replace(day=1), *row[4:8])
        sums = merged.setdefault(key, [0, 0, 0])
        for i, value in enumerate(row[8:]):
            sums[i] += value
    return [(*key, *sums) for key, sums in merged.items()]


def _add(rows: Iterable[tuple]) -> None:
    """Add each row's count and sums to its key's daily and monthly rows, creating them if
    missing."""
    rows = list(rows)
    for model, keyed in ((DailyTotal, rows), (MonthlyTotal, _month_rows(rows))):
        keyed = sorted(keyed)  # one lock order for every writer: no deadlocks between them
        if keyed:
            with connection.cursor() as cursor:
                cursor.executemany(_upsert_sql(model), keyed)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def totals_delta_row(payment: Payment, zone: str, sign: int = 1) -> tuple:
    """A payment's contribution to its totals key, in TOTAL_DELTA_FIELDS order."""
    return (
        payment.merchant_id,
        payment.test,
        zone,
        local_day(payment.created_at, zone),
        payment.shop_id,
        payment.status,
        payment.method,
        payment.currency,
        sign,
        sign * payment.amount,
        sign * payment.refunded_amount,
    )


TOTAL_DELTA_FIELDS = (
    "merchant_id",
    "test",
    "time_zone",
    "day",
    "shop_id",
    "status",
    "method",
    "currency",
    "count",
    "amount",
    "refunded",
)


def totals_delta_sql(payment: str, zone: str) -> list[str]:
    """`totals_delta_row(payment, zone, 1)` as SQL expressions over a payment row aliased
    `payment` and a zone column `zone`, in TOTAL_DELTA_FIELDS order (PostgreSQL)."""
    return [
        f'{payment}."merchant_id"',
        f'{payment}."test"',
        zone,
        f'({payment}."created_at" AT TIME ZONE {zone})::date',
        f'{payment}."shop_id"',
        f'{payment}."status"',
        f'{payment}."method"',
        f'{payment}."currency"',
        "1",
        f'{payment}."amount"',
        f'{payment}."refunded_amount"',
    ]


def totals_shift(*, before: Payment | None, after: Payment, zone: str) -> None:
    """Move a payment's contribution from its old key (None for a new payment) to its new
    one. Call inside the transaction that saves the change: it only inserts TotalDelta
    rows, so concurrent payments never wait for each other here."""
    rows = [totals_delta_row(after, zone, 1)]
    if before is not None:
        rows.append(totals_delta_row(before, zone, -1))
    TotalDelta.objects.bulk_create(
        [TotalDelta(**dict(zip(TOTAL_DELTA_FIELDS, row, strict=True))) for row in rows]
    )


@transaction.atomic
def totals_compact() -> int:
    """Fold the pending changes into the daily and monthly rows, atomically: a reader sees
    each change either still pending or folded in, never both. Returns how many folded."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(TotalDelta._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} RETURNING {', '.join(TOTAL_DELTA_FIELDS)}"  # noqa: S608  # nosec B608  # quoted table and fixed column names
            )
            rows = cursor.fetchall()
    else:
        pending = TotalDelta.objects.all()
        rows = list(pending.values_list(*TOTAL_DELTA_FIELDS))
        pending.delete()
    merged: dict[tuple, list[int]] = {}
    for row in rows:
        sums = merged.setdefault(tuple(row[:8]), [0, 0, 0])
        for i, value in enumerate(row[8:]):
            sums[i] += value
    _add((*key, *sums) for key, sums in merged.items() if any(sums))
    return len(rows)


@transaction.atomic
def daily_totals_rebuild(*, merchant_id: int) -> int:
    """Recompute a merchant's daily totals in its current zone and mark them complete.

    Idempotent. Payment changes wait while it runs (it locks the pending changes' table
    on PostgreSQL), so the recount and the changes after it add up exactly.
    Returns the number of rows written.
    """
    merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
    zone = merchant.time_zone
    if connection.vendor == "postgresql":
        # No payment change may slip between dropping the pending changes and the recount.
        table = connection.ops.quote_name(TotalDelta._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    TotalDelta.objects.filter(merchant_id=merchant_id).delete()
    DailyTotal.objects.filter(merchant_id=merchant_id).delete()
    MonthlyTotal.objects.filter(merchant_id=merchant_id).delete()
    grouped = (
        Payment.objects.filter(merchant_id=merchant_id)
        .annotate(day=TruncDate("created_at", tzinfo=ZoneInfo(zone)))
        .values("test", "day", "shop_id", "status", "method", "currency")
        .annotate(n=Count("id"), total=Sum("amount"), back=Sum("refunded_amount"))
        .order_by()
    )
    rows = [
        (
            merchant_id,
            g["test"],
            zone,
            g["day"],
            g["shop_id"],
            g["status"],
            g["method"],
            g["currency"],
            g["n"],
            g["total"],
            g["back"],
        )
        for g in grouped.iterator(chunk_size=5000)
    ]
    _add(rows)
    Merchant.objects.filter(pk=merchant_id).update(totals_time_zone=zone)
    return len(rows)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
@dataclass
class Totals:
    """How many payments and their gross (and refunded) amounts per currency."""

    count: int = 0
    amount: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)

    def add(self, currency: str, count: int, amount: int, refunded: int) -> None:
        self.count += count
        self.amount[currency] = self.amount.get(currency, 0) + amount
        self.refunded[currency] = self.refunded.get(currency, 0) + refunded

    def tidy(self) -> Totals:
        """Drop currencies that sum to nothing (rows that were moved away)."""
        for currency in [c for c, v in self.amount.items() if not v]:
            if not self.refunded.get(currency):
                self.amount.pop(currency)
                self.refunded.pop(currency, None)
        return self


@dataclass(frozen=True)
class TotalsFilter:
    """The filters totals can answer from the daily rows. Empty means "any"."""

    shop_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()

    def q(self, prefix: str = "") -> Q:
        q = Q()
        for name, values in (
            ("shop_id", self.shop_ids),
            ("status", self.statuses),
            ("method", self.methods),
            ("currency", self.currencies),
        ):
            if values:
                q &= Q(**{f"{prefix}{name}__in": values})
        return q


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _span(first: date | None, after: date | None) -> Q:
    """Rows of days [first, after); None leaves that side open."""
    q = Q()
    if first is not None:
        q &= Q(day__gte=first)
    if after is not None:
        q &= Q(day__lt=after)
    return q


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def whole_days(
    start: datetime | None, end: datetime | None, zone: ZoneInfo
) -> tuple[date | None, date | None]:
    """The whole local days inside [start, end): first day, and the day after the last
    (None for an open side). The result may be empty (first >= after)."""
    first = after = None
    if start is not None:
        local = start.astimezone(zone)
        first = local.date()
        if _midnight(first, zone) < start:
            first += timedelta(days=1)
    if end is not None:
        after = end.astimezone(zone).date()
    return first, after


def _live(merchant: Merchant, test: bool, q: Q, start, end, totals: Totals) -> None:
    payments = Payment.objects.filter(q, merchant=merchant, test=test)
    if start is not None:
        payments = payments.filter(created_at__gte=start)
    if end is not None:
        payments = payments.filter(created_at__lt=end)
    for g in (
        payments.values("currency")
        .annotate(n=Count("id"), total=Sum("amount"), back=Sum("refunded_amount"))
        .order_by()
    ):
        totals.add(g["currency"], g["n"], g["total"], g["back"])


def payment_totals(
    *,
    merchant: Merchant,
    test: bool,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: TotalsFilter = TotalsFilter(),
) -> Totals:
    """Count and sums of the merchant's payments created in [start, end) that match
    `filters`: exact, and in a constant number of queries whatever the volume."""
    totals = Totals()
    zone_name = merchant.time_zone
    if merchant.totals_time_zone != zone_name:
        # The rebuild for a new zone has not run yet: count everything live.
        _live(merchant, test, filters.q(), start, end, totals)
        return totals.tidy()
    zone = ZoneInfo(zone_name)
    first, after = whole_days(start, end, zone)
    if first is not None and after is not None and first >= after:
        _live(merchant, test, filters.q(), start, end, totals)
        return totals.tidy()
    if start is not None and _midnight(first, zone) > start:
        _live(merchant, test, filters.q(), start, _midnight(first, zone), totals)
    if end is not None and _midnight(after, zone) < end:
        _live(merchant, test, filters.q(), _midnight(after, zone), end, totals)
    # Whole months inside the whole days come from the monthly rows, the days around
    # them from the daily rows: a year reads a dozen rows per key, not 365.
    month_first = first if first is None or first.day == 1 else _next_month(first)
    month_after = None if after is None else after.replace(day=1)
    sources: list[tuple[type[PeriodTotal], Q]] = []
    if month_first is not None and month_after is not None and month_first >= month_after:
        sources.append((DailyTotal, _span(first, after)))
    else:
        days = []
        if first is not None and first < month_first:
            days.append(_span(first, month_first))
        if after is not None and month_after < after:
            days.append(_span(month_after, after))
        if days:
            sources.append((DailyTotal, reduce(operator.or_, days)))
        sources.append((MonthlyTotal, _span(month_first, month_after)))
    # Changes not folded in yet count on top; one statement reads all, so a fold running
    # meanwhile is seen either before or after, never halfway.
    sources.append((TotalDelta, _span(first, after)))
    parts = [
        model.objects.filter(span, filters.q(), merchant=merchant, test=test, time_zone=zone_name)
        .values("currency")
        .annotate(n=Sum("count"), total=Sum("amount"), back=Sum("refunded"))
        .order_by()
        for model, span in sources
    ]
    for g in parts[0].union(*parts[1:], all=True):
        totals.add(g["currency"], g["n"] or 0, g["total"] or 0, g["back"] or 0)
    return totals.tidy()


def daily_rows(
    *,
    merchant: Merchant,
    test: bool,
    first: date,
    after: date,
    filters: TotalsFilter = TotalsFilter(),
    by: tuple[str, ...] = ("day", "status", "currency"),
) -> list[dict]:
    """The daily totals of whole local days [first, after), grouped by `by` (any of day,
    shop_id, status, method, currency): for dashboards and day-by-day reports. Each dict
    has the `by` keys and count, amount, refunded. Requires complete totals; if the zone's
    rebuild is pending, the days are counted live."""
    if merchant.totals_time_zone == merchant.time_zone:
        parts = [
            model.objects.filter(
                filters.q(),
                merchant=merchant,
                test=test,
                time_zone=merchant.time_zone,
                day__gte=first,
                day__lt=after,
            )
            .values(*by)
            .annotate(n=Sum("count"), total=Sum("amount"), back=Sum("refunded"))
            .order_by()
            for model in (DailyTotal, TotalDelta)
        ]
        grouped = parts[0].union(parts[1], all=True)
    else:
        zone = ZoneInfo(merchant.time_zone)
        grouped = (
            Payment.objects.filter(
                filters.q(),
                merchant=merchant,
                test=test,
                created_at__gte=_midnight(first, zone),
                created_at__lt=_midnight(after, zone),
            )
            .annotate(day=TruncDate("created_at", tzinfo=zone))
            .values(*by)
            .annotate(n=Count("id"), total=Sum("amount"), back=Sum("refunded_amount"))
        )
    merged: dict[tuple, dict] = defaultdict(lambda: {"count": 0, "amount": 0, "refunded": 0})
    for g in grouped.order_by():
        key = tuple(g[name] for name in by)
        row = merged[key]
        row.update({name: g[name] for name in by})
        row["count"] += g["n"] or 0
        row["amount"] += g["total"] or 0
        row["refunded"] += g["back"] or 0
    return [row for row in merged.values() if row["count"]]


def on_merchant_saved(sender, instance: Merchant, created: bool, **kwargs) -> None:
    """A merchant whose zone changed gets its totals recounted once the change commits."""
    if created or instance.totals_time_zone == instance.time_zone:
        return
    from .tasks import rebuild_daily_totals

    merchant_id = instance.pk
    transaction.on_commit(lambda: rebuild_daily_totals.delay(merchant_id), robust=True)
