"""Writes to payments. Every status change goes through `payment_transition`: it locks the
row, checks the transition table, writes the event and announces it on commit.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inecopay.lib.money import Currency, PaymentMethod
from inecopay.lib.rows import prepared_cursor
from merchants.models import Merchant, User
from shops.models import INVOICE_LIFETIME_MAX, INVOICE_LIFETIME_MIN, Shop

from .models import MAX_AMOUNT, Actor, Language, Payment, PaymentEvent, Refund, TotalDelta
from .signals import payment_event_recorded, payment_event_written
from .totals import TOTAL_DELTA_FIELDS, totals_delta_sql, totals_shift

logger = logging.getLogger(__name__)

Status = Payment.Status

# The one table of allowed status changes.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.PROCESSING, Status.EXPIRED, Status.CANCELLED}),
    Status.PROCESSING: frozenset({Status.SUCCEEDED, Status.DECLINED}),
    Status.SUCCEEDED: frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.CHARGEBACK}),
    # Each further partial refund is an event of its own, so the status may repeat.
    Status.PARTIALLY_REFUNDED: frozenset(
        {Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.CHARGEBACK}
    ),
    Status.DECLINED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.REFUNDED: frozenset(),
    Status.CHARGEBACK: frozenset(),
}
REFUNDABLE = frozenset({Status.SUCCEEDED, Status.PARTIALLY_REFUNDED})
FINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)

METADATA_MAX_KEYS = 20
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500
PHONE_CHARS = set("+0123456789 ()-")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f]")


class PaymentError(Exception):
    """A rule said no. `code` is stable for programs, `message` is for people."""

    def __init__(self, code: str, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


class PaymentValidationError(PaymentError):
    """The request itself is wrong: fixing it may succeed."""


class PaymentStateError(PaymentError):
    """The request is fine, but the payment's (or the shop's) state does not allow it."""


def _announce(event: PaymentEvent) -> None:
    def send() -> None:
        for receiver, result in payment_event_recorded.send_robust(
            sender=Payment, payment_id=event.payment_id, event_id=event.pk
        ):
            if isinstance(result, Exception):
                logger.error(
                    "payment_event_recorded receiver %r failed for event %s",
                    receiver,
                    event.pk,
                    exc_info=result,
                )

    transaction.on_commit(send)


def _record_event(
    *,
    payment: Payment,
    from_status: str,
    to: str,
    actor: str,
    user: User | None,
    reason: str,
    data: dict | None,
) -> PaymentEvent:
    event = PaymentEvent.objects.create(
        payment=payment,
        from_status=from_status,
        to_status=to,
        actor=actor,
        user=user,
        reason=reason[:255],
        data=data or {},
        created_at=timezone.now(),
    )
    _event_written(event)
    return event


def _event_written(event: PaymentEvent) -> None:
    """Tell the hooks: in the event's transaction, then on its commit."""
    payment_event_written.send(sender=Payment, event=event)
    _announce(event)


# ---------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------
@transaction.atomic
def payment_transition(
    *,
    payment: Payment,
    to: str,
    actor: str,
    reason: str = "",
    data: dict | None = None,
    user: User | None = None,
    fields: dict[str, Any] | None = None,
) -> Payment:
    """Move a payment to status `to` if the table allows it from its current status.

    The row is locked first, so of two concurrent changes the second sees the first's
    result (and is refused if that no longer allows it). `fields` are saved with the
    change (e.g. the card's brand and last four on success).
    """
    locked = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("merchant")
        .get(pk=payment.pk)
    )
    before = copy.copy(locked)
    if to not in TRANSITIONS.get(locked.status, frozenset()):
        raise PaymentStateError(
            "payment_invalid_state",
            _("A payment that is %(status)s cannot become %(to)s.")
            % {"status": locked.status, "to": to},
        )
    now = timezone.now()
    if locked.status == Status.PENDING and to == Status.PROCESSING and locked.expires_at <= now:
        raise PaymentStateError("payment_expired", _("The payment has expired."))
    from_status = locked.status
    locked.status = to
    update = ["status", "updated_at"]
    if to == Status.SUCCEEDED:
        locked.succeeded_at = now
        update.append("succeeded_at")
    for name, value in (fields or {}).items():
        setattr(locked, name, value)
        update.append(name)
    locked.save(update_fields=update)
    totals_shift(before=before, after=locked, zone=locked.merchant.time_zone)
    _record_event(
        payment=locked,
        from_status=from_status,
        to=to,
        actor=actor,
        user=user,
        reason=reason,
        data=data,
    )
    # The caller's instance follows the row.
    for field in update:
        setattr(payment, field, getattr(locked, field))
    return locked


# ---------------------------------------------------------------------------
# Creating
# ---------------------------------------------------------------------------
def shop_currencies(shop: Shop) -> list[str]:
    """The currencies a shop accepts: shops have no per-shop list yet, so every currency
    the portal handles, with the shop's default first."""
    return [shop.default_currency] + [c for c in Currency.values if c != shop.default_currency]


def _invalid(code: str, message: str, param: str) -> PaymentValidationError:
    return PaymentValidationError(code, message, param=param)


def _check_text(value: str, *, param: str, max_length: int, required: bool = False) -> str:
    if not isinstance(value, str):
        raise _invalid("parameter_invalid", _("Must be a string."), param)
    if required and not value.strip():
        raise _invalid("parameter_missing", _("This parameter is required."), param)
    if len(value) > max_length:
        raise _invalid(
            "parameter_too_long",
            _("At most %(max)d characters.") % {"max": max_length},
            param,
        )
    # PostgreSQL cannot store NUL, and no other control character belongs in these fields.
    if _CONTROL_CHARACTERS.search(value):
        raise _invalid("parameter_invalid", _("Control characters are not allowed."), param)
    return value


def _check_url(value: str, *, param: str) -> str:
    _check_text(value, param=param, max_length=500)
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise _invalid("url_invalid", _("Enter an http:// or https:// URL."), param) from exc
    return value


def _check_metadata(metadata: dict | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise _invalid("parameter_invalid", _("Must be an object."), "metadata")
    if len(metadata) > METADATA_MAX_KEYS:
        raise _invalid(
            "metadata_too_many_keys",
            _("At most %(max)d keys.") % {"max": METADATA_MAX_KEYS},
            "metadata",
        )
    for key, value in metadata.items():
        _check_text(key, param="metadata", max_length=METADATA_KEY_MAX, required=True)
        if not isinstance(value, str):
            raise _invalid("parameter_invalid", _("Metadata values must be strings."), "metadata")
        _check_text(value, param=f"metadata.{key}", max_length=METADATA_VALUE_MAX)
    return dict(metadata)


def _check_amount(amount: int, currency: str, *, param: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _invalid("parameter_invalid", _("Must be an integer in minor units."), param)
    if amount <= 0:
        raise _invalid("amount_too_small", _("The amount must be greater than zero."), param)
    cap = MAX_AMOUNT[currency]
    if amount > cap:
        raise _invalid(
            "amount_too_large",
            _("At most %(cap)d minor units of %(currency)s.") % {"cap": cap, "currency": currency},
            param,
        )
    return amount


def _expiry(
    *, shop: Shop, now: datetime, expires_in: int | None, expires_at: datetime | None
) -> datetime:
    if expires_in is not None and expires_at is not None:
        raise _invalid(
            "parameter_conflict", _("Give expires_in or expires_at, not both."), "expires_at"
        )
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise _invalid(
                "parameter_invalid", _("Give a time zone, e.g. 2026-01-31T12:00:00Z."), "expires_at"
            )
        seconds = (expires_at - now).total_seconds()
        param = "expires_at"
    else:
        seconds = shop.invoice_lifetime if expires_in is None else expires_in
        param = "expires_in"
    if isinstance(seconds, bool) or not INVOICE_LIFETIME_MIN <= seconds <= INVOICE_LIFETIME_MAX:
        raise _invalid(
            "expiry_out_of_range",
            _("The payment must live from 5 minutes to 7 days."),
            param,
        )
    return expires_at or now + timedelta(seconds=seconds)


def _shop_share_locked(pk: int) -> Shop:
    """The shop's row under lock, with `merchant_time_zone`, the zone its payments' totals
    are kept in. For the ORM path (databases other than PostgreSQL, where
    `_payment_insert_sql` takes the lock itself).

    On PostgreSQL the lock is FOR SHARE: payments of one shop are created side by side,
    while a change to the shop's row (closing it, leaving live mode) waits for the payments
    being created, and they for it. FOR UPDATE would queue every payment of a shop behind
    the previous one's commit.
    """
    shop = Shop.objects.select_for_update().select_related("merchant").get(pk=pk)
    shop.merchant_time_zone = shop.merchant.time_zone
    return shop


def payment_create(
    *,
    shop: Shop,
    test: bool,
    amount: int,
    currency: str,
    order_id: str,
    description: str = "",
    payment_methods: list[str] | None = None,
    expires_in: int | None = None,
    expires_at: datetime | None = None,
    delivery_enabled: bool | None = None,
    customer_email: str = "",
    customer_phone: str = "",
    language: str = "",
    success_url: str = "",
    fail_url: str = "",
    metadata: dict[str, str] | None = None,
    actor: str = Actor.API,
    user: User | None = None,
    guard: Callable[[Payment], tuple[str, list]] | None = None,
) -> Payment | None:
    """Create a pending payment of an open shop, with the shop's settings as defaults.

    `guard` (PostgreSQL only) makes the write conditional on another one in the same
    statement: given the payment about to be written, it returns an `INSERT … SELECT …
    FROM accepted … RETURNING` (`accepted` has a row when the shop takes the payment) and
    its parameters; the payment is written only if that insert returns a row, and None is
    returned when it does not. The API claims its Idempotency-Key this way.
    """
    if currency not in shop_currencies(shop):
        raise _invalid(
            "currency_not_enabled", _("The shop does not accept this currency."), "currency"
        )
    _check_amount(amount, currency)
    _check_text(order_id, param="order_id", max_length=64, required=True)
    _check_text(description, param="description", max_length=255)
    known = set(PaymentMethod.values)
    enabled = [str(method) for method in shop.payment_methods if method in known]
    if payment_methods is None:
        methods = enabled
    else:
        if not isinstance(payment_methods, list) or not payment_methods:
            raise _invalid(
                "parameter_invalid", _("Give at least one payment method."), "payment_methods"
            )
        unknown = [m for m in payment_methods if m not in enabled]
        if unknown:
            raise _invalid(
                "payment_method_not_enabled",
                _("The shop does not accept: %(methods)s.")
                % {"methods": ", ".join(map(str, unknown))},
                "payment_methods",
            )
        methods = list(dict.fromkeys(payment_methods))
    if not methods:
        raise PaymentStateError(
            "shop_no_payment_methods", _("The shop has no payment methods switched on.")
        )
    now = timezone.now()
    expires = _expiry(shop=shop, now=now, expires_in=expires_in, expires_at=expires_at)
    if customer_email:
        _check_text(customer_email, param="customer.email", max_length=254)
        try:
            EmailValidator()(customer_email)
        except ValidationError as exc:
            raise _invalid(
                "email_invalid", _("Enter a valid email address."), "customer.email"
            ) from exc
    if customer_phone:
        _check_text(customer_phone, param="customer.phone", max_length=20)
        if not set(customer_phone) <= PHONE_CHARS or sum(c.isdigit() for c in customer_phone) < 5:
            raise _invalid(
                "phone_invalid", _("Enter a phone number, e.g. +37410123456."), "customer.phone"
            )
    if language and language not in Language.values:
        raise _invalid("parameter_invalid", _("Choose ru, en or hy."), "language")
    success_url = _check_url(success_url, param="success_url") if success_url else shop.success_url
    fail_url = _check_url(fail_url, param="fail_url") if fail_url else shop.fail_url
    metadata = _check_metadata(metadata)

    payment = Payment(
        shop=shop,
        merchant_id=shop.merchant_id,
        test=test,
        amount=amount,
        currency=currency,
        order_id=order_id,
        description=description,
        payment_methods=methods,
        delivery_enabled=shop.delivery_enabled if delivery_enabled is None else delivery_enabled,
        customer_email=customer_email,
        customer_phone=customer_phone,
        language=language,
        success_url=success_url,
        fail_url=fail_url,
        metadata=metadata,
        expires_at=expires,
        created_at=now,
    )
    event = PaymentEvent(
        payment=payment,
        from_status="",
        to_status=Status.PENDING,
        actor=actor,
        user=user,
        reason="",
        data={},
        created_at=now,
    )
    if connection.vendor == "postgresql":
        return _payment_insert_pg(payment, event, test=test, guard=guard)
    if guard is not None:
        raise NotImplementedError("a guarded create needs PostgreSQL")
    _payment_insert(payment, event, test=test)
    return payment


def _shop_refuses(*, is_open: bool, live_mode: bool, test: bool) -> PaymentStateError | None:
    if not is_open:
        return PaymentStateError(
            "shop_closed", _("The shop is closed: open it to accept payments.")
        )
    if not test and not live_mode:
        return PaymentStateError("live_mode_disabled", _("The shop is not in live mode."))
    return None


def _payment_insert(payment: Payment, event: PaymentEvent, *, test: bool) -> None:
    """Write a new payment, its first event and its totals change, with the ORM."""
    with transaction.atomic():
        # The shop's row is read under lock so a payment never slips in as it closes.
        shop = _shop_share_locked(payment.shop_id)
        refused = _shop_refuses(is_open=shop.is_open, live_mode=shop.live_mode, test=test)
        if refused:
            raise refused
        payment.save(force_insert=True)
        totals_shift(before=None, after=payment, zone=shop.merchant_time_zone)
        event.payment = payment
        event.save(force_insert=True)
        _event_written(event)


def _insert_columns(model: type, *, skip: tuple[str, ...] = ()) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in skip
    ]


# With no guard, the payment needs only the shop's consent.
_NO_GUARD = "SELECT 1 AS id FROM accepted"


@functools.cache
def _payment_insert_sql(guard: str) -> str:
    """One statement on PostgreSQL: the shop's row under a share lock (see
    `_shop_share_locked`), then, only if the shop takes the payment and the guard's insert
    returns a row, the payment, its first event and its totals change, each INSERT fed by
    the one before. The totals' local day is computed from the merchant's zone read in the
    same statement."""
    quote = connection.ops.quote_name

    def params(fields: list) -> str:
        return ", ".join(f"%s::{field.db_type(connection)}" for field in fields)

    def names(fields: list) -> str:
        return ", ".join(quote(field.column) for field in fields)

    payment_fields = _insert_columns(Payment)
    event_fields = _insert_columns(PaymentEvent, skip=("payment_id",))
    delta_columns = [quote(name) for name in TOTAL_DELTA_FIELDS]
    delta_values = totals_delta_sql("p", 's."time_zone"')
    return (
        "WITH s AS ("  # noqa: S608  # nosec B608  # our models' quoted tables and columns; every value is a parameter
        f' SELECT s."is_open", s."live_mode", m."time_zone" FROM {quote(Shop._meta.db_table)} s'
        f' JOIN {quote(Merchant._meta.db_table)} m ON m."id" = s."merchant_id"'
        ' WHERE s."id" = %s FOR SHARE OF s'
        '), accepted AS (SELECT 1 FROM s WHERE s."is_open" AND (%s OR s."live_mode")'
        f"), g AS ({guard}"
        f"), p AS (INSERT INTO {quote(Payment._meta.db_table)} ({names(payment_fields)})"
        f" SELECT {params(payment_fields)} FROM g RETURNING *"
        f"), e AS (INSERT INTO {quote(PaymentEvent._meta.db_table)}"
        f' ("payment_id", {names(event_fields)}) SELECT p."id", {params(event_fields)} FROM p'
        ' RETURNING "id"'
        f"), d AS (INSERT INTO {quote(TotalDelta._meta.db_table)} ({', '.join(delta_columns)})"
        f" SELECT {', '.join(delta_values)} FROM p, s"
        ') SELECT s."is_open", s."live_mode", g."id", p."id", e."id"'
        " FROM s LEFT JOIN g ON TRUE LEFT JOIN p ON TRUE LEFT JOIN e ON TRUE"
    )


def _payment_insert_pg(
    payment: Payment,
    event: PaymentEvent,
    *,
    test: bool,
    guard: Callable[[Payment], tuple[str, list]] | None,
) -> Payment | None:
    """`_payment_insert` in one round trip: the create path of the API is the busiest
    write of the service, and each statement costs more than the ORM's work around it."""

    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is read once per column

    def values(instance: Any, fields: list) -> list:
        return [field.get_db_prep_save(field.pre_save(instance, True), db) for field in fields]

    guard_sql, guard_params = guard(payment) if guard is not None else (_NO_GUARD, [])
    with transaction.atomic(savepoint=False), prepared_cursor() as cursor:
        cursor.execute(
            _payment_insert_sql(guard_sql),
            [
                payment.shop_id,
                test,
                *guard_params,
                *values(payment, _insert_columns(Payment)),
                *values(event, _insert_columns(PaymentEvent, skip=("payment_id",))),
            ],
        )
        is_open, live_mode, guarded, payment_pk, event_pk = cursor.fetchone() or (
            False,
            False,
            None,
            None,
            None,
        )
        if payment_pk is not None:
            payment.pk, event.pk = payment_pk, event_pk
            for instance in (payment, event):
                instance._state.adding = False
                instance._state.db = connection.alias
            event.payment = payment
            _event_written(event)
            return payment
    # Raised outside the block: nothing was written, and a caller's transaction stays usable.
    refused = _shop_refuses(is_open=is_open, live_mode=live_mode, test=test)
    if refused is not None:
        raise refused
    return None  # the shop took it, the guard did not


# ---------------------------------------------------------------------------
# Expiry: a periodic task and every read enforce it
# ---------------------------------------------------------------------------
def payment_expire_if_due(*, payment: Payment) -> Payment:
    """Expire a pending payment whose lifetime has passed; call it on every read."""
    if payment.status != Status.PENDING or payment.expires_at > timezone.now():
        return payment
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == Status.PENDING and locked.expires_at <= timezone.now():
            payment_transition(
                payment=locked, to=Status.EXPIRED, actor=Actor.SYSTEM, reason="lifetime passed"
            )
    payment.refresh_from_db()
    return payment


def payment_expire_due(
    *, shop: Shop | None = None, test: bool | None = None, limit: int = 500
) -> int:
    """Expire pending payments past their lifetime (of one shop and mode, or all); safe
    to run again or concurrently."""
    due = Payment.objects.filter(status=Status.PENDING, expires_at__lte=timezone.now())
    if shop is not None:
        due = due.filter(shop=shop)
    if test is not None:
        due = due.filter(test=test)
    due = list(due.order_by("expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for pk in due:
        payment = Payment.objects.get(pk=pk)
        if payment_expire_if_due(payment=payment).status == Status.EXPIRED:
            expired += 1
    return expired


# ---------------------------------------------------------------------------
# Processing never finished (e.g. an abandoned 3-D Secure step): a periodic task declines it
# ---------------------------------------------------------------------------
PROCESSING_TIMEOUT_CODE = "processing_timeout"


def payment_decline_stale_processing(*, limit: int = 500) -> int:
    """Decline payments in processing for longer than PAYMENT_PROCESSING_TIMEOUT minutes;
    safe to run again or concurrently (each is re-checked under its row lock)."""
    cutoff = timezone.now() - timedelta(minutes=settings.PAYMENT_PROCESSING_TIMEOUT)
    stale = Payment.objects.filter(status=Status.PROCESSING, updated_at__lte=cutoff)
    declined = 0
    for pk in list(stale.order_by("updated_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=pk)
            # Settled meanwhile (the buyer came back just in time): leave it.
            if locked.status != Status.PROCESSING or locked.updated_at > cutoff:
                continue
            payment_transition(
                payment=locked,
                to=Status.DECLINED,
                actor=Actor.SYSTEM,
                reason="processing timed out",
                data={"decline_code": PROCESSING_TIMEOUT_CODE},
            )
            declined += 1
    return declined


# ---------------------------------------------------------------------------
# Cancelling, refunding, chargebacks
# ---------------------------------------------------------------------------
def payment_cancel(
    *, payment: Payment, actor: str = Actor.API, user: User | None = None, reason: str = ""
) -> Payment:
    """Cancel a payment that is still awaiting payment."""
    payment_expire_if_due(payment=payment)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Status.PENDING:
            raise PaymentStateError(
                "payment_not_cancellable",
                _("Only a payment awaiting payment can be cancelled; this one is %(status)s.")
                % {"status": locked.status},
            )
        payment_transition(
            payment=locked, to=Status.CANCELLED, actor=actor, user=user, reason=reason
        )
    payment.refresh_from_db()
    return payment


@transaction.atomic
def refund_create(
    *,
    payment: Payment,
    amount: int | None = None,
    reason: str = "",
    actor: str = Actor.API,
    user: User | None = None,
) -> Refund:
    """Give back `amount` (default: all that remains) of a paid payment, never more."""
    _check_text(reason, param="reason", max_length=255)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status not in REFUNDABLE:
        raise PaymentStateError(
            "payment_not_refundable",
            _("Only a paid payment can be refunded; this one is %(status)s.")
            % {"status": locked.status},
        )
    remaining = locked.remaining_amount
    if amount is None:
        amount = remaining
    _check_amount(amount, locked.currency)
    if amount > remaining:
        raise _invalid(
            "amount_exceeds_remaining",
            _("At most %(remaining)d minor units remain to be refunded.")
            % {"remaining": remaining},
            "amount",
        )
    refund = Refund.objects.create(
        payment=locked,
        amount=amount,
        reason=reason,
        created_by=actor,
        user=user,
        created_at=timezone.now(),
    )
    refunded = locked.refunded_amount + amount
    to = Status.REFUNDED if refunded == locked.amount else Status.PARTIALLY_REFUNDED
    payment_transition(
        payment=locked,
        to=to,
        actor=actor,
        user=user,
        reason=reason,
        data={"refund": refund.public_id, "amount": amount},
        fields={"refunded_amount": refunded},
    )
    payment.status = locked.status
    payment.refunded_amount = refunded
    return refund


def payment_chargeback(*, payment: Payment, staff: User, reason: str) -> Payment:
    """Staff record a chargeback the card's bank has raised against a paid payment."""
    if not staff.is_staff:
        raise PermissionError("only staff record chargebacks")
    return payment_transition(
        payment=payment, to=Status.CHARGEBACK, actor=Actor.STAFF, user=staff, reason=reason
    )


# ---------------------------------------------------------------------------
# Test mode
# ---------------------------------------------------------------------------
SIMULATE_OUTCOMES = (Status.SUCCEEDED, Status.DECLINED, Status.EXPIRED)
TEST_CARD = {"method": PaymentMethod.CARD, "card_brand": "visa", "card_last4": "4242"}


def payment_simulate(*, payment: Payment, outcome: str) -> Payment:
    """Drive a test payment to an outcome without the form, as a buyer (or time) would."""
    if not payment.test:
        raise PaymentStateError("live_payment", _("Only test payments can be simulated."))
    if outcome not in SIMULATE_OUTCOMES:
        raise _invalid("parameter_invalid", _("Choose succeeded, declined or expired."), "outcome")
    payment_expire_if_due(payment=payment)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Status.PENDING:
            raise PaymentStateError(
                "payment_invalid_state",
                _("Only a payment awaiting payment can be simulated; this one is %(status)s.")
                % {"status": locked.status},
            )
        if outcome == Status.EXPIRED:
            # As if the lifetime had passed: the expiry moves to now.
            payment_transition(
                payment=locked,
                to=Status.EXPIRED,
                actor=Actor.SIMULATION,
                reason="simulated",
                fields={"expires_at": timezone.now()},
            )
        else:
            payment_transition(
                payment=locked,
                to=Status.PROCESSING,
                actor=Actor.SIMULATION,
                reason="simulated",
                fields=TEST_CARD,
            )
            payment_transition(
                payment=locked,
                to=outcome,
                actor=Actor.SIMULATION,
                reason="simulated",
                data={"decline_code": "insufficient_funds"} if outcome == Status.DECLINED else None,
            )
    payment.refresh_from_db()
    return payment
