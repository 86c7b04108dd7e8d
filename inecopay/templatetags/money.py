"""Money in templates: `{% load money %}{{ amount|minor_units:currency }}`.

Amounts are stored as integers in the currency's minor units (10000 AMD minor units
are 100.00 AMD); this shows them in the page's language, with Decimal arithmetic only.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

from inecopay.lib.money import MINOR_UNITS

register = template.Library()


def format_minor_units(amount: int | str | Decimal | None, currency: str) -> str:
    """`10000, "AMD"` → "100,00 AMD" (in Russian) or "100.00 AMD" (in English)."""
    if amount is None or amount == "":
        return ""
    try:
        minor = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if minor != minor.to_integral_value():
        # Minor units are whole by definition; a fraction means the caller passed major units.
        return ""
    currency = (currency or "").upper()
    exponent = MINOR_UNITS.get(currency, 2)
    major = minor.scaleb(-exponent)
    number = number_format(major, decimal_pos=exponent, use_l10n=True, force_grouping=True)
    return f"{number} {currency}".strip()


@register.filter
def minor_units(amount: int | str | Decimal | None, currency: str = "") -> str:
    return format_minor_units(amount, currency)
