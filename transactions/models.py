"""The payment record (a «transaction» in the portal), its events and its refunds.

Rows are written only through transactions.services: the state machine lives there.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inecopay.lib.money import Currency, PaymentMethod
from merchants.models import Merchant, Tariff
from shops.models import Shop

# The largest amount one payment may carry, in minor units, per currency.
MAX_AMOUNT = {
    Currency.AMD: 50_000_000_00,  # 50 million drams
    Currency.USD: 100_000_00,
    Currency.EUR: 100_000_00,
    Currency.RUB: 10_000_000_00,
}


def _payment_id() -> str:
    return "pay_" + secrets.token_hex(12)


def _refund_id() -> str:
    return "re_" + secrets.token_hex(12)


def _form_token() -> str:
    # The hosted form's address: unguessable, and unrelated to the public id.
    return secrets.token_urlsafe(24)


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")
    HY = "hy", _("Armenian")


class Actor(models.TextChoices):
    """Who or what moved a payment."""

    API = "api", _("API")
    FORM = "form", _("Payment form")
    SYSTEM = "system", _("System")
    STAFF = "staff", _("Inecopay staff")
    SIMULATION = "simulation", _("Test simulation")
    USER = "user", _("Portal user")


class PaymentQuerySet(models.QuerySet):
    def for_shop(self, shop: Shop, *, test: bool) -> PaymentQuerySet:
        return self.filter(shop=shop, test=test)


class Payment(models.Model):
    """A request to pay a shop, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Paid")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        CHARGEBACK = "chargeback", _("Chargeback")

    # Unique through Meta.constraints: a unique field would also get a pattern-ops index
    # for LIKE, which no query uses and every insert pays for.
    public_id = models.CharField(_("payment ID"), max_length=32, default=_payment_id)
    # No index of their own: every index below starts with the shop or the merchant.
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    # Denormalised from the shop so the merchant-wide list needs no join.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    test = models.BooleanField(_("test"), default=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    amount = models.BigIntegerField(_("amount, minor units"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    order_id = models.CharField(_("order number"), max_length=64)
    description = models.CharField(_("description"), max_length=255, blank=True)
    payment_methods = models.JSONField(_("payment methods"), default=list)
    delivery_enabled = models.BooleanField(_("delivery fields"), default=False)
    # Filled in by the buyer on the form: recipient, address, phone.
    delivery = models.JSONField(_("delivery details"), default=dict, blank=True)
    customer_email = models.EmailField(_("customer email"), blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    success_url = models.URLField(_("return URL after success"), max_length=500, blank=True)
    fail_url = models.URLField(_("return URL after failure"), max_length=500, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    # What the buyer paid with; never more of a card than its brand and last four digits.
    method = models.CharField(
        _("paid with"), max_length=20, choices=PaymentMethod.choices, blank=True
    )
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card last four"), max_length=4, blank=True)

    refunded_amount = models.BigIntegerField(_("refunded, minor units"), default=0)
    form_token = models.CharField(max_length=64, default=_form_token, editable=False)

    # Filled by reconciliation: the commission and the tariff version it was computed by.
    commission_amount = models.BigIntegerField(_("commission, minor units"), null=True, blank=True)
    tariff = models.ForeignKey(
        Tariff, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    succeeded_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["merchant", "test", "-created_at", "-id"], name="payment_merchant_list"
            ),
            models.Index(fields=["shop", "test", "-created_at", "-id"], name="payment_shop_list"),
            models.Index(fields=["shop", "order_id"], name="payment_shop_order"),
            models.Index(fields=["status", "expires_at"], name="payment_status_expiry"),
            # The list's search box: an exact order number or card's last four digits.
            models.Index(fields=["merchant", "test", "order_id"], name="payment_merchant_order"),
            models.Index(fields=["merchant", "test", "card_last4"], name="payment_merchant_last4"),
            # The list filtered by one status (a rare one, say chargebacks, would otherwise
            # walk the merchant's whole history), and the amount range's live count.
            models.Index(
                fields=["merchant", "test", "status", "-created_at", "-id"],
                name="payment_merchant_status",
            ),
            models.Index(fields=["merchant", "test", "amount"], name="payment_merchant_amount"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="payment_public_id_unique"),
            models.UniqueConstraint(fields=["form_token"], name="payment_form_token_unique"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("amount")),
                name="payment_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def delivery_fields(self) -> list[tuple[str, str]]:
        """The delivery details the buyer gave, labelled, in the form's order."""
        labels = {
            "recipient": _("Recipient"),
            "address": _("Delivery address"),
            "phone": _("Phone"),
        }
        known = [(labels[key], self.delivery[key]) for key in labels if key in self.delivery]
        return known + [(key, value) for key, value in self.delivery.items() if key not in labels]

    @property
    def remaining_amount(self) -> int:
        """What can still be refunded."""
        return self.amount - self.refunded_amount


class PaymentEvent(models.Model):
    """One change of a payment's status: from, to, who or what, when and why."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=20, choices=Payment.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Payment.Status.choices)
    actor = models.CharField(_("by"), max_length=20, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '∅'} → {self.to_status}"


class Refund(models.Model):
    """Money given back to the buyer from a paid payment."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")

    public_id = models.CharField(_("refund ID"), max_length=32, unique=True, default=_refund_id)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField(_("amount, minor units"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUCCEEDED
    )
    created_by = models.CharField(_("by"), max_length=20, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.public_id


class PeriodTotal(models.Model):
    """Payments counted and summed per merchant-local period of creation, shop, mode,
    status, method and currency.

    Kept exact inside the transaction of every status change (transactions.totals), so the
    list's count and totals over whole days read a few hundred rows instead of a million.
    `time_zone` is the zone the days are in: the merchant's at the time of writing. Rows of
    a zone are trusted only while it is `Merchant.totals_time_zone`, which a rebuild sets.
    """

    # No index of their own: the unique key leads with the merchant, and a lone merchant
    # index tempts the planner into filtering a merchant's every row.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    test = models.BooleanField()
    time_zone = models.CharField(max_length=64)
    # The local day; for a month, its first day.
    day = models.DateField()
    status = models.CharField(max_length=20, choices=Payment.Status.choices)
    method = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3)
    count = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)

    KEY = ["merchant", "test", "time_zone", "day", "shop", "status", "method", "currency"]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day} {self.status} {self.currency}: {self.count}"


class DailyTotal(PeriodTotal):
    class Meta:
        verbose_name = _("daily total")
        verbose_name_plural = _("daily totals")
        constraints = [models.UniqueConstraint(fields=PeriodTotal.KEY, name="daily_total_key")]


class MonthlyTotal(PeriodTotal):
    """The same per month: a year's totals read a dozen rows per key, not 365."""

    class Meta:
        verbose_name = _("monthly total")
        verbose_name_plural = _("monthly totals")
        constraints = [models.UniqueConstraint(fields=PeriodTotal.KEY, name="monthly_total_key")]


class TotalDelta(PeriodTotal):
    """A change to the totals not yet folded into them: payment writes only insert these
    (no row is shared between concurrent payments, so none waits for another), and a
    frequent task moves them into the daily and monthly rows. Reads add the two."""

    class Meta:
        verbose_name = _("totals change")
        verbose_name_plural = _("totals changes")
        indexes = [
            models.Index(fields=["merchant", "test", "time_zone", "day"], name="total_delta_key")
        ]
