"""Building settlements and payouts, deciding payouts, and corrections.

Daily settlements are built set-based: a handful of statements per run whatever the number
of payments (entries are assigned with one UPDATE; sums come from one grouped query).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from merchants.models import Merchant, User

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
    """Settle every finished local day's unsettled entries, one settlement per merchant,
    currency and day. Idempotent: a second run finds nothing to settle. Returns the number
    of settlements made."""
    now = now or timezone.now()
    batch = uuid.uuid4()
    unsettled = LedgerEntry.objects.filter(settlement__isnull=True).exclude(kind=Kind.PAYOUT)
    zones = (
        Merchant.objects.filter(Exists(unsettled.filter(merchant=OuterRef("pk"))))
        .values_list("time_zone", flat=True)
        .distinct()
    )
    due = Q(pk__in=[])
    for zone in zones:
        due |= Q(merchant__time_zone=zone, day__lt=_cutoff(now, zone))
    groups = unsettled.filter(due).values("merchant_id", "currency", "day").distinct().order_by()
    Settlement.objects.bulk_create(
        [Settlement(batch=batch, created_at=now, **group) for group in groups],
        ignore_conflicts=True,
        batch_size=1000,
    )
    made = Settlement.objects.filter(batch=batch)
    # Each entry joins its day's new settlement: a day settled before keeps its figures.
    unsettled.filter(due).filter(
        Exists(
            made.filter(
                merchant_id=OuterRef("merchant_id"),
                currency=OuterRef("currency"),
                day=OuterRef("day"),
            )
        )
    ).update(
        settlement_id=Subquery(
            made.filter(
                merchant_id=OuterRef("merchant_id"),
                currency=OuterRef("currency"),
                day=OuterRef("day"),
            ).values("pk")[:1]
        )
    )
    sums = (
        LedgerEntry.objects.filter(settlement__batch=batch)
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
    )
    settlements = []
    for row in sums:
        # Stored as positive figures; net keeps its sign.
        settlements.append(
            Settlement(
                pk=row["settlement_id"],
                payments_count=row["payments"],
                gross=row["gross"],
                refunds=-row["refunds"],
                chargebacks=-row["chargebacks"],
                commission=-row["commission"],
                adjustments=row["adjustments"],
                net=row["net"],
            )
        )
    Settlement.objects.bulk_update(
        settlements,
        ["payments_count", "gross", "refunds", "chargebacks", "commission", "adjustments", "net"],
        batch_size=1000,
    )
    return len(settlements)


@transaction.atomic
def payouts_build(*, today: date | None = None) -> int:
    """Gather each merchant's unpaid settlements into a payout when they add up to money
    owed, due n business days after the last settled day. Idempotent."""
    open_settlements = Settlement.objects.filter(payout__isnull=True)
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
        updated = open_settlements.filter(
            merchant_id=group["merchant_id"],
            currency=group["currency"],
            day__lte=group["last_day"],
        ).update(payout=payout)
        if not updated:  # pragma: no cover - the group came from these rows
            raise SettlementError("a payout without settlements")
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
    LedgerEntry.objects.create(
        merchant=merchant,
        currency=currency,
        kind=Kind.ADJUSTMENT,
        amount=amount,
        day=timezone.localdate(timezone=ZoneInfo(merchant.time_zone)),
        occurred_at=adjustment.created_at,
        adjustment=adjustment,
    )
    return adjustment
