from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inecopay.lib.money import Currency

MAX_DAYS = 3 * 366


class PeriodForm(forms.Form):
    """A period of whole local days, both ends included, and a currency."""

    first = forms.DateField(
        label=pgettext_lazy("period", "From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    last = forms.DateField(
        label=pgettext_lazy("period", "To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if first > last:
                raise forms.ValidationError(_("The period ends before it starts."))
            if first > self.today:
                raise forms.ValidationError(_("The period cannot start in the future."))
            # A period reaching into the future is read up to today.
            last = data["last"] = min(last, self.today)
            if (last - first).days > MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return data


def default_period(today: date) -> dict:
    return {"first": today.replace(day=1), "last": today}


def local_today(merchant) -> date:
    from zoneinfo import ZoneInfo

    return timezone.localdate(timezone=ZoneInfo(merchant.time_zone))
