"""Report day totals: the figures of «По дням» and «По месяцам» kept per local day.

Definitions (the same as counting the payments and refunds themselves, `count_figures`):
a payment counts, with its amount, on the merchant-local day it succeeded (whatever became
of it later: a chargeback changes nothing here); a refund on the local day it was made;
commission is what settlements charged when the payment succeeded, on that same day.

Writes happen inside the transaction of each change and only insert ReportDayDelta rows
(under a shared per-merchant advisory lock that only a rebuild takes exclusively), so
concurrent payments of one shop never wait for each other here:
- a payment becoming succeeded: count and gross (`on_payment_event_written`);
- its commission, once settlements has set it (`on_commission_charged`: settlements'
  ledger receiver runs after ours, so it tells us rather than we read it);
- a refund: its amount (`on_payment_event_written`).

`report_totals_compact` folds the deltas into ReportDayTotal; `report_day_figures` reads
both in one statement, so a fold running meanwhile is seen before or after, never halfway.
`report_totals_rebuild` recounts a merchant from its payments and refunds in its current
zone and records that zone in ReportTotalsState: the figures are trusted only while that
zone is the merchant's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from merchants.models import Merchant
from transactions.models import Payment, PaymentEvent, Refund

from .models import ReportDayDelta, ReportDayTotal, ReportTotalsState

if TYPE_CHECKING:
    from .selectors import Figures

Status = Payment.Status
# (test, shop_id, currency, day) → [count, gross, refunds, commission]
Key = tuple[bool, int, str, date]
SUMS = ("count", "gross", "refunds", "commission")
_COLUMNS = ("merchant_id", "test", "time_zone", "day", "shop_id", "currency", *SUMS)


def _local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


# ---------------------------------------------------------------------------
# Writing, inside the payment's transaction
# ---------------------------------------------------------------------------
# Advisory lock keys (namespace, merchant): writers of a merchant's changes hold it shared
# (they never wait for each other), its rebuild exclusively (it waits for the changes in
# flight and holds new ones back until the recount commits; other merchants go on).
_LOCK_NAMESPACE = 0x52445454


def _merchant_lock(merchant_id: int, *, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [_LOCK_NAMESPACE, merchant_id & 0x7FFFFFFF])


def _delta(payment: Payment, moment: datetime, **sums: int) -> None:
    zone = payment.merchant.time_zone
    _merchant_lock(payment.merchant_id, exclusive=False)
    ReportDayDelta.objects.create(
        merchant_id=payment.merchant_id,
        shop_id=payment.shop_id,
        test=payment.test,
        time_zone=zone,
        day=_local_day(moment, zone),
        currency=payment.currency,
        **sums,
    )


def on_payment_event_written(sender, event: PaymentEvent, **kwargs) -> None:
    """Receiver of the payment core's in-transaction hook: a success counts the payment,
    a refund its amount. Other changes (a chargeback among them) leave the figures as
    they are."""
    payment = event.payment
    if event.to_status == Status.SUCCEEDED:
        _delta(payment, payment.succeeded_at, count=1, gross=payment.amount)
    elif event.to_status in (Status.PARTIALLY_REFUNDED, Status.REFUNDED):
        # The refund's own time: it was taken a moment before the event's.
        refund = Refund.objects.only("amount", "created_at").get(public_id=event.data["refund"])
        _delta(payment, refund.created_at, refunds=refund.amount)


def on_commission_charged(sender, payment: Payment, commission: int, **kwargs) -> None:
    """Receiver of settlements' hook: the commission on the day the payment succeeded."""
    if commission:
        _delta(payment, payment.succeeded_at, commission=commission)


# ---------------------------------------------------------------------------
# Counting from the payments and refunds themselves
# ---------------------------------------------------------------------------
def count_figures(
    *,
    merchant_id: int,
    zone: str,
    test: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    shop_ids: Iterable[int] = (),
) -> dict[Key, list[int]]:
    """The figures counted from Payment and Refund (two grouped queries), per
    (test, shop, currency, local day in `zone`), of changes in [start, end)."""
    tz = ZoneInfo(zone)
    payments = Payment.objects.filter(merchant_id=merchant_id, succeeded_at__isnull=False)
    refunds = Refund.objects.filter(
        payment__merchant_id=merchant_id, status=Refund.Status.SUCCEEDED
    )
    if test is not None:
        payments = payments.filter(test=test)
        refunds = refunds.filter(payment__test=test)
    if start is not None:
        payments = payments.filter(succeeded_at__gte=start)
        refunds = refunds.filter(created_at__gte=start)
    if end is not None:
        payments = payments.filter(succeeded_at__lt=end)
        refunds = refunds.filter(created_at__lt=end)
    shop_ids = tuple(shop_ids)
    if shop_ids:
        payments = payments.filter(shop_id__in=shop_ids)
        refunds = refunds.filter(payment__shop_id__in=shop_ids)
    figures: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    paid = (
        payments.annotate(local=TruncDate("succeeded_at", tzinfo=tz))
        .values("test", "shop_id", "currency", "local")
        .annotate(
            n=Count("id"),
            gross=Sum("amount"),
            # A payment settlements charged nothing (test, no tariff) counts as 0.
            commission=Coalesce(Sum("commission_amount"), 0),
        )
        .order_by()
    )
    for row in paid:
        sums = figures[(row["test"], row["shop_id"], row["currency"], row["local"])]
        sums[0] += row["n"]
        sums[1] += row["gross"] or 0
        sums[3] += row["commission"] or 0
    given_back = (
        refunds.annotate(local=TruncDate("created_at", tzinfo=tz))
        .values("payment__test", "payment__shop_id", "payment__currency", "local")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in given_back:
        key = (row["payment__test"], row["payment__shop_id"], row["payment__currency"])
        figures[(*key, row["local"])][2] += row["total"] or 0
    return dict(figures)


# ---------------------------------------------------------------------------
# Folding and rebuilding
# ---------------------------------------------------------------------------
def _upsert_sql() -> str:
    # Only the model's own table and column names go into the text; values are parameters.
    table = connection.ops.quote_name(ReportDayTotal._meta.db_table)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    sums = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in SUMS)
    return (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "  # noqa: S608  # nosec B608  # quoted table and fixed column names; values are parameters
        f"ON CONFLICT (merchant_id, test, time_zone, day, shop_id, currency) "
        f"DO UPDATE SET {sums}"
    )


def _add(rows: Iterable[tuple]) -> None:
    """Add each row's sums to its key's total, creating it if missing."""
    rows = sorted(rows)  # one lock order for every writer: no deadlocks between them
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(), rows)


@transaction.atomic
def report_totals_compact(*, limit: int = 10_000) -> int:
    """Fold up to `limit` pending changes into the totals, atomically. Idempotent and safe
    to run twice at once: each takes rows the other has not locked. Returns how many."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ReportDayDelta._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN ("  # noqa: S608  # nosec B608  # quoted table and fixed column names; the limit is a parameter
                f"SELECT id FROM {table} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"RETURNING {', '.join(_COLUMNS)}",
                [limit],
            )
            rows = cursor.fetchall()
    else:
        ids = list(ReportDayDelta.objects.order_by("id").values_list("id", flat=True)[:limit])
        pending = ReportDayDelta.objects.filter(id__in=ids)
        rows = list(pending.values_list(*_COLUMNS))
        pending.delete()
    merged: dict[tuple, list[int]] = {}
    for row in rows:
        sums = merged.setdefault(tuple(row[:6]), [0, 0, 0, 0])
        for i, value in enumerate(row[6:]):
            sums[i] += value
    _add((*key, *sums) for key, sums in merged.items() if any(sums))
    return len(rows)


@transaction.atomic
def report_totals_rebuild(*, merchant_id: int) -> int:
    """Recount a merchant's report day totals in its current zone and mark them complete
    in it. Idempotent. The merchant's payment changes wait while it runs (the merchant's
    advisory lock, exclusive; other merchants' do not), so no change slips between
    dropping the pending ones and the recount: they add up exactly.
    Returns the number of rows written."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant_id)
    zone = merchant.time_zone
    _merchant_lock(merchant_id, exclusive=True)
    ReportDayDelta.objects.filter(merchant_id=merchant_id).delete()
    ReportDayTotal.objects.filter(merchant_id=merchant_id).delete()
    figures = count_figures(merchant_id=merchant_id, zone=zone)
    ReportDayTotal.objects.bulk_create(
        [
            ReportDayTotal(
                merchant_id=merchant_id,
                test=test,
                time_zone=zone,
                day=day,
                shop_id=shop_id,
                currency=currency,
                **dict(zip(SUMS, sums, strict=True)),
            )
            for (test, shop_id, currency, day), sums in sorted(figures.items())
        ],
        batch_size=2000,
    )
    ReportTotalsState.objects.update_or_create(
        merchant_id=merchant_id, defaults={"time_zone": zone, "rebuilt_at": timezone.now()}
    )
    return len(figures)


def stale_merchant_ids(*, limit: int | None = None) -> list[int]:
    """Merchants whose report totals are not complete in their current zone."""
    complete = ReportTotalsState.objects.filter(
        merchant=OuterRef("pk"), time_zone=OuterRef("time_zone")
    )
    stale = Merchant.objects.filter(~Exists(complete)).order_by("pk").values_list("pk", flat=True)
    return list(stale[:limit] if limit else stale)


def on_merchant_saved(sender, instance: Merchant, created: bool, raw: bool = False, **kwargs):
    """A new merchant's (empty) totals are complete in its zone; a merchant whose zone
    changed gets them recounted once the change commits."""
    if raw:
        return
    if created:
        ReportTotalsState.objects.get_or_create(
            merchant=instance, defaults={"time_zone": instance.time_zone}
        )
        return
    # The payment core's totals marker lags a change of zone until its own rebuild: a
    # free way to notice one here (the beat task catches any other, see tasks).
    if instance.totals_time_zone == instance.time_zone:
        return
    from .tasks import rebuild_report_totals

    merchant_id = instance.pk
    transaction.on_commit(lambda: rebuild_report_totals.delay(merchant_id), robust=True)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
def totals_complete(merchant: Merchant, zone: str) -> bool:
    """Whether the merchant's report day totals can answer for days local to `zone`."""
    return (
        merchant.time_zone == zone
        and ReportTotalsState.objects.filter(merchant=merchant, time_zone=zone).exists()
    )


def report_day_figures(
    *,
    merchant: Merchant,
    test: bool,
    zone: str,
    first: date,
    after: date,
    shop_ids: Iterable[int] = (),
) -> dict[str, dict[date, Figures]]:
    """Per currency, the figures of each local day in [first, after) that has any, from
    the totals and the pending changes in one statement. Requires complete totals."""
    from .selectors import Figures

    shop_ids = tuple(shop_ids)
    parts = []
    for model in (ReportDayTotal, ReportDayDelta):
        rows = model.objects.filter(
            merchant=merchant, test=test, time_zone=zone, day__gte=first, day__lt=after
        )
        if shop_ids:
            rows = rows.filter(shop_id__in=shop_ids)
        parts.append(
            rows.values("currency", "day")
            .annotate(n=Sum("count"), g=Sum("gross"), r=Sum("refunds"), c=Sum("commission"))
            .order_by()
        )
    figures: dict[str, dict[date, Figures]] = defaultdict(lambda: defaultdict(Figures))
    for row in parts[0].union(parts[1], all=True):
        figures[row["currency"]][row["day"]].add(
            Figures(row["n"] or 0, row["g"] or 0, row["r"] or 0, row["c"] or 0)
        )
    return {
        currency: {day: f for day, f in days.items() if f != Figures()}
        for currency, days in figures.items()
        if any(f != Figures() for f in days.values())
    }
