"""The refund form of a payment's page: an amount in major units, exactly to minor units."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inecopay.templatetags.money import format_minor_units

from .filters import parse_major_amount, to_minor
from .models import Payment


class RefundForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to refund"),
        required=False,
        max_length=32,
        help_text=_("Leave empty to refund everything that remains."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255)

    def __init__(self, *args, payment: Payment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.fields["amount"].widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "placeholder": self.remaining_display}
        )

    @property
    def remaining_display(self) -> str:
        return format_minor_units(self.payment.remaining_amount, self.payment.currency)

    def clean_amount(self) -> int:
        """The amount in minor units; empty means all that remains."""
        text = self.cleaned_data["amount"].strip()
        remaining = self.payment.remaining_amount
        if not text:
            return remaining
        try:
            minor = to_minor(parse_major_amount(text), self.payment.currency)
        except ValueError:
            raise forms.ValidationError(
                _("Enter an amount like 1500 or 1500.50 (at most two decimals)."),
                code="invalid",
            ) from None
        if minor <= 0:
            raise forms.ValidationError(
                _("The amount must be greater than zero."), code="too_small"
            )
        if minor > remaining:
            raise forms.ValidationError(
                _("The amount exceeds what remains to be refunded: at most %(remaining)s.")
                % {"remaining": self.remaining_display},
                code="exceeds_remaining",
            )
        return minor

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if any(ord(char) < 32 for char in reason):
            raise forms.ValidationError(_("Control characters are not allowed."), code="invalid")
        return reason
