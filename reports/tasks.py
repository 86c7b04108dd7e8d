"""Background work on the report day totals (reports.totals)."""

from __future__ import annotations

from celery import shared_task

from .totals import report_totals_compact, report_totals_rebuild, stale_merchant_ids

COMPACT_BATCH = 10_000
# Merchants rebuilt per beat run: after a deploy every merchant with history needs one.
STALE_PER_RUN = 50


@shared_task(acks_late=True, ignore_result=True)
def compact_report_totals() -> int:
    """Run by beat every few seconds: fold pending report day changes into the totals
    (idempotent: what is folded is gone from the pending table)."""
    folded = total = report_totals_compact(limit=COMPACT_BATCH)
    while folded == COMPACT_BATCH:
        folded = report_totals_compact(limit=COMPACT_BATCH)
        total += folded
    return total


@shared_task(acks_late=True, ignore_result=True)
def rebuild_report_totals(merchant_id: int) -> int:
    """Recount one merchant's report day totals (after a change of its time zone)."""
    return report_totals_rebuild(merchant_id=merchant_id)


@shared_task(acks_late=True, ignore_result=True)
def rebuild_stale_report_totals() -> int:
    """Run by beat: rebuild the report totals of merchants not complete in their zone (a
    zone changed and its task was lost, or history from before the totals: the backfill
    after deploy). Idempotent."""
    stale = stale_merchant_ids(limit=STALE_PER_RUN)
    for merchant_id in stale:
        report_totals_rebuild(merchant_id=merchant_id)
    return len(stale)
