"""Payment statuses in templates: `{% load payment_status %}{% status_badge payment.status %}`.

One badge partial everywhere (list, legend, detail, timeline), with the status's plain
meaning as its tooltip.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from inecopay.lib.money import PaymentMethod
from transactions.models import Payment

register = template.Library()

Status = Payment.Status

# What each status means, for the legend and the badges' tooltips, in the list's order.
STATUS_MEANINGS = {
    Status.PENDING: _("The payment was created; the buyer has not paid yet."),
    Status.PROCESSING: _("The buyer has entered payment details; the bank is checking them."),
    Status.SUCCEEDED: _("The buyer paid: the money was received."),
    Status.DECLINED: _("The bank or the payment system refused the payment; no money was taken."),
    Status.EXPIRED: _("The buyer did not pay within the payment's lifetime."),
    Status.CANCELLED: _("The payment was cancelled before the buyer paid."),
    Status.PARTIALLY_REFUNDED: _("Part of the paid amount was returned to the buyer."),
    Status.REFUNDED: _("The whole paid amount was returned to the buyer."),
    Status.CHARGEBACK: _(
        "The buyer's bank disputed the payment and took the money back (chargeback)."
    ),
}


def status_info(status: str) -> dict:
    try:
        label = Status(status).label
    except ValueError:
        label = status
    return {"status": status, "label": label, "meaning": STATUS_MEANINGS.get(status, "")}


@register.inclusion_tag("transactions/_status_badge.html")
def status_badge(status: str) -> dict:
    return status_info(status)


@register.simple_tag
def status_legend() -> list[dict]:
    """Every status with its label and meaning, in the order payments move through them."""
    return [status_info(status) for status in STATUS_MEANINGS]


CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "arca": "ArCa", "mir": "Mir"}


@register.simple_tag
def payment_method(payment: Payment) -> str:
    """'Visa •••• 4242' for a card, the method's name otherwise, '—' before payment."""
    if payment.method == PaymentMethod.CARD:
        brand = CARD_BRANDS.get(payment.card_brand, payment.card_brand.title()) or _("Card")
        return f"{brand} •••• {payment.card_last4}" if payment.card_last4 else str(brand)
    if payment.method:
        return str(PaymentMethod(payment.method).label)
    return "—"


@register.filter
def method_names(methods: list[str]) -> str:
    """The payment methods a payment offered, by their names."""
    names = [
        str(PaymentMethod(m).label) if m in PaymentMethod.values else str(m) for m in methods or []
    ]
    return ", ".join(names)
