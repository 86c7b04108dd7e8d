"""«On each payment»: the succeeded payments and refunds of a subscription's window.

A payment succeeds at most a shop's longest invoice lifetime plus the processing timeout
after it was created, so the window's payments are looked for among those created since
then: the merchant's list index (merchant, test, created_at) bounds the scan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from shops.models import INVOICE_LIFETIME_MAX
from transactions.models import Payment, Refund

from .models import ReportSubscription


def _created_since(start: datetime) -> datetime:
    slack = timedelta(seconds=INVOICE_LIFETIME_MAX, minutes=settings.PAYMENT_PROCESSING_TIMEOUT)
    # An hour more for the expiry and decline sweeps' own latency.
    return start - slack - timedelta(hours=1)


def effective_shop_ids(subscription: ReportSubscription) -> tuple[int, ...] | None:
    """The chosen shops that still belong to the merchant: () for all its shops, None when
    shops were chosen and none of them is the merchant's any more (nothing to report)."""
    chosen = list(subscription.shops.all())
    if not chosen:
        return ()
    mine = tuple(sorted(s.pk for s in chosen if s.merchant_id == subscription.merchant_id))
    return mine or None


def window_payments(
    subscription: ReportSubscription, shop_ids: tuple[int, ...], start: datetime, end: datetime
) -> QuerySet[Payment]:
    payments = Payment.objects.filter(
        merchant_id=subscription.merchant_id,
        test=subscription.test,
        created_at__gte=_created_since(start),
        succeeded_at__gte=start,
        succeeded_at__lt=end,
    )
    if shop_ids:
        payments = payments.filter(shop_id__in=shop_ids)
    return payments.select_related("shop").order_by("succeeded_at", "pk")


def window_refunds(
    subscription: ReportSubscription, shop_ids: tuple[int, ...], start: datetime, end: datetime
) -> QuerySet[Refund]:
    refunds = Refund.objects.filter(
        payment__merchant_id=subscription.merchant_id,
        payment__test=subscription.test,
        created_at__gte=start,
        created_at__lt=end,
    )
    if shop_ids:
        refunds = refunds.filter(payment__shop_id__in=shop_ids)
    return refunds.select_related("payment__shop").order_by("created_at", "pk")


def window_has_activity(
    subscription: ReportSubscription, shop_ids: tuple[int, ...], start: datetime, end: datetime
) -> bool:
    return (
        window_payments(subscription, shop_ids, start, end).exists()
        or window_refunds(subscription, shop_ids, start, end).exists()
    )
