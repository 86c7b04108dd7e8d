"""Card checks of the hosted form: Luhn, brands by BIN, expiry dates and CVCs."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from payments import cards

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424242",
        "4000000000000002",
        "4000000000003220",
        "5555555555554444",
        "2223003122003222",
        "4111111111111111",
        "9051000000000009",
        "79927398713",
    ],
)
def test_luhn_accepts_valid_numbers(number):
    assert cards.luhn_valid(number)


@pytest.mark.parametrize(
    "number",
    ["4242424242424241", "4000000000000001", "79927398710", "", "4242x42424242424", "４２４２"],
)
def test_luhn_rejects_typos_and_non_digits(number):
    assert not cards.luhn_valid(number)


def test_every_single_digit_typo_is_caught():
    number = "4242424242424242"
    for position in range(len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1 :]
                assert not cards.luhn_valid(typo), typo


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5105105105105100", "mastercard"),
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),
        ("2720990000000007", "mastercard"),
        ("9051000000000009", "arca"),
        ("9051123412341231", "arca"),
        ("378282246310005", ""),  # American Express
        ("6011111111111117", ""),  # Discover
        ("2720999999999996", "mastercard"),
        ("2721000000000004", ""),
        ("9052000000000008", ""),
    ],
)
def test_brand_from_the_bin(number, brand):
    assert cards.card_brand(number) == brand


def test_clean_number_accepts_spaces_and_dashes():
    assert cards.clean_number("4242 4242-4242 4242") == "4242424242424242"
    assert cards.clean_number(" 9051 0000 0000 0009 ") == "9051000000000009"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("4242 4242 4242 424a", "invalid"),
        ("4242 4242 4242 4241", "invalid_checksum"),
        ("5555 5555 5555 444", "invalid_length"),
        ("9051 0000 0000 000", "invalid_length"),
        ("3782 822463 10005", "unsupported_brand"),
    ],
)
def test_clean_number_errors(raw, code):
    with pytest.raises(ValidationError) as error:
        cards.clean_number(raw)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/26", (3, 2026)),  # valid through the end of its month
        ("3/26", (3, 2026)),
        ("12 / 30", (12, 2030)),
        ("1230", (12, 2030)),
        ("08/2031", (8, 2031)),
    ],
)
def test_expiry_parses(raw, expected):
    assert cards.clean_expiry(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("02/26", "expired"),
        ("12/25", "expired"),
        ("00/28", "invalid_month"),
        ("13/28", "invalid_month"),
        ("12/99", "invalid_year"),
        ("tomorrow", "invalid"),
    ],
)
def test_expiry_errors(raw, code):
    with pytest.raises(ValidationError) as error:
        cards.clean_expiry(raw, today=TODAY)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("123", True), (" 987 ", True), ("12", False), ("1234", False), ("12a", False), ("", False)],
)
def test_cvc(raw, ok):
    if ok:
        assert cards.clean_cvc(raw) == raw.strip()
    else:
        with pytest.raises(ValidationError):
            cards.clean_cvc(raw)


def test_card_repr_shows_only_brand_and_last_four():
    card = cards.Card(number="4242424242424242", exp_month=12, exp_year=2030, cvc="987")
    assert (card.brand, card.last4) == ("visa", "4242")
    assert repr(card) == str(card) == "Card(visa •••• 4242)"
    assert "987" not in repr(card)
