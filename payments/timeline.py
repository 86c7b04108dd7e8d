"""Webhook deliveries on a payment's timeline (transactions.selectors.register_timeline_source)."""

from __future__ import annotations

from transactions.models import Payment
from transactions.selectors import TimelineEntry

from .models import WebhookDelivery


def payment_webhook_entries(payment: Payment) -> list[TimelineEntry]:
    """Each delivery sent for the payment, with its attempts' results."""
    deliveries = (
        WebhookDelivery.objects.filter(payment=payment)
        .order_by("created_at", "id")
        .prefetch_related("tries")
    )
    return [
        TimelineEntry(
            at=delivery.created_at,
            template="payments/_timeline_webhook.html",
            item=delivery,
        )
        for delivery in deliveries
    ]
