"""Writes to merchant accounts and their teams."""

from __future__ import annotations

from django.db import transaction

from .models import Membership, Merchant, User


@transaction.atomic
def merchant_create(*, owner: User, name: str = "") -> Merchant:
    """Create a merchant account with `owner` as its first member."""
    merchant = Merchant.objects.create(name=name or owner.email)
    Membership.objects.create(merchant=merchant, user=owner, role=Membership.Role.OWNER)
    return merchant


def merchant_mark_email_verified(*, merchant: Merchant) -> None:
    """Move a freshly registered merchant on once its owner's address is confirmed."""
    Merchant.objects.filter(pk=merchant.pk, state=Merchant.State.REGISTERED).update(
        state=Merchant.State.EMAIL_VERIFIED
    )
