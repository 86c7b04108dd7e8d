"""The minor_units template filter: integer minor units shown as money, Decimal only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from inecopay.templatetags.money import format_minor_units


@pytest.mark.parametrize(
    ("amount", "currency", "russian", "english"),
    [
        (10000, "AMD", "100,00 AMD", "100.00 AMD"),
        (5000, "AMD", "50,00 AMD", "50.00 AMD"),
        (1, "AMD", "0,01 AMD", "0.01 AMD"),
        (0, "USD", "0,00 USD", "0.00 USD"),
        (-150, "EUR", "-1,50 EUR", "-1.50 EUR"),
        (123456789, "AMD", "1\xa0234\xa0567,89 AMD", "1,234,567.89 AMD"),
        ("10000", "amd", "100,00 AMD", "100.00 AMD"),
        (Decimal("10000"), "AMD", "100,00 AMD", "100.00 AMD"),
        # Beyond float precision: exact with Decimal.
        (9007199254740993, "AMD", "90\xa0071\xa0992\xa0547\xa0409,93 AMD", None),
    ],
)
def test_minor_units_in_both_languages(amount, currency, russian, english):
    with translation.override("ru"):
        assert format_minor_units(amount, currency) == russian
    if english:
        with translation.override("en"):
            assert format_minor_units(amount, currency) == english


@pytest.mark.parametrize("amount", [None, "", "abc", Decimal("10.5")])
def test_minor_units_shows_nothing_for_what_is_not_an_amount(amount):
    assert format_minor_units(amount, "AMD") == ""


def test_filter_in_a_template():
    template = Template("{% load money %}{{ fee|minor_units:currency }}")
    with translation.override("ru"):
        assert template.render(Context({"fee": 10000, "currency": "AMD"})) == "100,00 AMD"
