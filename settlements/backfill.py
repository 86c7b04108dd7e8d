"""The ledger of payments that were written outside the state machine (the demo's history,
an import): their entries recreated from the payments, refunds and chargeback events, as
the ledger would have written them at the time."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from merchants.models import Merchant, User
from transactions.models import Payment, PaymentEvent, Refund
from transactions.totals import local_day

from .ledger import accepted_tariff, commission_returned, ledger_write, rate_fee
from .models import LedgerEntry, Payout
from .services import payout_mark_paid, payouts_build, settlements_build

Kind = LedgerEntry.Kind
Status = Payment.Status
PAID = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.CHARGEBACK)


@transaction.atomic
def ledger_backfill(*, merchant_id: int) -> int:
    """Write the entries of the merchant's paid live payments that have none. Returns the
    number of entries written; a second run writes none."""
    merchant = Merchant.objects.get(pk=merchant_id)
    zone = merchant.time_zone
    tariff = accepted_tariff(merchant_id)
    rates = {rate.method: rate for rate in tariff.rates.all()} if tariff else {}
    payments = list(
        Payment.objects.filter(merchant_id=merchant_id, test=False, status__in=PAID)
        .exclude(pk__in=LedgerEntry.objects.filter(kind=Kind.GROSS).values("payment_id"))
        .order_by("succeeded_at", "id")
    )
    by_id = {p.pk: p for p in payments}
    refunds = defaultdict(list)
    for refund in Refund.objects.filter(payment_id__in=by_id).order_by("created_at", "id"):
        refunds[refund.payment_id].append(refund)
    chargebacks = dict(
        PaymentEvent.objects.filter(payment_id__in=by_id, to_status=Status.CHARGEBACK).values_list(
            "payment_id", "created_at"
        )
    )
    entries = []

    def entry(payment, kind, amount, when, **links):
        entries.append(
            LedgerEntry(
                merchant_id=merchant_id,
                currency=payment.currency,
                kind=kind,
                amount=amount,
                day=local_day(when, zone),
                occurred_at=when,
                payment=payment,
                **links,
            )
        )

    for payment in payments:
        paid_at = payment.succeeded_at or payment.created_at
        commission = rate_fee(rates.get(payment.method), payment.amount, payment.currency)
        payment.commission_amount, payment.tariff = commission, tariff
        entry(payment, Kind.GROSS, payment.amount, paid_at)
        if commission:
            entry(payment, Kind.COMMISSION, -commission, paid_at)
        refunded = 0
        for refund in refunds[payment.pk]:
            entry(payment, Kind.REFUND, -refund.amount, refund.created_at, refund=refund)
            before, refunded = refunded, refunded + refund.amount
            if tariff and tariff.refund_returns_commission and commission:
                back = commission_returned(
                    commission=commission, amount=payment.amount, refunded=refunded
                ) - commission_returned(
                    commission=commission, amount=payment.amount, refunded=before
                )
                if back:
                    entry(payment, Kind.COMMISSION_RETURN, back, refund.created_at, refund=refund)
        if payment.pk in chargebacks and payment.amount > refunded:
            entry(payment, Kind.CHARGEBACK, -(payment.amount - refunded), chargebacks[payment.pk])
    Payment.objects.bulk_update(payments, ["commission_amount", "tariff"], batch_size=1000)
    ledger_write(entries)
    return len(entries)


def settle_history(*, merchant_id: int, staff: User, first: date, now: datetime | None = None):
    """Settle the days since `first` one by one, as the hourly task would have, and pay
    every payout that fell due before today with a bank reference (demo data)."""
    now = now or timezone.now()
    zone = ZoneInfo(Merchant.objects.get(pk=merchant_id).time_zone)
    today = now.astimezone(zone).date()
    day = first
    while day < today:
        moment = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
        settlements_build(now=moment + timedelta(hours=1))
        payouts_build()
        for payout in Payout.objects.filter(
            merchant_id=merchant_id, status=Payout.Status.DUE, due_on__lt=today
        ):
            payout_mark_paid(
                payout=payout,
                reference=f"AMERIA-{payout.due_on:%Y%m%d}-{payout.currency}",
                paid_on=payout.due_on,
                staff=staff,
            )
        day += timedelta(days=1)
