from __future__ import annotations

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from .services import merchant_record_email_confirmed


@receiver(email_confirmed)
def _on_email_confirmed(request, email_address, **kwargs) -> None:
    merchant_record_email_confirmed(user=email_address.user, email=email_address.email)
