"""Building settlements and payouts, deciding payouts, and corrections.

Entries join their day's settlement when they are written (settlements.ledger); settling a
finished day closes it with a handful of statements whatever the number of payments: one
grouped query sums the entries of every settlement being closed.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.models import Merchant, User

from .ledger import ledger_write
from .models import Adjustment, Holiday, LedgerEntry, Payout, PayoutSchedule, Settlement

Kind = LedgerEntry.Kind
# A day is settled once it has been over for this long: no payment event still in flight
# can belong to it.
SETTLE_GRACE = timedelta(minutes=15)
DEFAULT_DELAY_DAYS = 1


class SettlementError(Exception):
    """A rule said no; the message is for people."""


# ---------------------------------------------------------------------------
# Business days
# ---------------------------------------------------------------------------
def is_business_day(day: date, holidays: set[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def business_days_after(day: date, n: int, holidays: set[date] | None = None) -> date:
    """The n-th business day after `day` (weekends and public holidays skipped)."""
    if holidays is None:
        holidays = set(
            Holiday.objects.filter(
                day__gt=day, day__lte=day + timedelta(days=n * 7 + 31)
            ).values_list("day", flat=True)
        )
    current = day
    for _step in range(n):
        current += timedelta(days=1)
        while not is_business_day(current, holidays):
            current += timedelta(days=1)
    return current


# ---------------------------------------------------------------------------
# Settlements
# ---------------------------------------------------------------------------
def _cutoff(now: datetime, zone: str) -> date:
    """Days before this one are over (with the grace) in `zone`."""
    return (now - SETTLE_GRACE).astimezone(ZoneInfo(zone)).date()


@transaction.atomic
def settlements_build(*, now: datetime | None = None) -> int:
    """Close every open settlement of a finished local day: sum its entries (one grouped
    query for all of them) and freeze it. Idempotent: a second run finds nothing to close.
    Returns the number of settlements closed."""
    now = now or timezone.now()
    batch = uuid.uuid4()
    open_settlements = Settlement.objects.open()
    zones = (
        Merchant.objects.filter(Exists(open_settlements.filter(merchant=OuterRef("pk"))))
        .values_list("time_zone", flat=True)
        .distinct()
    )
    due = Q(pk__in=[])
    for zone in zones:
        due |= Q(merchant__time_zone=zone, day__lt=_cutoff(now, zone))
    # Locked, so an entry written meanwhile waits and then finds its day closed.
    closing = list(
        open_settlements.filter(due).select_for_update(of=("self",)).values_list("pk", flat=True)
    )
    if not closing:
        return 0
    sums = {
        row["settlement_id"]: row
        for row in LedgerEntry.objects.filter(settlement_id__in=closing)
        .values("settlement_id")
        .annotate(
            payments=Count("id", filter=Q(kind=Kind.GROSS)),
            gross=Sum("amount", filter=Q(kind=Kind.GROSS), default=0),
            refunds=Sum("amount", filter=Q(kind=Kind.REFUND), default=0),
            chargebacks=Sum("amount", filter=Q(kind=Kind.CHARGEBACK), default=0),
            commission=Sum(
                "amount", filter=Q(kind__in=[Kind.COMMISSION, Kind.COMMISSION_RETURN]), default=0
            ),
            adjustments=Sum("amount", filter=Q(kind=Kind.ADJUSTMENT), default=0),
            net=Sum("amount", default=0),
        )
        .order_by()
    }
    closed = []
    for pk in closing:
        row = sums.get(pk, {})
        # Stored as positive figures; adjustments and net keep their sign.
        closed.append(
            Settlement(
                pk=pk,
                payments_count=row.get("payments", 0),
                gross=row.get("gross", 0),
                refunds=-row.get("refunds", 0),
                chargebacks=-row.get("chargebacks", 0),
                commission=-row.get("commission", 0),
                adjustments=row.get("adjustments", 0),
                net=row.get("net", 0),
                batch=batch,
                closed_at=now,
            )
        )
    Settlement.objects.bulk_update(
        closed,
        [
            "payments_count",
            "gross",
            "refunds",
            "chargebacks",
            "commission",
            "adjustments",
            "net",
            "batch",
            "closed_at",
        ],
        batch_size=500,
    )
    return len(closed)


@transaction.atomic
def payouts_build(*, today: date | None = None) -> int:
    """Gather each merchant's unpaid settlements into a payout when they add up to money
    owed, due n business days after the last settled day. Idempotent."""
    open_settlements = Settlement.objects.closed().filter(payout__isnull=True)
    groups = (
        open_settlements.values("merchant_id", "currency")
        .annotate(total=Sum("net"), last_day=Max("day"))
        .filter(total__gt=0)
        .order_by()
    )
    groups = list(groups)
    if not groups:
        return 0
    delays = dict(
        PayoutSchedule.objects.filter(
            merchant_id__in={g["merchant_id"] for g in groups}
        ).values_list("merchant_id", "delay_days")
    )
    first = min(g["last_day"] for g in groups)
    holidays = set(
        Holiday.objects.filter(day__gt=first, day__lte=first + timedelta(days=120)).values_list(
            "day", flat=True
        )
    )
    made = 0
    for group in groups:
        payout = Payout.objects.create(
            merchant_id=group["merchant_id"],
            currency=group["currency"],
            amount=group["total"],
            due_on=business_days_after(
                group["last_day"],
                delays.get(group["merchant_id"], DEFAULT_DELAY_DAYS),
                holidays,
            ),
        )
        open_settlements.filter(
            merchant_id=group["merchant_id"],
            currency=group["currency"],
            day__lte=group["last_day"],
        ).update(payout=payout)
        made += 1
    return made


def settle(*, now: datetime | None = None) -> tuple[int, int]:
    """The daily run: settle finished days, then make the payouts they allow."""
    return settlements_build(now=now), payouts_build()


# ---------------------------------------------------------------------------
# Staff decisions
# ---------------------------------------------------------------------------
@transaction.atomic
def payout_mark_paid(*, payout: Payout, reference: str, paid_on: date, staff: User) -> Payout:
    """Record the bank transfer that paid a due payout; the balance drops by its amount."""
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status != Payout.Status.DUE:
        raise SettlementError(
            _("This payout is already %(status)s.") % {"status": locked.get_status_display()}
        )
    reference = reference.strip()
    if not reference:
        raise SettlementError(_("Enter the bank transfer reference."))
    if paid_on > timezone.localdate(timezone=ZoneInfo(locked.merchant.time_zone)):
        raise SettlementError(_("The payment date cannot be in the future."))
    locked.status = Payout.Status.PAID
    locked.reference = reference[:100]
    locked.paid_on = paid_on
    locked.decided_by = staff
    locked.decided_at = timezone.now()
    locked.save()
    LedgerEntry.objects.create(
        merchant_id=locked.merchant_id,
        currency=locked.currency,
        kind=Kind.PAYOUT,
        amount=-locked.amount,
        day=paid_on,
        payout=locked,
    )
    payout.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def payout_reject(*, payout: Payout, reason: str, staff: User) -> Payout:
    """A payout that will not be made: its settlements wait for the next payout."""
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status != Payout.Status.DUE:
        raise SettlementError(
            _("This payout is already %(status)s.") % {"status": locked.get_status_display()}
        )
    reason = reason.strip()
    if not reason:
        raise SettlementError(_("Give the reason for rejecting the payout."))
    locked.status = Payout.Status.REJECTED
    locked.reject_reason = reason[:255]
    locked.decided_by = staff
    locked.decided_at = timezone.now()
    locked.save()
    locked.settlements.update(payout=None)
    payout.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def adjustment_create(
    *, merchant: Merchant, currency: str, amount: int, reason: str, staff: User
) -> Adjustment:
    """A correction with its reason, effective today (merchant-local)."""
    reason = reason.strip()
    if not reason:
        raise SettlementError(_("Give the reason for the adjustment."))
    if amount == 0:
        raise SettlementError(_("An adjustment must change the balance."))
    adjustment = Adjustment.objects.create(
        merchant=merchant, currency=currency, amount=amount, reason=reason, created_by=staff
    )
    ledger_write(
        [
            LedgerEntry(
                merchant=merchant,
                currency=currency,
                kind=Kind.ADJUSTMENT,
                amount=amount,
                day=timezone.localdate(timezone=ZoneInfo(merchant.time_zone)),
                occurred_at=adjustment.created_at,
                adjustment=adjustment,
            )
        ]
    )
    return adjustment
