"""Commission and ledger entries, written inside the transaction of each payment event.

Rules (stated once, applied once):
- Commission is charged when a live payment succeeds, by the tariff version the merchant
  accepted last: `percent` of the amount rounded half-up to the minor unit, plus the fixed
  fee, and at least the minimum fee. The fixed and minimum fees are in the rate's currency
  and apply only to payments in that currency (there is no conversion); the commission
  never exceeds the payment. It is stored on the payment with the tariff and never
  recomputed when tariffs change.
- A refund gives back the proportional share of the commission if the tariff says so,
  computed on the running total so that a full refund gives back exactly the commission.
- A chargeback takes back what was not refunded; its commission is not returned.
- Test payments never enter the ledger.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.dispatch import Signal

from merchants.models import Tariff, TariffAcceptance, TariffRate
from transactions.models import Payment, PaymentEvent, Refund
from transactions.totals import local_day

from .models import LedgerEntry, Settlement

Kind = LedgerEntry.Kind
Status = Payment.Status

# Sent inside the payment's transaction once a succeeded payment's commission is set on it,
# with `payment` and `commission` (minor units, maybe 0): apps above keep figures of it.
commission_charged = Signal()


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def accepted_tariff(merchant_id: int) -> Tariff | None:
    """The newest tariff version the merchant accepted."""
    acceptance = (
        TariffAcceptance.objects.select_related("tariff")
        .filter(merchant_id=merchant_id)
        .order_by("-tariff__version")
        .first()
    )
    return acceptance.tariff if acceptance else None


def commission_for(*, tariff: Tariff | None, method: str, amount: int, currency: str) -> int:
    """The commission on a payment of `amount` minor units paid with `method`."""
    if tariff is None:
        return 0
    return rate_fee(tariff.rates.filter(method=method).first(), amount, currency)


def rate_fee(rate: TariffRate | None, amount: int, currency: str) -> int:
    """One rate's fee on `amount`: the rules at the top of this module."""
    if rate is None:
        return 0
    fee = round_half_up(Decimal(amount) * rate.percent / 100)
    if rate.currency == currency:
        fee = max(fee + rate.fixed_fee, rate.min_fee)
    return min(fee, amount)


def commission_returned(*, commission: int, amount: int, refunded: int) -> int:
    """The share of `commission` given back once `refunded` of `amount` is refunded."""
    return round_half_up(Decimal(commission) * refunded / amount)


def _entry(payment: Payment, event: PaymentEvent, kind: str, amount: int, **links) -> LedgerEntry:
    return LedgerEntry(
        merchant_id=payment.merchant_id,
        currency=payment.currency,
        kind=kind,
        amount=amount,
        day=local_day(event.created_at, payment.merchant.time_zone),
        occurred_at=event.created_at,
        payment=payment,
        **links,
    )


def entries_for_event(event: PaymentEvent) -> list[LedgerEntry]:
    """The ledger entries a payment event makes (none for test payments). Sets the
    payment's commission when it succeeds."""
    payment = event.payment
    if payment.test:
        return []
    if event.to_status == Status.SUCCEEDED:
        tariff = accepted_tariff(payment.merchant_id)
        commission = commission_for(
            tariff=tariff, method=payment.method, amount=payment.amount, currency=payment.currency
        )
        Payment.objects.filter(pk=payment.pk).update(commission_amount=commission, tariff=tariff)
        payment.commission_amount, payment.tariff = commission, tariff
        commission_charged.send(sender=Payment, payment=payment, commission=commission)
        entries = [_entry(payment, event, Kind.GROSS, payment.amount)]
        if commission:
            entries.append(_entry(payment, event, Kind.COMMISSION, -commission))
        return entries
    if event.to_status in (Status.PARTIALLY_REFUNDED, Status.REFUNDED):
        refund = Refund.objects.get(public_id=event.data["refund"])
        entries = [_entry(payment, event, Kind.REFUND, -refund.amount, refund=refund)]
        tariff = payment.tariff
        if tariff is not None and tariff.refund_returns_commission and payment.commission_amount:
            after = payment.refunded_amount
            back = commission_returned(
                commission=payment.commission_amount, amount=payment.amount, refunded=after
            ) - commission_returned(
                commission=payment.commission_amount,
                amount=payment.amount,
                refunded=after - refund.amount,
            )
            if back:
                entries.append(_entry(payment, event, Kind.COMMISSION_RETURN, back, refund=refund))
        return entries
    if event.to_status == Status.CHARGEBACK:
        taken = payment.amount - payment.refunded_amount
        return [_entry(payment, event, Kind.CHARGEBACK, -taken)] if taken else []
    return []


def open_settlement(*, merchant_id: int, currency: str, day) -> Settlement | None:
    """The day's open settlement, opened if need be; None if the day is already closed
    (an entry arriving that late is left unsettled, and the reconciliation says so)."""
    settlement, _created = Settlement.objects.get_or_create(
        merchant_id=merchant_id, currency=currency, day=day
    )
    closed_at = settlement.closed_at
    if connection.vendor == "postgresql":
        # A shared lock: writers do not wait for each other, but one that meets a closing
        # settlement waits for it and then sees it closed.
        table = connection.ops.quote_name(Settlement._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT closed_at FROM {table} WHERE id = %s FOR SHARE",  # noqa: S608  # nosec B608  # quoted table name; the id is a parameter
                [settlement.pk],
            )
            (closed_at,) = cursor.fetchone()
    return None if closed_at else settlement


def ledger_write(entries: list[LedgerEntry]) -> None:
    """Save entries, each in its day's open settlement."""
    settlements: dict[tuple, Settlement | None] = {}
    for entry in entries:
        key = (entry.merchant_id, entry.currency, entry.day)
        if key not in settlements:
            settlements[key] = open_settlement(
                merchant_id=entry.merchant_id, currency=entry.currency, day=entry.day
            )
        entry.settlement = settlements[key]
    LedgerEntry.objects.bulk_create(entries)


def on_payment_event_written(sender, event: PaymentEvent, **kwargs) -> None:
    """Receiver of the payment core's in-transaction hook."""
    entries = entries_for_event(event)
    if entries:
        ledger_write(entries)
