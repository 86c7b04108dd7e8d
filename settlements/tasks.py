"""Background work of settlements."""

from __future__ import annotations

from celery import shared_task

from .services import settle


@shared_task(acks_late=True, ignore_result=True)
def build_settlements() -> tuple[int, int]:
    """Run by beat every hour: settle each merchant's finished local days and make the
    payouts they allow. Idempotent, so a repeat or an overlap changes nothing."""
    return settle()
