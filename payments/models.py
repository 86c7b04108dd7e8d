"""What the API keeps beside the payment core: the results of idempotent requests."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import Shop


class IdempotencyKey(models.Model):
    """The response to a POST made with an Idempotency-Key, kept 24 hours per key and shop.

    The unique constraint is what makes concurrent requests with one key create one
    payment: the second insert waits for the first transaction and then finds its row.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
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
