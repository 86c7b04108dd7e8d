"""Background work on payments."""

from __future__ import annotations

from celery import shared_task

from .services import payment_decline_stale_processing, payment_expire_due


@shared_task(acks_late=True, ignore_result=True)
def expire_due_payments() -> int:
    """Run by beat every minute: pending payments past their lifetime become expired."""
    return payment_expire_due()


@shared_task(acks_late=True, ignore_result=True)
def decline_stale_processing() -> int:
    """Run by beat every minute: payments stuck in processing past the timeout are declined."""
    return payment_decline_stale_processing()
