"""A realistic, deterministic payment history for the demo: written in a few statements.

The rows are what the state machine would have left behind (each status change an event,
each refund a Refund row), but they are inserted in bulk rather than replayed through
transactions.services: the demo must seed in a second, and no webhook or email should
fire for the past. The daily totals are recounted once at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from inecopay.lib.money import PaymentMethod
from shops.models import Shop
from transactions.models import Actor, Payment, PaymentEvent, Refund
from transactions.totals import daily_totals_rebuild

Status = Payment.Status

# Fates of a payment that reached a decision, with their weights.
FATES = (
    (Status.SUCCEEDED, 62),
    (Status.DECLINED, 11),
    (Status.EXPIRED, 9),
    (Status.CANCELLED, 4),
    (Status.PARTIALLY_REFUNDED, 6),
    (Status.REFUNDED, 6),
    (Status.CHARGEBACK, 2),
)
METHODS = (
    (PaymentMethod.CARD, 58),
    (PaymentMethod.IDRAM, 14),
    (PaymentMethod.TELCELL, 10),
    (PaymentMethod.APPLE_PAY, 12),
    (PaymentMethod.GOOGLE_PAY, 6),
)
BRANDS = (("visa", 50), ("mastercard", 35), ("arca", 15))
# Currency, weight, smallest and largest amount in major units, rounding step.
CURRENCIES = (("AMD", 86, 1_500, 180_000, 100), ("USD", 9, 5, 400, 1), ("EUR", 5, 5, 350, 1))
# Busier afternoons and evenings, quiet nights (weights per local hour).
HOURS = (1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 11, 11, 10, 10, 11, 12, 13, 13, 11, 8, 5, 3)
DECLINE_CODES = ("insufficient_funds", "do_not_honor", "expired_card", "3ds_failed")
CUSTOMERS = ("anna", "aram", "gayane", "davit", "lilit", "narek", "mariam", "tigran", "sona")


def _pick(rng: random.Random, weighted: tuple) -> object:
    return rng.choices([item[0] for item in weighted], [item[1] for item in weighted])[0]


@dataclass
class _Plan:
    """One payment and what happens to it, before any row is written."""

    payment: Payment
    steps: list[tuple[str, str, datetime, dict]] = field(default_factory=list)  # to, actor…
    refunds: list[tuple[int, datetime]] = field(default_factory=list)


def _plan(
    rng: random.Random,
    *,
    shop: Shop,
    test: bool,
    created: datetime,
    n: int,
    now: datetime,
    fate: str | None = None,
) -> _Plan:
    """A payment created at `created` and its fate (random unless given; PENDING and
    PROCESSING stop there). Nothing happens to it after `now`."""
    currency, _weight, low, high, step = rng.choices(CURRENCIES, [c[1] for c in CURRENCIES])[0]
    amount = rng.randrange(low, high + 1, step) * 100
    fate = fate or _pick(rng, FATES)
    if test and fate == Status.CHARGEBACK:
        fate = Status.SUCCEEDED  # no bank charges back a test payment
    method = _pick(rng, METHODS)
    payment = Payment(
        public_id=f"pay_{rng.getrandbits(96):024x}",
        shop=shop,
        merchant_id=shop.merchant_id,
        test=test,
        status=Status.PENDING,
        amount=amount,
        currency=currency,
        order_id=f"{'T' if test else 'DS'}-{100_000 + n}",
        description=f"Order {100_000 + n}",
        payment_methods=list(PaymentMethod.values),
        customer_email=f"{rng.choice(CUSTOMERS)}{rng.randrange(1, 99)}@example.am",
        language=rng.choice(["ru", "ru", "hy", "en"]),
        expires_at=created + timedelta(minutes=15),
        created_at=created,
    )
    plan = _Plan(payment)
    plan.steps.append((Status.PENDING, Actor.API, created, {}))
    if fate == Status.PENDING:
        return plan
    if fate in (Status.EXPIRED, Status.CANCELLED):
        when = payment.expires_at if fate == Status.EXPIRED else created + timedelta(minutes=3)
        actor = Actor.SYSTEM if fate == Status.EXPIRED else Actor.API
        plan.steps.append((fate, actor, when, {}))
        payment.status = fate
        return plan
    paid_at = created + timedelta(seconds=rng.randrange(40, 600))
    payment.method = method
    if method == PaymentMethod.CARD:
        payment.card_brand = _pick(rng, BRANDS)
        payment.card_last4 = f"{rng.randrange(10_000):04d}"
    plan.steps.append((Status.PROCESSING, Actor.FORM, paid_at, {"method": method}))
    if fate == Status.PROCESSING:
        payment.status = Status.PROCESSING
        return plan
    decided = paid_at + timedelta(seconds=rng.randrange(2, 40))
    if fate == Status.DECLINED:
        code = rng.choice(DECLINE_CODES)
        plan.steps.append((Status.DECLINED, Actor.FORM, decided, {"decline_code": code}))
        payment.status = Status.DECLINED
        return plan
    plan.steps.append((Status.SUCCEEDED, Actor.FORM, decided, {}))
    payment.succeeded_at = decided
    payment.status = Status.SUCCEEDED
    refunds: list[int] = []
    if fate == Status.PARTIALLY_REFUNDED:
        refunds = [amount * rng.choice((10, 20, 25, 50)) // 100]
    elif fate == Status.REFUNDED:
        first = amount * rng.choice((0, 0, 30, 50)) // 100
        refunds = [first, amount - first] if first else [amount]
    later = decided
    for part in refunds:
        later = later + timedelta(hours=rng.randrange(2, 72))
        if later > now:
            break  # the buyer has not asked for it yet
        payment.refunded_amount += part
        to = Status.REFUNDED if payment.refunded_amount == amount else Status.PARTIALLY_REFUNDED
        plan.refunds.append((part, later))
        plan.steps.append((to, Actor.USER, later, {"amount": part}))
        payment.status = to
    if fate == Status.CHARGEBACK and decided + timedelta(days=5) < now:
        later = min(decided + timedelta(days=rng.randrange(5, 30)), now)
        plan.steps.append((Status.CHARGEBACK, Actor.STAFF, later, {}))
        payment.status = Status.CHARGEBACK
    return plan


def _moment(rng: random.Random, now: datetime, days: int, zone) -> datetime:
    """A local daytime-weighted moment in the last `days` days, never in the future."""
    while True:
        day = (now - timedelta(days=rng.randrange(days))).astimezone(zone).date()
        hour = rng.choices(range(24), HOURS)[0]
        local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
        if local < now - timedelta(minutes=20):
            return local.astimezone(now.tzinfo)


def history_create(
    *, shop: Shop, test: bool, count: int, days: int, seed: int, recent: int = 0
) -> int:
    """Bulk-write `count` settled payments over the last `days` local days, plus `recent`
    still open in the last minutes; then recount the merchant's daily totals. Returns the
    number of payments written. The caller makes it idempotent (once per shop and mode)."""
    rng = random.Random(seed)  # noqa: S311 - demo figures, nothing secret
    now = timezone.now()
    zone = ZoneInfo(shop.merchant.time_zone)
    moments = sorted(_moment(rng, now, days, zone) for _ in range(count))
    plans = [
        _plan(rng, shop=shop, test=test, created=moment, n=n, now=now)
        for n, moment in enumerate(moments)
    ]
    for n in range(recent):
        # One buyer on the card form right now, the others still choosing how to pay.
        plans.append(
            _plan(
                rng,
                shop=shop,
                test=test,
                created=now - timedelta(minutes=2 + 3 * n),
                n=count + n,
                now=now,
                fate=Status.PENDING if n else Status.PROCESSING,
            )
        )
    Payment.objects.bulk_create([plan.payment for plan in plans], batch_size=1000)
    events = []
    refunds = []
    for plan in plans:
        previous = ""
        for to, actor, when, data in plan.steps:
            events.append(
                PaymentEvent(
                    payment=plan.payment,
                    from_status=previous,
                    to_status=to,
                    actor=actor,
                    data=data,
                    created_at=when,
                )
            )
            previous = to
        for amount, when in plan.refunds:
            refunds.append(
                Refund(
                    public_id=f"re_{rng.getrandbits(96):024x}",
                    payment=plan.payment,
                    amount=amount,
                    created_by=Actor.USER,
                    created_at=when,
                )
            )
    PaymentEvent.objects.bulk_create(events, batch_size=2000)
    Refund.objects.bulk_create(refunds, batch_size=1000)
    daily_totals_rebuild(merchant_id=shop.merchant_id)
    return len(plans)
