"""Forms of the activation wizard. Team and account forms are in forms_team.py."""

from __future__ import annotations

from urllib.parse import urlsplit

import phonenumbers
from django import forms
from django.core.validators import RegexValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from .models import Merchant

# An Armenian taxpayer identification number (ՀՎՀՀ): exactly eight ASCII digits.
# [0-9], not \d, which would also accept other scripts' digits.
tin_validator = RegexValidator(
    r"\A[0-9]{8}\Z", _("The tax ID (TIN) must be exactly 8 digits, for example 01234567.")
)


class CompanyForm(forms.ModelForm):
    """Step 1: the company profile. Every field is needed to activate the account."""

    same_address = forms.BooleanField(
        label=_("The actual address is the same as the legal address"), required=False
    )

    class Meta:
        model = Merchant
        fields = [
            "legal_form",
            "country",
            "legal_name",
            "tax_id",
            "registration_number",
            "legal_address",
            "same_address",
            "actual_address",
            "director_name",
        ]
        help_texts = {
            "tax_id": _("8 digits."),
            "director_name": _("As in the state register."),
        }
        widgets = {
            "legal_address": forms.TextInput(),
            "actual_address": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.Meta.fields:
            if name != "same_address":
                self.fields[name].required = True
        self.fields["tax_id"].validators.append(tin_validator)
        self.fields["tax_id"].error_messages["max_length"] = tin_validator.message
        self.fields["tax_id"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "maxlength": "8"}
        )
        self.fields["actual_address"].required = False
        instance = self.instance
        if not self.is_bound and instance.legal_address:
            self.initial.setdefault(
                "same_address", instance.legal_address == instance.actual_address
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("same_address"):
            cleaned["actual_address"] = cleaned.get("legal_address", "")
        elif not cleaned.get("actual_address") and "actual_address" not in self.errors:
            self.add_error(
                "actual_address",
                _("Enter the actual address, or tick “same as the legal address”."),
            )
        return cleaned

    def company_data(self) -> dict:
        """The cleaned company fields, as merchant_update_company takes them."""
        from .services import COMPANY_FIELDS

        return {name: self.cleaned_data[name] for name in COMPANY_FIELDS}


class HttpURLField(forms.URLField):
    """A URL the server can fetch: http:// or https:// only (Django's default adds ftp)."""

    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {
        "invalid": _("Enter the website address starting with http:// or https://."),
    }


class WebsiteForm(forms.Form):
    """Step 2: the shop's website."""

    website = HttpURLField(
        label=_("Shop website"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The address of the home page, for example https://shop.am"),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
    )

    def clean_website(self) -> str:
        website = self.cleaned_data["website"]
        try:
            urlsplit(website).port  # noqa: B018 (raises ValueError on a port above 65535)
        except ValueError as exc:
            raise forms.ValidationError(
                self.fields["website"].error_messages["invalid"], code="invalid"
            ) from exc
        return website


class PhoneForm(forms.Form):
    """Step 3: the phone number that receives the one-time code."""

    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_("With the country code, for example +374 91 234567."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        """Normalise to E.164; numbers without a country code are read as Armenian."""
        raw = self.cleaned_data["phone"]
        message = _("Enter a valid phone number, for example +374 91 234567.")
        try:
            number = phonenumbers.parse(raw, "AM")
        except phonenumbers.NumberParseException as exc:
            raise forms.ValidationError(message, code="invalid") from exc
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(message, code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneCodeForm(forms.Form):
    """Step 3: the six-digit code from the SMS."""

    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(_("The code is 6 digits."), code="invalid")
        return code


class TariffAcceptForm(forms.Form):
    """Step 4: consent to the tariff version shown on the page."""

    accept = forms.BooleanField(
        label=_("I have read and accept the Inecopay tariffs"),
        error_messages={"required": _("Tick the box to accept the tariffs.")},
    )
    # The version the merchant saw: if another is published meanwhile, they must see it first.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
