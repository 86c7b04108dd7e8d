from __future__ import annotations

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from .models import Merchant
from .services import merchant_mark_email_verified


@receiver(email_confirmed)
def _on_email_confirmed(request, email_address, **kwargs) -> None:
    for merchant in Merchant.objects.filter(
        memberships__user_id=email_address.user_id, memberships__role="owner"
    ):
        merchant_mark_email_verified(merchant=merchant)
