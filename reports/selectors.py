"""Reads for reports: the day-by-day figures of a merchant's payments and refunds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDate

from transactions.models import Payment, Refund

from .registry import ReportRequest


@dataclass
class Figures:
    """What one local day (or month) of one currency adds up to, in minor units.

    - count: payments that succeeded in it (by `succeeded_at`, whatever became of them later);
    - gross: their amounts;
    - refunds: refunds made in it (by the refund's own time, whichever day it paid back);
    - commission: Inecopay's commission on the payments counted (not yet reconciled: 0);
    - net = gross − refunds − commission.
    """

    count: int = 0
    gross: int = 0
    refunds: int = 0
    commission: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.refunds - self.commission

    def add(self, other: Figures) -> None:
        self.count += other.count
        self.gross += other.gross
        self.refunds += other.refunds
        self.commission += other.commission


def daily_figures(request: ReportRequest) -> dict[str, dict[date, Figures]]:
    """Per currency, the figures of each local day of the period that has any.

    Two grouped queries whatever the volume: payments by the local day they succeeded,
    refunds by the local day they were made. Days are in the period's zone.
    """
    zone = ZoneInfo(request.period.zone)
    start, end = request.period.start, request.period.end
    payments = Payment.objects.filter(
        merchant=request.merchant,
        test=request.test,
        succeeded_at__gte=start,
        succeeded_at__lt=end,
    )
    refunds = Refund.objects.filter(
        payment__merchant=request.merchant,
        payment__test=request.test,
        status=Refund.Status.SUCCEEDED,
        created_at__gte=start,
        created_at__lt=end,
    )
    if request.shop_ids:
        payments = payments.filter(shop_id__in=request.shop_ids)
        refunds = refunds.filter(payment__shop_id__in=request.shop_ids)

    figures: dict[str, dict[date, Figures]] = defaultdict(lambda: defaultdict(Figures))
    paid = (
        payments.annotate(day=TruncDate("succeeded_at", tzinfo=zone))
        .values("currency", "day")
        .annotate(
            n=Count("id"),
            gross=Sum("amount"),
            # Filled by reconciliation; a payment not yet reconciled counts as 0 so far.
            commission=Coalesce(Sum("commission_amount"), 0),
        )
        .order_by()
    )
    for row in paid:
        day = figures[row["currency"]][row["day"]]
        day.count += row["n"]
        day.gross += row["gross"] or 0
        day.commission += row["commission"] or 0
    given_back = (
        refunds.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("payment__currency", "day")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in given_back:
        figures[row["payment__currency"]][row["day"]].refunds += row["total"] or 0
    return {currency: dict(days) for currency, days in figures.items()}
