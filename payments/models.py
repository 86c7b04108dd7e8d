"""What the API keeps beside the payment core: idempotent results and webhook deliveries."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import Shop


class IdempotencyKey(models.Model):
    """The response to a POST made with an Idempotency-Key, kept 24 hours per key and shop.

    The unique constraint is what makes concurrent requests with one key create one
    payment: the second insert waits for the first transaction and then finds its row.
    """

    # No index of its own: the unique constraint starts with the shop.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    test = models.BooleanField(_("test"))
    key = models.CharField(_("idempotency key"), max_length=255)
    # SHA-256 of the method, path and canonical JSON body: "the same request".
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["shop", "test", "key"], name="idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return self.key


def _event_id() -> str:
    return "evt_" + secrets.token_hex(12)


class WebhookDelivery(models.Model):
    """One event sent to a shop's result URL: its body (signed afresh at every attempt)
    and where its delivery stands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being delivered")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Gave up")

    public_id = models.CharField(_("event ID"), max_length=32, unique=True, default=_event_id)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_deliveries")
    payment = models.ForeignKey(
        "transactions.Payment", on_delete=models.CASCADE, related_name="+", null=True
    )
    # One delivery per payment event: the unique constraint keeps a repeated hook harmless.
    payment_event = models.OneToOneField(
        "transactions.PaymentEvent", on_delete=models.CASCADE, related_name="+", null=True
    )
    type = models.CharField(_("type"), max_length=40)
    test = models.BooleanField(_("test"))
    url = models.URLField(_("URL"), max_length=500)
    # The exact bytes sent, so every retry carries the same body.
    body = models.TextField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="webhook_shop_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class WebhookAttempt(models.Model):
    """One try at delivering: the shop's delivery log shows each of them."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    url = models.URLField(_("URL"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration, ms"), default=0)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.created_at:%Y-%m-%d %H:%M:%S} {self.status_code}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookAction(models.Model):
    """Who resent a delivery or sent a test webhook, and when: shown in the webhook log,
    in the shape of the shops' key events."""

    class Action(models.TextChoices):
        RESENT = "resent", _("Resend requested")
        TEST_SENT = "test_sent", _("Test webhook sent")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_actions")
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook action")
        verbose_name_plural = _("webhook actions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-created_at"], name="webhook_action_log")]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.get_action_display()}"


class WebhookEndpointFlag(models.Model):
    """A shop's result URL that failed: a delivery gave up after three days of retries.

    One open flag per shop (the partial unique constraint), so the owners are emailed once
    per failing streak; a successful delivery to the shop closes it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_flags")
    url = models.URLField(_("URL"), max_length=500)
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    flagged_at = models.DateTimeField(_("flagged"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)

    class Meta:
        verbose_name = _("failing webhook endpoint")
        verbose_name_plural = _("failing webhook endpoints")
        ordering = ["-flagged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop"],
                condition=models.Q(cleared_at__isnull=True),
                name="webhook_flag_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.url}"
