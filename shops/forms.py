"""Forms of the shop pages: adding a shop, Section 1 («РАЗДЕЛ 1»), open and live switches."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from django import forms
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from inecopay.lib.money import PaymentMethod
from merchants.forms import PhoneForm

from .models import INVOICE_LIFETIME_DEFAULT, INVOICE_LIFETIME_MAX, INVOICE_LIFETIME_MIN, Shop
from .services import SECTION1_FIELDS

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
LOGO_FORMATS = {"PNG", "JPEG"}

UNIT_SECONDS = {"minutes": 60, "hours": 60 * 60, "days": 24 * 60 * 60}


class ShopAddForm(forms.Form):
    name = forms.CharField(
        label=_("Shop name"),
        max_length=100,
        help_text=_("How you call the shop in the personal account, for example “Ararat Books”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class HttpURLField(forms.URLField):
    """An address the server and the buyer's browser can open: http:// or https:// only."""

    default_validators = [URLValidator(schemes=["http", "https"])]
    default_error_messages = {
        "invalid": _("Enter an address starting with http:// or https://."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("assume_scheme", "https")
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        url = super().clean(value)
        if url:
            try:
                urlsplit(url).port  # noqa: B018 (raises ValueError on a port above 65535)
            except ValueError as exc:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        return url


def _split_lifetime(seconds: int) -> tuple[int, str]:
    """The biggest whole unit for a stored lifetime: 86400 → (1, "days")."""
    for unit in ("days", "hours"):
        if seconds % UNIT_SECONDS[unit] == 0:
            return seconds // UNIT_SECONDS[unit], unit
    return max(1, seconds // 60), "minutes"


def reencode_logo(upload) -> ContentFile:
    """Check that the upload really is a PNG or JPEG of a sensible size, then draw it
    again as a fresh PNG: metadata and anything hidden in the original are left behind."""
    if upload.size > LOGO_MAX_BYTES:
        raise forms.ValidationError(
            _("The logo file is too large (%(size)s): it can be at most 1 MB.")
            % {"size": filesizeformat(upload.size)},
            code="too_big",
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    name = (upload.name or "").lower()
    if name.endswith((".svg", ".svgz")) or b"<svg" in head.lower():
        raise forms.ValidationError(
            _("SVG files are not accepted. Upload the logo as a PNG or JPEG image."),
            code="svg",
        )
    not_an_image = forms.ValidationError(
        _(
            "This file is not a PNG or JPEG image. Upload the logo as PNG or JPEG "
            "(SVG and other formats are not accepted)."
        ),
        code="invalid_image",
    )
    try:
        with Image.open(upload) as image:
            if image.format not in LOGO_FORMATS:
                raise not_an_image
            width, height = image.size
            # Checked from the header, before any pixel is decoded.
            if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                raise forms.ValidationError(
                    _(
                        "The logo is %(width)d × %(height)d pixels; it can be at most "
                        "2000 × 2000 pixels."
                    )
                    % {"width": width, "height": height},
                    code="too_many_pixels",
                )
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
    except forms.ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    return ContentFile(buffer.getvalue(), name="logo.png")


class Section1Form(forms.ModelForm):
    """РАЗДЕЛ 1 — general information about the shop. Everything may be saved as a draft;
    submitting for confirmation needs the fields listed in services.REQUIRED_FOR_SUBMISSION."""

    website = HttpURLField(
        label=_("Website"),
        help_text=_("The address where buyers place orders, for example https://shop.am"),
    )
    success_url = HttpURLField(
        label=_("Return URL after success"),
        help_text=_("The buyer comes back here after paying."),
    )
    fail_url = HttpURLField(
        label=_("Return URL after failure"),
        help_text=_("The buyer comes back here when the payment did not go through."),
    )
    webhook_url = HttpURLField(
        label=_("Result (webhook) URL"),
        help_text=_(
            "Inecopay sends the result of every payment to this address. Use https:// so "
            "nobody can read or change the notifications on the way."
        ),
    )
    support_phone = forms.CharField(
        label=_("Support phone"),
        max_length=32,
        required=False,
        help_text=_("With the country code, for example +374 10 123456."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_(
            "PNG or JPEG, at most 1 MB and 2000 × 2000 pixels. SVG is not accepted. "
            "It is shown on the payment form."
        ),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)
    payment_methods = forms.MultipleChoiceField(
        label=_("Payment methods"),
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The methods offered to buyers on the payment form."),
        error_messages={"required": _("Choose at least one payment method.")},
    )
    invoice_lifetime_value = forms.IntegerField(
        label=_("Invoice lifetime"),
        min_value=1,
        max_value=100000,
        help_text=_("From 5 minutes to 7 days. Unpaid invoices expire after this time."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": _("Enter the invoice lifetime.")},
    )
    invoice_lifetime_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("minutes", _("minutes")), ("hours", _("hours")), ("days", _("days"))],
    )

    class Meta:
        model = Shop
        fields = [
            "name",
            "website",
            "mcc",
            "description",
            "display_name",
            "support_email",
            "support_phone",
            "default_currency",
            "payment_methods",
            "delivery_enabled",
            "success_url",
            "fail_url",
            "webhook_url",
        ]
        labels = {
            "name": _("Shop name"),
            "mcc": _("Category of goods and services"),
            "description": _("What the shop sells"),
            "display_name": _("Name on the payment form"),
            "support_email": _("Support email"),
            "default_currency": _("Default currency"),
            "delivery_enabled": _("Show delivery fields on the payment form by default"),
        }
        help_texts = {
            "name": _("For you and your team; buyers see the name on the payment form."),
            "mcc": _("The merchant category code (MCC) that describes the business best."),
            "description": _("The goods or services, in a few sentences."),
            "display_name": _("Buyers see it on the payment form, next to the logo."),
            "support_email": _("Buyers write here with questions about their orders."),
            "default_currency": _("Used when an invoice does not name a currency."),
            "delivery_enabled": _("An invoice can still switch the delivery fields on or off."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    # The order of the page, so the error summary lists fields as they appear.
    field_order = [
        "name",
        "website",
        "mcc",
        "description",
        "display_name",
        "default_currency",
        "logo",
        "remove_logo",
        "payment_methods",
        "invoice_lifetime_value",
        "invoice_lifetime_unit",
        "delivery_enabled",
        "support_email",
        "support_phone",
        "success_url",
        "fail_url",
        "webhook_url",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["mcc"].choices = [("", _("Choose a category"))] + list(
            self.fields["mcc"].choices
        )[1:]
        self.fields["support_email"].widget.attrs.setdefault("autocomplete", "email")
        if not self.is_bound:
            value, unit = _split_lifetime(
                self.instance.invoice_lifetime or INVOICE_LIFETIME_DEFAULT
            )
            self.initial.setdefault("invoice_lifetime_value", value)
            self.initial.setdefault("invoice_lifetime_unit", unit)

    def clean_support_phone(self) -> str:
        raw = self.cleaned_data["support_phone"].strip()
        if not raw:
            return ""
        # The activation wizard's normaliser: E.164, numbers without a code read as Armenian.
        phone = PhoneForm({"phone": raw})
        if not phone.is_valid():
            raise forms.ValidationError(phone.errors["phone"].as_data())
        return phone.cleaned_data["phone"]

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        return reencode_logo(upload)

    def clean(self) -> dict:
        cleaned = super().clean()
        value = cleaned.get("invoice_lifetime_value")
        unit = cleaned.get("invoice_lifetime_unit")
        if value is not None and unit in UNIT_SECONDS:
            seconds = value * UNIT_SECONDS[unit]
            if not INVOICE_LIFETIME_MIN <= seconds <= INVOICE_LIFETIME_MAX:
                self.add_error(
                    "invoice_lifetime_value",
                    forms.ValidationError(
                        _("The invoice lifetime must be from 5 minutes to 7 days."),
                        code="lifetime_range",
                    ),
                )
            else:
                cleaned["invoice_lifetime"] = seconds
        if cleaned.get("logo") and cleaned.get("remove_logo"):
            self.add_error(
                "logo", _("Either upload a new logo or remove the current one, not both.")
            )
        return cleaned

    def section1_data(self) -> dict:
        """The cleaned values, as services.shop_update_section1 takes them."""
        data = {
            name: self.cleaned_data[name]
            for name in ("name", *SECTION1_FIELDS)
            if name in self.cleaned_data and name != "logo"
        }
        if self.cleaned_data.get("logo"):
            data["logo"] = self.cleaned_data["logo"]
        elif self.cleaned_data.get("remove_logo"):
            data["logo"] = ""
        return data


class SwitchForm(forms.Form):
    """On or off, for the open/close and live mode buttons."""

    value = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on"
    )
