"""allauth hooks: a signup creates the merchant account its owner works in."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.db import transaction

from .services import merchant_create


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                merchant_create(owner=user)
        return user

    def send_mail(self, template_prefix, email, context):
        # Emails greet from "Inecopay", not from whatever host the request came in on.
        context = {
            **context,
            "current_site": SimpleNamespace(
                name="Inecopay", domain=urlsplit(settings.SITE_URL).netloc
            ),
        }
        return super().send_mail(template_prefix, email, context)
