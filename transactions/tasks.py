"""Background work on payments."""

from __future__ import annotations

from celery import shared_task

from .services import payment_expire_due


@shared_task(acks_late=True, ignore_result=True)
def expire_due_payments() -> int:
    """Run by beat every minute: pending payments past their lifetime become expired."""
    return payment_expire_due()
