"""Reads of payments. Every read of one payment enforces its expiry first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.signing import BadSignature, Signer
from django.db import connection
from django.db.models import Q
from django.http import Http404

from merchants.models import Merchant
from shops.models import Shop

from .filters import PaymentFilters, filtered_payments
from .models import Payment, PaymentEvent, Refund
from .services import payment_expire_if_due
from .totals import payment_totals


def get_payment_for_shop(*, shop: Shop, test: bool, public_id: str) -> Payment:
    """The shop's payment in that mode, or 404: another shop's (or mode's) is not found."""
    payment = Payment.objects.filter(shop=shop, test=test, public_id=public_id).first()
    if payment is None:
        raise Http404
    return payment_expire_if_due(payment=payment)


def get_payment_by_token(token: str) -> Payment:
    """The payment a hosted-form address points to, or 404."""
    payment = Payment.objects.select_related("shop").filter(form_token=token).first()
    if payment is None:
        raise Http404
    return payment_expire_if_due(payment=payment)


# ---------------------------------------------------------------------------
# «Последние платежи»: one page of the filtered list, its count and totals
# ---------------------------------------------------------------------------
PAGE_SIZE = 50
# Past this many matches the live count of an amount range stops and says "more than".
LIVE_COUNT_CAP = 10_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_cursor_signer = Signer(salt="transactions.list.cursor")


def _cursor(payment: Payment, *, before: bool) -> str:
    """An opaque, signed position beside one row: rows older than it ("n") or newer ("p")."""
    micros = (payment.created_at - _EPOCH) // timedelta(microseconds=1)
    return _cursor_signer.sign(f"{'p' if before else 'n'}{micros}.{payment.pk}")


def _cursor_position(token: str) -> tuple[bool, datetime, int] | None:
    """(before, created_at, id) of a cursor, or None when it is not one we signed."""
    try:
        value = _cursor_signer.unsign(token)
        direction, rest = value[0], value[1:]
        micros, pk = (int(part) for part in rest.split("."))
        moment = _EPOCH + timedelta(microseconds=micros)
    except (BadSignature, ValueError, IndexError, OverflowError):
        return None
    if direction not in "np":
        return None
    return direction == "p", moment, pk


@dataclass(frozen=True)
class PaymentPage:
    payments: list[Payment]
    next_cursor: str | None
    prev_cursor: str | None
    # The cursor in the URL was not usable, so this is the first page.
    cursor_invalid: bool = False


def payment_page(filters: PaymentFilters, cursor: str = "") -> PaymentPage:
    """One page of the filtered list by keyset: in one query whatever its depth."""
    payments = filtered_payments(filters)
    position = _cursor_position(cursor) if cursor else None
    if position is None:
        rows = list(payments[: PAGE_SIZE + 1])
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        return PaymentPage(
            payments=rows,
            next_cursor=_cursor(rows[-1], before=False) if more else None,
            prev_cursor=None,
            cursor_invalid=bool(cursor),
        )
    before, moment, pk = position
    # `created_at <= t` lets the index bound the scan; the OR settles ties on the id.
    if before:
        newer = payments.filter(created_at__gte=moment).filter(
            Q(created_at__gt=moment) | Q(id__gt=pk)
        )
        rows = list(newer.order_by("created_at", "id")[: PAGE_SIZE + 1])
        more = len(rows) > PAGE_SIZE
        if not more:
            # Back at the newest rows: the first page, full and with what arrived since.
            return payment_page(filters)
        rows = rows[:PAGE_SIZE][::-1]
        return PaymentPage(
            payments=rows,
            next_cursor=_cursor(rows[-1], before=False) if rows else None,
            prev_cursor=_cursor(rows[0], before=True) if more else None,
        )
    older = payments.filter(created_at__lte=moment).filter(Q(created_at__lt=moment) | Q(id__lt=pk))
    rows = list(older[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return PaymentPage(
        payments=rows,
        next_cursor=_cursor(rows[-1], before=False) if more else None,
        # Newer rows exist: at least the one the cursor was taken from.
        prev_cursor=_cursor(rows[0], before=True) if rows else None,
    )


@dataclass(frozen=True)
class ListTotals:
    """Count and gross amount per currency of everything the filters match."""

    count: int
    amount: dict[str, int]
    refunded: dict[str, int]
    # Counting stopped at LIVE_COUNT_CAP: `count` is a lower bound and no sums are given.
    capped: bool = False


def payment_list_totals(filters: PaymentFilters) -> ListTotals:
    """From the daily totals when the filters allow (constant queries at any volume),
    else counted live, stopping past LIVE_COUNT_CAP matches."""
    if filters.uses_only_totals_fields:
        totals = payment_totals(
            merchant=filters.merchant,
            test=filters.test,
            start=filters.start,
            end=filters.end,
            filters=filters.totals_filter(),
        )
        return ListTotals(totals.count, totals.amount, totals.refunded)
    # Sum over at most CAP + 1 matching rows, read once through an index: grouping the
    # capped rows directly (not "id IN (capped ids)") keeps the planner off the table.
    # Kept in list order so the planner walks an index and stops at the cap.
    capped = filtered_payments(filters).values("currency", "amount", "refunded_amount")[
        : LIVE_COUNT_CAP + 1
    ]
    sql, params = capped.query.sql_with_params()
    count, amount, refunded = 0, {}, {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT currency, COUNT(*), SUM(amount), SUM(refunded_amount) "  # noqa: S608  # nosec B608  # the inner SQL is Django's own compiled query; values are parameters
            f"FROM ({sql}) AS capped GROUP BY currency ORDER BY currency",
            params,
        )
        for currency, n, total, back in cursor.fetchall():
            count += n
            amount[currency] = int(total)
            refunded[currency] = int(back)
    if count > LIVE_COUNT_CAP:
        return ListTotals(LIVE_COUNT_CAP, {}, {}, capped=True)
    return ListTotals(count, amount, refunded)


# ---------------------------------------------------------------------------
# One payment of the merchant, and its timeline
# ---------------------------------------------------------------------------
def get_payment_for_merchant(*, merchant: Merchant, public_id: str) -> Payment:
    """The merchant's payment (either mode), or 404: another merchant's is not found."""
    payment = (
        Payment.objects.select_related("shop", "merchant")
        .filter(merchant=merchant, public_id=public_id[:32])
        .first()
    )
    if payment is None:
        raise Http404
    return payment_expire_if_due(payment=payment)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a payment's history: when, and the partial template that shows `item`."""

    at: datetime
    template: str
    item: Any
    extra: dict = field(default_factory=dict)


# Apps above this one add entries (webhook deliveries) with register_timeline_source.
_timeline_sources: list[Callable[[Payment], list[TimelineEntry]]] = []


def register_timeline_source(source: Callable[[Payment], list[TimelineEntry]]) -> None:
    """Add a callable(payment) -> [TimelineEntry] to every payment's timeline."""
    if source not in _timeline_sources:
        _timeline_sources.append(source)


def payment_events(payment: Payment) -> list[PaymentEvent]:
    return list(payment.events.select_related("user").order_by("created_at", "id"))


def payment_refunds(payment: Payment) -> list[Refund]:
    return list(payment.refunds.select_related("user").order_by("created_at", "id"))


def payment_timeline(
    payment: Payment, *, events: list[PaymentEvent], refunds: list[Refund]
) -> list[TimelineEntry]:
    """Status changes (a refund beside the change it caused) and what other apps add,
    oldest first."""
    by_id = {refund.public_id: refund for refund in refunds}
    entries = [
        TimelineEntry(
            at=event.created_at,
            template="transactions/_timeline_event.html",
            item=event,
            extra={"refund": by_id.get((event.data or {}).get("refund", ""))},
        )
        for event in events
    ]
    for source in _timeline_sources:
        entries.extend(source(payment))
    return sorted(entries, key=lambda entry: entry.at)
