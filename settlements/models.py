"""Money owed to merchants: the ledger of movements, daily settlements and payouts.

Every movement of a live payment (its gross when paid, commission, refunds and the
commission they give back, chargebacks) is a LedgerEntry written in the same transaction
as the payment's event; payouts and staff adjustments are entries too. A balance is the
sum of entries, so `opening + movements = closing` holds for any split of any period.
Settlements group a day's entries; payouts pay settlements. Neither changes once made:
corrections are new Adjustment rows.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inecopay.lib.money import Currency
from merchants.models import Merchant
from transactions.models import Payment, Refund


class Holiday(models.Model):
    """A public holiday on which no payout is made (weekends never are)."""

    day = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.name}"


class PayoutSchedule(models.Model):
    """How many business days after a settled day its money is paid out (T+n)."""

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="payout_schedule"
    )
    delay_days = models.PositiveSmallIntegerField(_("business days after the day"), default=1)

    class Meta:
        verbose_name = _("payout schedule")
        verbose_name_plural = _("payout schedules")

    def __str__(self) -> str:
        return f"{self.merchant}: T+{self.delay_days}"


class Payout(models.Model):
    """A bank transfer of settled money to the merchant."""

    class Status(models.TextChoices):
        DUE = "due", pgettext_lazy("payout", "Due")
        PAID = "paid", pgettext_lazy("payout", "Paid")
        REJECTED = "rejected", pgettext_lazy("payout", "Rejected")

    public_id = models.UUIDField(_("payout ID"), default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payouts")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    amount = models.BigIntegerField(_("amount, minor units"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DUE, db_index=True
    )
    reference = models.CharField(_("bank transfer reference"), max_length=100, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-due_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payout_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.currency} {self.amount} due {self.due_on}"


class SettlementQuerySet(models.QuerySet):
    def closed(self) -> SettlementQuerySet:
        return self.filter(closed_at__isnull=False)

    def open(self) -> SettlementQuerySet:
        return self.filter(closed_at__isnull=True)


class Settlement(models.Model):
    """One merchant's movements in one currency on one local day, with what is payable.

    Opened by the day's first entry (entries know their settlement from the moment they are
    written), closed once the day is over: closing sums its entries, and from then on
    neither the figures nor the membership change.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="settlements")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    day = models.DateField(_("day"))
    payments_count = models.PositiveIntegerField(_("payments"), default=0)
    gross = models.BigIntegerField(_("gross"), default=0)
    refunds = models.BigIntegerField(_("refunds"), default=0)
    chargebacks = models.BigIntegerField(_("chargebacks"), default=0)
    # Commission charged, less commission given back by refunds.
    commission = models.BigIntegerField(_("commission"), default=0)
    adjustments = models.BigIntegerField(_("adjustments"), default=0)
    net = models.BigIntegerField(_("net payable"), default=0)
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="settlements"
    )
    batch = models.UUIDField(editable=False, null=True, blank=True)
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("settled"), null=True, blank=True)

    objects = SettlementQuerySet.as_manager()

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-day", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "currency", "day"], name="settlement_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.currency} {self.day}"


class Adjustment(models.Model):
    """A correction by staff, with its reason: the merchant sees it on the reconciliation."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="adjustments")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    amount = models.BigIntegerField(
        _("amount, minor units"),
        help_text=_("Positive adds to what Inecopay owes the merchant, negative takes away."),
    )
    reason = models.CharField(_("reason"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="adjustment_amount_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.currency} {self.amount:+d}: {self.reason}"


class LedgerEntry(models.Model):
    """One movement of what Inecopay owes a merchant; `amount` is signed accordingly."""

    class Kind(models.TextChoices):
        GROSS = "gross", _("Payment")
        REFUND = "refund", _("Refund")
        CHARGEBACK = "chargeback", _("Chargeback")
        COMMISSION = "commission", _("Commission")
        COMMISSION_RETURN = "commission_return", _("Commission returned")
        ADJUSTMENT = "adjustment", _("Adjustment")
        PAYOUT = "payout", _("Payout")

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField()
    # The merchant-local day the movement happened on: periods are sums over days.
    day = models.DateField()
    occurred_at = models.DateTimeField(default=timezone.now)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    adjustment = models.ForeignKey(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["day", "id"]
        indexes = [
            models.Index(fields=["merchant", "currency", "day"], name="ledger_merchant_day"),
            models.Index(
                fields=["merchant", "currency", "day"],
                name="ledger_unsettled",
                condition=models.Q(settlement__isnull=True),
            ),
        ]
        constraints = [
            # A payment is paid, charged commission and charged back at most once.
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=models.Q(
                    kind__in=["gross", "commission", "chargeback"], payment__isnull=False
                ),
                name="ledger_once_per_payment",
            ),
            models.UniqueConstraint(
                fields=["refund", "kind"],
                condition=models.Q(refund__isnull=False),
                name="ledger_once_per_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.amount:+d} {self.currency}"
