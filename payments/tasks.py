"""Background work of the API."""

from __future__ import annotations

from celery import shared_task

from .idempotency import idempotency_keys_purge


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    """Run by beat hourly: forget Idempotency-Keys past their 24 hours."""
    return idempotency_keys_purge()
