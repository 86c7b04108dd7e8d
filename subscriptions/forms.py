"""The add and edit form of a report subscription."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.models import Membership
from reports.registry import FORMATS, variants
from shops.selectors import shops_for_member

from .models import PERIODIC, Frequency, ReportSubscription
from .selectors import duplicate_exists, duplicate_message

DEFAULT_SEND_TIME = ReportSubscription._meta.get_field("send_time").default

# The hint under each frequency: which days a periodic email covers.
FREQUENCY_HINTS = {
    Frequency.EACH_PAYMENT: _(
        "A short email within a minute of each payment or refund, listing them. No files."
    ),
    Frequency.DAILY: _("Yesterday's report, every day."),
    Frequency.WEEKLY: _("Last Monday to Sunday, every Monday."),
    Frequency.MONTHLY: _("Last month, on the 1st of every month."),
}


class SubscriptionForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address the reports go to."),
            "invalid": _("Enter a valid email address, e.g. accountant@example.am."),
        },
    )
    frequency = forms.ChoiceField(
        # Translators: the choice of a subscription's frequency.
        label=_("How often"),
        choices=Frequency.choices,
        initial=Frequency.DAILY,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how often the reports are sent."),
            "invalid_choice": _("Choose how often the reports are sent."),
        },
    )
    send_time = forms.TimeField(
        # Translators: the time of day the daily, weekly and monthly emails go out.
        label=_("Send at"),
        required=False,
        initial=DEFAULT_SEND_TIME,
        widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time as HH:MM, e.g. 09:00.")},
    )
    variants = forms.MultipleChoiceField(
        label=_("Reports"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("There is no such report: %(value)s.")},
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        required=False,
        choices=[(fmt, fmt.upper()) for fmt in FORMATS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("There is no such format: %(value)s.")},
    )
    shops = forms.ModelMultipleChoiceField(
        label=_("Shops"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose shops from the list: %(value)s is not one of them."),
            "invalid_pk_value": _("Choose shops from the list: %(pk)s is not one of them."),
        },
    )
    mode = forms.ChoiceField(
        label=_("Payments"),
        choices=[("live", _("Live payments")), ("test", _("Test payments"))],
        initial="live",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose live or test payments."),
            "invalid_choice": _("Choose live or test payments."),
        },
    )

    def __init__(
        self,
        *args,
        membership: Membership,
        instance: ReportSubscription | None = None,
        **kwargs,
    ) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(instance)
        super().__init__(*args, **kwargs)
        self.merchant = membership.merchant
        self.instance = instance
        self.variant_list = variants()
        self.fields["variants"].choices = [(v.code, v.title) for v in self.variant_list]
        self.fields["shops"].queryset = shops_for_member(membership)
        self.fields["email"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "email", "inputmode": "email"}
        )

    def _post_clean(self) -> None:
        super()._post_clean()
        for name in ("email", "send_time"):
            if name in self.errors:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict:
        data = super().clean()
        frequency = data.get("frequency")
        if frequency in PERIODIC:
            self._check_periodic(data)
        data["test"] = data.get("mode") == "test"
        email = data.get("email")
        if (
            email
            and frequency
            and "email" not in self.errors
            and self._is_duplicate(email, frequency)
        ):
            self.add_error("email", duplicate_message(email, frequency))
        return data

    def _is_duplicate(self, email: str, frequency: str) -> bool:
        return duplicate_exists(
            merchant=self.merchant,
            email=email,
            frequency=frequency,
            exclude_pk=self.instance.pk if self.instance else None,
        )

    def _check_periodic(self, data: dict) -> None:
        if data.get("send_time") is None and "send_time" not in self.errors:
            self.add_error("send_time", _("Choose the time the reports are sent at."))
        if not data.get("variants") and "variants" not in self.errors:
            self.add_error("variants", _("Choose at least one report."))
        if not data.get("formats") and "formats" not in self.errors:
            self.add_error("formats", _("Choose at least one format."))
        if self.errors.get("variants") or self.errors.get("formats"):
            return
        chosen = set(data["formats"])
        for variant in self.variant_list:
            if variant.code in data["variants"] and not chosen & set(variant.formats):
                self.add_error(
                    "formats",
                    _("“%(report)s” comes only as %(formats)s: choose one of them too.")
                    % {
                        "report": variant.title,
                        "formats": ", ".join(fmt.upper() for fmt in variant.formats),
                    },
                )

    def variant_rows(self) -> list[dict]:
        """The report check boxes with each variant's description, for the template."""
        descriptions = {v.code: v.description for v in self.variant_list}
        return [
            {"choice": choice, "description": descriptions.get(choice.data["value"], "")}
            for choice in self["variants"]
        ]

    def frequency_rows(self) -> list[dict]:
        return [
            {"choice": choice, "hint": FREQUENCY_HINTS.get(choice.data["value"], "")}
            for choice in self["frequency"]
        ]


def initial_for(subscription: ReportSubscription) -> dict:
    return {
        "email": subscription.email,
        "frequency": subscription.frequency,
        "send_time": subscription.send_time,
        "variants": list(subscription.variants),
        "formats": list(subscription.formats),
        "shops": [shop.pk for shop in subscription.shops.all()],
        "mode": "test" if subscription.test else "live",
    }
