"""The figures of «По дням» and «По месяцам», kept per merchant-local day (reports.totals).

These are the report's own definitions, not the dashboard's daily totals
(transactions.DailyTotal, keyed by the day a payment was created and its current status):
a payment counts on the local day it succeeded, whatever became of it later; a refund on
the local day it was made; commission is what settlements charged on the payments counted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merchants.models import Merchant
from shops.models import Shop


class ReportDayFigures(models.Model):
    """What one local day of one shop, mode and currency adds up to, in minor units."""

    # No index of their own: the unique key (and the deltas' index) leads with the merchant.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    test = models.BooleanField()
    # The zone `day` is local to: the merchant's when written. Rows of a zone are trusted
    # only while ReportTotalsState says the merchant's figures are complete in it.
    time_zone = models.CharField(max_length=64)
    day = models.DateField()
    currency = models.CharField(max_length=3)
    count = models.BigIntegerField(default=0)
    gross = models.BigIntegerField(default=0)
    refunds = models.BigIntegerField(default=0)
    commission = models.BigIntegerField(default=0)

    KEY = ["merchant", "test", "time_zone", "day", "shop", "currency"]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day} {self.currency}: {self.count}"


class ReportDayTotal(ReportDayFigures):
    """The compacted figures: one row per key, written only by the compaction and the
    rebuild (never inside a payment's transaction, so payments never queue on it)."""

    class Meta:
        verbose_name = _("report day total")
        verbose_name_plural = _("report day totals")
        constraints = [
            models.UniqueConstraint(fields=ReportDayFigures.KEY, name="report_day_total_key")
        ]


class ReportDayDelta(ReportDayFigures):
    """A change not folded into the totals yet: payment events only insert these, and a
    frequent task folds them in. Reads add both in one statement."""

    class Meta:
        verbose_name = _("report day change")
        verbose_name_plural = _("report day changes")
        indexes = [
            models.Index(
                fields=["merchant", "test", "time_zone", "day"], name="report_day_delta_key"
            )
        ]


class ReportTotalsState(models.Model):
    """The zone a merchant's report day totals are complete in. No row: not complete (a
    merchant with history from before the totals, until its rebuild has run)."""

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    time_zone = models.CharField(max_length=64)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report totals state")
        verbose_name_plural = _("report totals states")

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.time_zone}"
