"""Payments made through the services at chosen moments, for the list and detail tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

from transactions import services
from transactions.models import Actor, Payment

Status = Payment.Status
CARD = {"method": "card", "card_brand": "visa", "card_last4": "4242"}


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def make_payment(
    shop,
    moment: datetime,
    *,
    test: bool = True,
    status: str = Status.PENDING,
    fields: dict | None = None,
    refund: int | None = None,
    **values,
) -> Payment:
    """A payment created at `moment` and moved to `status` a minute later, as the
    payment form and the acquirer would (with `fields`: method, card)."""
    values = {"amount": 150000, "currency": "AMD", "order_id": "order-1", **values}
    with at(moment):
        payment = services.payment_create(shop=shop, test=test, **values)
    if status == Status.PENDING:
        return payment
    with at(moment + timedelta(minutes=1)):
        if status in (Status.EXPIRED, Status.CANCELLED):
            services.payment_transition(payment=payment, to=status, actor=Actor.SYSTEM)
            return payment
        services.payment_transition(
            payment=payment, to=Status.PROCESSING, actor=Actor.FORM, fields=fields or CARD
        )
        if status == Status.PROCESSING:
            return payment
        final = Status.DECLINED if status == Status.DECLINED else Status.SUCCEEDED
        services.payment_transition(payment=payment, to=final, actor=Actor.SYSTEM)
        if status == Status.PARTIALLY_REFUNDED:
            services.refund_create(payment=payment, amount=refund or 1000)
        elif status == Status.REFUNDED:
            services.refund_create(payment=payment)
        elif status == Status.CHARGEBACK:
            services.payment_transition(payment=payment, to=Status.CHARGEBACK, actor=Actor.STAFF)
    payment.refresh_from_db()
    return payment
