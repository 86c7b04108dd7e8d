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


@shared_task(acks_late=True, ignore_result=True)
def rebuild_daily_totals(merchant_id: int) -> int:
    """Recount one merchant's daily totals (after a change of its time zone)."""
    from .totals import daily_totals_rebuild

    return daily_totals_rebuild(merchant_id=merchant_id)


@shared_task(acks_late=True, ignore_result=True)
def rebuild_stale_daily_totals() -> int:
    """Run by beat: rebuild the totals of merchants whose zone changed since the last
    rebuild (a safety net for a lost task; idempotent)."""
    from django.db.models import F

    from merchants.models import Merchant

    from .totals import daily_totals_rebuild

    stale = Merchant.objects.exclude(totals_time_zone=F("time_zone")).values_list("pk", flat=True)
    for merchant_id in stale:
        daily_totals_rebuild(merchant_id=merchant_id)
    return len(stale)


@shared_task(acks_late=True, ignore_result=True)
def compact_totals() -> int:
    """Run by beat every few seconds: fold pending totals changes into the daily and
    monthly rows (idempotent: what is folded is gone from the pending table)."""
    from .totals import totals_compact

    return totals_compact()
