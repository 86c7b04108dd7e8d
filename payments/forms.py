"""The hosted payment form: the method, the card and the delivery details a buyer enters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inecopay.lib.money import PaymentMethod
from transactions.models import Payment

from . import cards

PHONE_CHARS = set("+0123456789 ()-")


class SecretInput(forms.TextInput):
    """A text field that never renders its value back: after an error the buyer types the
    card number and CVC again, and the page never carries them."""

    def format_value(self, value: Any) -> None:
        return None


class PayForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Payment method"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how to pay."),
            "invalid_choice": _("This payment cannot be paid that way."),
        },
    )
    card_number = forms.CharField(
        label=_("Card number"),
        required=False,
        max_length=30,
        widget=SecretInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "placeholder": "0000 0000 0000 0000",
                "data-card-number": "",
            }
        ),
    )
    expiry = forms.CharField(
        label=_("Expiry date"),
        required=False,
        max_length=9,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-exp",
                "inputmode": "numeric",
                "placeholder": _("MM/YY"),
                "data-card-expiry": "",
            }
        ),
    )
    cvc = forms.CharField(
        label=_("CVC"),
        required=False,
        max_length=4,
        widget=SecretInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "placeholder": "123"}
        ),
    )
    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "shipping name"}),
    )
    address = forms.CharField(
        label=_("Delivery address"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "shipping street-address"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+374 10 123456"}
        ),
    )

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment
        labels = dict(PaymentMethod.choices)
        methods = [m for m in payment.payment_methods if m in labels]
        self.fields["method"].choices = [(m, labels[m]) for m in methods]
        if len(methods) == 1:
            self.fields["method"].initial = methods[0]
        elif PaymentMethod.CARD in methods:
            self.fields["method"].initial = PaymentMethod.CARD
        if PaymentMethod.CARD not in methods:
            for name in ("card_number", "expiry", "cvc"):
                del self.fields[name]
        if not payment.delivery_enabled:
            for name in ("recipient", "address", "phone"):
                del self.fields[name]
        for name, field in self.fields.items():
            if name != "method":
                field.widget.attrs["class"] = "form-control"

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self._errors:
            if name in self.fields and name != "method":
                attrs = self.fields[name].widget.attrs
                attrs["class"] = "form-control is-invalid"
                attrs["aria-describedby"] = f"id_{name}-error"

    @property
    def offers_card(self) -> bool:
        return "card_number" in self.fields

    @property
    def asks_delivery(self) -> bool:
        return "recipient" in self.fields

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if not set(phone) <= PHONE_CHARS or sum(c.isdigit() for c in phone) < 5:
            raise ValidationError(_("Enter a phone number, e.g. +374 10 123456."))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") != PaymentMethod.CARD or not self.offers_card:
            data["card"] = None
            return data
        today = timezone.localdate()
        checks = {
            "card_number": cards.clean_number,
            "expiry": lambda raw: cards.clean_expiry(raw, today=today),
            "cvc": cards.clean_cvc,
        }
        values = {}
        for name, check in checks.items():
            try:
                values[name] = check(data.get(name, ""))
            except ValidationError as error:
                self.add_error(name, error)
        if len(values) == len(checks):
            month, year = values["expiry"]
            data["card"] = cards.Card(
                number=values["card_number"], exp_month=month, exp_year=year, cvc=values["cvc"]
            )
        return data

    @property
    def delivery(self) -> dict[str, str]:
        if not self.asks_delivery:
            return {}
        return {name: self.cleaned_data[name] for name in ("recipient", "address", "phone")}


class ConfirmForm(forms.Form):
    """The simulated 3-D Secure or wallet step: the buyer approves or fails it."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("fail", "fail")])
