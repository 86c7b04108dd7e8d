"""Reads for reports: the day-by-day figures of a merchant's payments and refunds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .registry import ReportRequest
from .totals import count_figures, report_day_figures, totals_complete


@dataclass
class Figures:
    """What one local day (or month) of one currency adds up to, in minor units.

    - count: payments that succeeded in it (by `succeeded_at`, whatever became of them later);
    - gross: their amounts;
    - refunds: refunds made in it (by the refund's own time, whichever day it paid back);
    - commission: Inecopay's commission on the payments counted, as settlements charged it
      when each succeeded (0 for test payments and where there is no tariff);
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

    From the report day totals when they are complete in the period's zone (two queries:
    their state, then the totals and pending changes in one statement); otherwise counted
    from the payments and refunds (two grouped queries more). Both give the same figures.
    """
    period = request.period
    if totals_complete(request.merchant, period.zone):
        return report_day_figures(
            merchant=request.merchant,
            test=request.test,
            zone=period.zone,
            first=period.first,
            after=period.after,
            shop_ids=request.shop_ids,
        )
    return counted_figures(request)


def counted_figures(request: ReportRequest) -> dict[str, dict[date, Figures]]:
    """The same figures counted from the payments and refunds themselves."""
    counted = count_figures(
        merchant_id=request.merchant.pk,
        zone=request.period.zone,
        test=request.test,
        start=request.period.start,
        end=request.period.end,
        shop_ids=request.shop_ids,
    )
    figures: dict[str, dict[date, Figures]] = defaultdict(lambda: defaultdict(Figures))
    for (_test, _shop, currency, day), sums in counted.items():
        figures[currency][day].add(Figures(*sums))
    return {currency: dict(days) for currency, days in figures.items()}
