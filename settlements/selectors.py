"""Reading balances: the reconciliation of a period, and what stands behind each line.

A balance is the sum of ledger entries up to a day. Reading it stays fast for a busy
merchant because settled days are read from their settlements (one row per day), only the
not yet settled entries are summed one by one, and payouts come from the payouts table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils.translation import gettext as _

from merchants.models import Merchant
from transactions.models import Payment

from .models import LedgerEntry, Payout, Settlement

Kind = LedgerEntry.Kind
LINES = ("gross", "refunds", "chargebacks", "commission", "adjustments", "payouts")


@dataclass
class Movements:
    """Sums over some days, each line as a positive figure except adjustments (signed)."""

    gross: int = 0
    refunds: int = 0
    chargebacks: int = 0
    commission: int = 0
    adjustments: int = 0
    payouts: int = 0

    @property
    def change(self) -> int:
        return (
            self.gross
            - self.refunds
            - self.chargebacks
            - self.commission
            + self.adjustments
            - self.payouts
        )


def _days(q_field: str, first: date | None, after: date | None) -> Q:
    q = Q()
    if first is not None:
        q &= Q(**{f"{q_field}__gte": first})
    if after is not None:
        q &= Q(**{f"{q_field}__lt": after})
    return q


def movements(
    *, merchant: Merchant, currency: str, first: date | None, after: date | None
) -> Movements:
    """The movements of local days [first, after) (None: unbounded), in three queries."""
    settled = (
        Settlement.objects.closed()
        .filter(_days("day", first, after), merchant=merchant, currency=currency)
        .aggregate(
            gross=Sum("gross", default=0),
            refunds=Sum("refunds", default=0),
            chargebacks=Sum("chargebacks", default=0),
            commission=Sum("commission", default=0),
            adjustments=Sum("adjustments", default=0),
        )
    )
    result = Movements(**settled)
    open_ids = list(
        Settlement.objects.open()
        .filter(_days("day", first, after), merchant=merchant, currency=currency)
        .values_list("pk", flat=True)
    )
    # Entries of days not settled yet, and any that arrived after their day was (if ever).
    pending = (
        LedgerEntry.objects.filter(
            Q(settlement_id__in=open_ids)
            | Q(_days("day", first, after), settlement__isnull=True, merchant=merchant),
            currency=currency,
        )
        .exclude(kind=Kind.PAYOUT)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in pending:
        kind, total = row["kind"], row["total"]
        if kind == Kind.GROSS:
            result.gross += total
        elif kind == Kind.REFUND:
            result.refunds -= total
        elif kind == Kind.CHARGEBACK:
            result.chargebacks -= total
        elif kind in (Kind.COMMISSION, Kind.COMMISSION_RETURN):
            result.commission -= total
        elif kind == Kind.ADJUSTMENT:
            result.adjustments += total
    result.payouts = Payout.objects.filter(
        _days("paid_on", first, after),
        merchant=merchant,
        currency=currency,
        status=Payout.Status.PAID,
    ).aggregate(total=Sum("amount", default=0))["total"]
    return result


# Longer periods list their settlements month by month instead of day by day.
DAILY_TABLE_MAX_DAYS = 62


@dataclass
class Reconciliation:
    currency: str
    first: date
    last: date
    opening: int
    period: Movements
    closing: int
    settlements: list[Settlement] = field(default_factory=list)
    # For a long period: dicts of month, payments_count, gross, refunds, chargebacks,
    # commission, adjustments, net.
    months: list[dict] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def reconciliation(*, merchant: Merchant, currency: str, first: date, last: date) -> Reconciliation:
    """Opening balance, the period's movements and the closing balance of days
    [first, last] (inclusive, merchant-local), with what does not add up, if anything."""
    after = last + timedelta(days=1)
    opening = movements(merchant=merchant, currency=currency, first=None, after=first).change
    period = movements(merchant=merchant, currency=currency, first=first, after=after)
    closing = opening + period.change
    in_period = Settlement.objects.closed().filter(
        merchant=merchant, currency=currency, day__gte=first, day__lt=after
    )
    settlements, months = [], []
    if (after - first).days <= DAILY_TABLE_MAX_DAYS:
        settlements = list(in_period.select_related("payout").order_by("day"))
    else:
        months = list(
            in_period.annotate(month=TruncMonth("day"))
            .values("month")
            .annotate(
                payments_count=Sum("payments_count"),
                gross=Sum("gross"),
                refunds=Sum("refunds"),
                chargebacks=Sum("chargebacks"),
                commission=Sum("commission"),
                adjustments=Sum("adjustments"),
                net=Sum("net"),
            )
            .order_by("month")
        )
    payouts = list(
        Payout.objects.filter(merchant=merchant, currency=currency)
        .filter(
            Q(paid_on__gte=first, paid_on__lt=after)
            | Q(status=Payout.Status.DUE, due_on__gte=first, due_on__lt=after + timedelta(days=7))
        )
        .order_by("due_on")
    )
    result = Reconciliation(
        currency, first, last, opening, period, closing, settlements, months, payouts
    )
    result.problems = _problems(result, merchant, in_period)
    return result


def _problems(
    rec: Reconciliation, merchant: Merchant, settlements: QuerySet[Settlement]
) -> list[str]:
    """Checks that cost little and say where a difference is; none should ever fire."""
    problems = []
    wrong = settlements.exclude(
        net=F("gross") - F("refunds") - F("chargebacks") - F("commission") + F("adjustments")
    ).values_list("day", flat=True)[:10]
    for day in wrong:
        problems.append(_("The settlement of %(day)s does not add up to its net.") % {"day": day})
    late = (
        LedgerEntry.objects.filter(
            merchant=merchant,
            currency=rec.currency,
            settlement__isnull=True,
            day__gte=rec.first,
            day__lte=rec.last,
        )
        .exclude(kind=Kind.PAYOUT)
        .values_list("day", flat=True)
        .distinct()[:10]
    )
    for day in late:
        problems.append(
            _("Some movements of %(day)s arrived after the day was settled.") % {"day": day}
        )
    paid = [p for p in rec.payouts if p.status == Payout.Status.PAID]
    if paid:
        entries = dict(
            LedgerEntry.objects.filter(payout__in=paid)
            .values("payout_id")
            .annotate(total=Sum("amount"))
            .values_list("payout_id", "total")
        )
        nets = dict(
            Settlement.objects.filter(payout__in=paid)
            .values("payout_id")
            .annotate(total=Sum("net"))
            .values_list("payout_id", "total")
        )
        for payout in paid:
            if entries.get(payout.pk) != -payout.amount or nets.get(payout.pk) != payout.amount:
                problems.append(
                    _("The payout of %(day)s (reference %(ref)s) differs from what it paid.")
                    % {"day": payout.paid_on, "ref": payout.reference}
                )
    return problems


def get_settlement(*, merchant: Merchant, pk: int) -> Settlement:
    settlement = Settlement.objects.filter(merchant=merchant, pk=pk).first()
    if settlement is None:
        raise Http404
    return settlement


def line_payments(
    *, merchant: Merchant, currency: str, first: date, last: date, line: str
) -> QuerySet[Payment]:
    """The payments behind a line of the reconciliation (gross, refunds, chargebacks,
    commission)."""
    kinds = {
        "gross": [Kind.GROSS],
        "refunds": [Kind.REFUND],
        "chargebacks": [Kind.CHARGEBACK],
        "commission": [Kind.COMMISSION, Kind.COMMISSION_RETURN],
    }[line]
    return Payment.objects.filter(
        merchant=merchant,
        test=False,
        pk__in=LedgerEntry.objects.filter(
            merchant=merchant,
            currency=currency,
            kind__in=kinds,
            day__gte=first,
            day__lte=last,
        ).values("payment_id"),
    ).order_by("-created_at", "-id")


def settlements_in_period(
    *, merchant: Merchant, currency: str, first: date, last: date
) -> QuerySet[Settlement]:
    """The settled days of [first, last], oldest first."""
    return (
        Settlement.objects.closed()
        .filter(merchant=merchant, currency=currency, day__gte=first, day__lte=last)
        .order_by("day")
    )


def ledger_currencies(merchant: Merchant) -> list[str]:
    """The currencies the merchant has money movements in."""
    return sorted(
        Settlement.objects.filter(merchant=merchant)
        .order_by()
        .values_list("currency", flat=True)
        .distinct()
    )
