"""Card numbers, expiry dates and CVCs as a buyer types them: checks only, nothing kept.

The full number and the CVC live only in the request that carries them; what may be
stored of a card is its brand and last four digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

VISA = "visa"
MASTERCARD = "mastercard"
ARCA = "arca"
BRAND_NAMES = {VISA: "Visa", MASTERCARD: "Mastercard", ARCA: "ArCa"}

NUMBER_LENGTHS = {VISA: (13, 16, 19), MASTERCARD: (16,), ARCA: (16,)}
# Cards stay valid through the end of their month; more than 20 years ahead is a typo.
EXPIRY_MAX_YEARS = 20
_SEPARATORS = re.compile(r"[\s\-]")
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*[/.\-\s]?\s*(\d{2}|\d{4})\s*$")


def digits_of(raw: str) -> str:
    """The number without the spaces and dashes people type between groups."""
    return _SEPARATORS.sub("", raw or "")


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check digit every payment card number carries."""
    if not number.isdigit() or not number.isascii():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    """visa, mastercard or arca from the number's first digits (its BIN), else ""."""
    if number.startswith("9051"):
        return ARCA
    if number.startswith("4"):
        return VISA
    if len(number) >= 2 and 51 <= int(number[:2]) <= 55:
        return MASTERCARD
    if len(number) >= 4 and 2221 <= int(number[:4]) <= 2720:
        return MASTERCARD
    return ""


@dataclass(frozen=True, repr=False)
class Card:
    """A card as typed for one payment. Never saved, logged or printed in full."""

    number: str
    exp_month: int
    exp_year: int
    cvc: str

    @property
    def brand(self) -> str:
        return card_brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        # Tracebacks and debuggers print reprs: show no more than may be stored.
        return f"Card({self.brand} •••• {self.last4})"

    __str__ = __repr__


def clean_number(raw: str) -> str:
    """The digits of a card number the portal accepts, or ValidationError."""
    number = digits_of(raw)
    if not number:
        raise ValidationError(_("Enter the card number."), code="required")
    if not number.isdigit() or not number.isascii():
        raise ValidationError(_("A card number has only digits."), code="invalid")
    brand = card_brand(number)
    if brand and len(number) not in NUMBER_LENGTHS[brand]:
        raise ValidationError(
            _("This card number is too short or too long."), code="invalid_length"
        )
    if not 12 <= len(number) <= 19:
        raise ValidationError(
            _("This card number is too short or too long."), code="invalid_length"
        )
    if not luhn_valid(number):
        raise ValidationError(
            _("This card number has a typo: check the digits."), code="invalid_checksum"
        )
    if not brand:
        raise ValidationError(
            _("Only Visa, Mastercard and ArCa cards are accepted."), code="unsupported_brand"
        )
    return number


def clean_expiry(raw: str, *, today: date) -> tuple[int, int]:
    """(month, four-digit year) of an MM/YY date that has not passed, or ValidationError."""
    if not (raw or "").strip():
        raise ValidationError(_("Enter the expiry date."), code="required")
    match = _EXPIRY.match(raw)
    if match is None:
        raise ValidationError(_("Enter the expiry date as MM/YY, e.g. 08/29."), code="invalid")
    month, year = int(match.group(1)), int(match.group(2))
    if len(match.group(2)) == 2:
        year += 2000
    if not 1 <= month <= 12:
        raise ValidationError(_("The month must be from 01 to 12."), code="invalid_month")
    if (year, month) < (today.year, today.month):
        raise ValidationError(_("This card has expired."), code="expired")
    if year > today.year + EXPIRY_MAX_YEARS:
        raise ValidationError(_("Check the expiry year."), code="invalid_year")
    return month, year


def clean_cvc(raw: str) -> str:
    """The three digits on the back of the card, or ValidationError."""
    cvc = (raw or "").strip()
    if not cvc:
        raise ValidationError(_("Enter the CVC."), code="required")
    if not (cvc.isdigit() and cvc.isascii() and len(cvc) == 3):
        raise ValidationError(_("The CVC is the 3 digits on the back of the card."), code="invalid")
    return cvc
