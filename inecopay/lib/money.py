"""Payment methods and currencies: the vocabulary every app shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card (Visa, Mastercard, ArCa)")
    APPLE_PAY = "apple_pay", _("Apple Pay")
    GOOGLE_PAY = "google_pay", _("Google Pay")
    IDRAM = "idram", _("Idram")
    TELCELL = "telcell", _("Telcell")


class Currency(models.TextChoices):
    AMD = "AMD", _("Armenian dram")
    USD = "USD", _("US dollar")
    EUR = "EUR", _("Euro")
    RUB = "RUB", _("Russian rouble")


# ISO 4217 minor-unit exponents of the currencies the portal handles.
MINOR_UNITS = {"AMD": 2, "USD": 2, "EUR": 2, "RUB": 2}
