from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inecopay.lib.money import Currency, PaymentMethod
from merchants.models import Merchant

from .mcc import MCC_CHOICES

INVOICE_LIFETIME_MIN = 5 * 60
INVOICE_LIFETIME_MAX = 7 * 24 * 60 * 60
INVOICE_LIFETIME_DEFAULT = 15 * 60


def _public_id() -> str:
    return "shop_" + secrets.token_hex(8)


def _all_methods() -> list[str]:
    return list(PaymentMethod.values)


def _logo_path(instance: Shop, filename: str) -> str:
    # The name is the server's, never the uploader's.
    return f"shops/logos/{secrets.token_hex(16)}.png"


class ShopQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant) -> ShopQuerySet:
        return self.filter(merchant=merchant)

    def awaiting_review(self) -> ShopQuerySet:
        return self.filter(review_status=Shop.Review.SUBMITTED).order_by("submitted_at")


class Shop(models.Model):
    """An online shop (Интернет-магазин) of a merchant: its Section 1 and its state."""

    class Review(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        RETURNED = "returned", _("Returned for changes")

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="shops")
    public_id = models.CharField(_("shop ID"), max_length=32, unique=True, default=_public_id)
    name = models.CharField(_("name"), max_length=100)
    is_open = models.BooleanField(_("open"), default=False)
    live_mode = models.BooleanField(_("live mode"), default=False)
    review_status = models.CharField(
        _("confirmation"), max_length=20, choices=Review.choices, default=Review.DRAFT
    )
    review_reason = models.TextField(_("reason for return"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # РАЗДЕЛ 1 — общие сведения
    website = models.URLField(_("website"), max_length=500, blank=True)
    mcc = models.CharField(
        _("category of goods and services"), max_length=4, choices=MCC_CHOICES, blank=True
    )
    description = models.TextField(_("what the shop sells"), max_length=2000, blank=True)
    display_name = models.CharField(_("name on the payment form"), max_length=100, blank=True)
    logo = models.ImageField(_("logo"), upload_to=_logo_path, blank=True)
    support_email = models.EmailField(_("support email"), blank=True)
    support_phone = models.CharField(_("support phone"), max_length=20, blank=True)
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=Currency.choices, default=Currency.AMD
    )
    payment_methods = models.JSONField(_("payment methods"), default=_all_methods)
    invoice_lifetime = models.PositiveIntegerField(
        _("invoice lifetime, seconds"),
        default=INVOICE_LIFETIME_DEFAULT,
        validators=[
            MinValueValidator(INVOICE_LIFETIME_MIN),
            MaxValueValidator(INVOICE_LIFETIME_MAX),
        ],
    )
    delivery_enabled = models.BooleanField(_("delivery fields on the payment form"), default=False)
    success_url = models.URLField(_("return URL after success"), max_length=500, blank=True)
    fail_url = models.URLField(_("return URL after failure"), max_length=500, blank=True)
    webhook_url = models.URLField(_("result (webhook) URL"), max_length=500, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ShopQuerySet.as_manager()

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["merchant", "name"]),
            models.Index(fields=["review_status", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return self.name


# Section 1 fields whose change after confirmation needs a new confirmation.
REVIEWED_FIELDS = ("website", "mcc", "display_name")


class ShopChange(models.Model):
    """One entry of a shop's history: who did what, when, with the changed values."""

    class Action(models.TextChoices):
        CREATED = "created", _("Shop added")
        UPDATED = "updated", _("Section 1 saved")
        SUBMITTED = "submitted", _("Submitted for confirmation")
        CONFIRMED = "confirmed", _("Confirmed by Inecopay")
        RETURNED = "returned", _("Returned for changes")
        OPENED = "opened", _("Opened")
        CLOSED = "closed", _("Closed")
        LIVE_ON = "live_on", _("Live mode switched on")
        LIVE_OFF = "live_off", _("Live mode switched off")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    changes = models.JSONField(_("changed values"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("shop history entry")
        verbose_name_plural = _("shop history")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.shop}: {self.get_action_display()}"


class ApiKeyQuerySet(models.QuerySet):
    def usable(self, now=None) -> ApiKeyQuerySet:
        """Not revoked, and not past the grace period of a roll."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A secret of a shop, kept only as a keyed hash; shown in full once, at creation."""

    class Kind(models.TextChoices):
        SECRET_TEST = "sk_test", _("Secret key, test")
        SECRET_LIVE = "sk_live", _("Secret key, live")
        WEBHOOK = "whsec", _("Webhook signing secret")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    prefix = models.CharField(_("prefix"), max_length=24)
    last4 = models.CharField(_("last four"), max_length=4)
    key_hash = models.CharField(max_length=64, unique=True)
    # Webhook secrets must be usable for signing, so they are kept encrypted, not hashed.
    secret_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("works until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["shop", "kind", "-created_at"]
        indexes = [models.Index(fields=["shop", "kind", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.prefix}…{self.last4}"

    @property
    def masked(self) -> str:
        return f"{self.prefix}…{self.last4}"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class KeyEvent(models.Model):
    """The audit log of a shop's keys, shown to the owner."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        ROLLED = "rolled", _("Rolled")
        REVOKED = "revoked", _("Revoked")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="key_events")
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("key event")
        verbose_name_plural = _("key events")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.key}: {self.get_action_display()}"
