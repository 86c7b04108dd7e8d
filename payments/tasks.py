"""Background work of the API."""

from __future__ import annotations

from celery import shared_task

from .idempotency import idempotency_keys_purge


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    """Run by beat hourly: forget Idempotency-Keys past their 24 hours."""
    return idempotency_keys_purge()


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a webhook delivery; the service schedules the next on failure."""
    from .webhooks import webhook_delivery_attempt

    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def retry_due_webhooks() -> int:
    """Run by beat every minute: queue the deliveries whose next attempt is due."""
    from .webhooks import webhook_deliveries_due

    due = webhook_deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)
