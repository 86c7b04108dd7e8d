"""Reads of payments. Every read of one payment enforces its expiry first."""

from __future__ import annotations

from django.http import Http404

from shops.models import Shop

from .models import Payment
from .services import payment_expire_if_due


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
