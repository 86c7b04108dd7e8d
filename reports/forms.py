"""The «Отчеты» form: which reports, for which period, shop and mode."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from merchants.models import Membership
from shops.selectors import shops_for_member

from .periods import Period, PeriodKind, month_period, year_period
from .registry import Variant, get_variant, variants

FIRST_YEAR = 2000
MAX_RANGE_DAYS = 366
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_UNKNOWN = _("There is no such report or format: %(value)s.")


def choice_value(variant: Variant, fmt: str) -> str:
    return f"{variant.code}:{fmt}"


class ReportForm(forms.Form):
    shop = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Shop"),
        empty_label=_("All shops"),
        error_messages={"invalid_choice": _("Choose one of your shops.")},
    )
    mode = forms.ChoiceField(
        label=_("Payments"),
        choices=[("live", _("Live payments")), ("test", _("Test payments"))],
        initial="live",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose live or test payments.")},
    )
    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    year = forms.IntegerField(label=_("Year"), required=False)
    # For variants over any dates (none of the page's own yet): both days included.
    date_from = forms.DateField(
        label=pgettext_lazy("period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # One report from a format icon, or several from the check boxes as a ZIP.
    file = forms.ChoiceField(required=False, error_messages={"invalid_choice": _UNKNOWN})
    files = forms.MultipleChoiceField(required=False, error_messages={"invalid_choice": _UNKNOWN})
    zip = forms.BooleanField(required=False)

    def __init__(self, *args, membership: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.merchant = membership.merchant
        self.zone = self.merchant.time_zone
        self.today = timezone.now().astimezone(ZoneInfo(self.zone)).date()
        self.fields["shop"].queryset = shops_for_member(membership)
        self.fields["year"].widget = forms.Select(choices=[(y, y) for y in self.years()])
        offered = [
            (choice_value(v, fmt), f"{v.title} {fmt}") for v in variants() for fmt in v.formats
        ]
        self.fields["file"].choices = [("", ""), *offered]
        self.fields["files"].choices = offered
        for name in ("shop", "year"):
            self.fields[name].widget.attrs["class"] = "form-select"
        for name in ("month", "date_from", "date_to"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def _post_clean(self) -> None:
        super()._post_clean()
        for name in ("shop", "month", "year", "date_from", "date_to"):
            if name in self.errors:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def years(self) -> list[int]:
        first = max(FIRST_YEAR, self.merchant.created_at.year if self.merchant.created_at else 0)
        return list(range(self.today.year, min(first, self.today.year) - 1, -1))

    def clean_month(self) -> str:
        value = self.cleaned_data["month"].strip()
        if not value:
            return ""
        match = _MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < FIRST_YEAR:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        if date(int(match[1]), int(match[2]), 1) > self.today:
            raise forms.ValidationError(_("This month has not begun yet."))
        return value

    def clean_year(self) -> int | None:
        year = self.cleaned_data["year"]
        if year is None:
            return None
        if year > self.today.year:
            raise forms.ValidationError(_("This year has not begun yet."))
        if year < FIRST_YEAR:
            raise forms.ValidationError(
                _("Choose a year from %(first)d on.") % {"first": FIRST_YEAR}
            )
        return year

    def clean(self) -> dict:
        data = super().clean()
        if "file" in self.errors or "files" in self.errors:
            return data
        wanted = [data["file"]] if data.get("file") and not data.get("zip") else data.get("files")
        if not wanted:
            raise forms.ValidationError(_("Choose at least one report and format."))
        chosen: list[tuple[Variant, str]] = []
        for value in dict.fromkeys(wanted):
            code, _sep, fmt = value.partition(":")
            chosen.append((get_variant(code), fmt))
        data["chosen"] = chosen
        kinds = {variant.period_kind for variant, _fmt in chosen}
        if PeriodKind.MONTH in kinds and not data.get("month") and "month" not in self.errors:
            self.add_error("month", _("Choose the month."))
        if PeriodKind.YEAR in kinds and not data.get("year") and "year" not in self.errors:
            self.add_error("year", _("Choose the year."))
        if PeriodKind.RANGE in kinds:
            self._check_range(data)
        return data

    def _check_range(self, data: dict) -> None:
        first, last = data.get("date_from"), data.get("date_to")
        if "date_from" in self.errors or "date_to" in self.errors:
            return
        if first is None or last is None:
            self.add_error(
                "date_from" if first is None else "date_to", _("Choose the first and last day.")
            )
        elif last < first:
            self.add_error("date_to", _("The last day is before the first."))
        elif first > self.today:
            self.add_error("date_from", _("This period has not begun yet."))
        elif (last - first).days + 1 > MAX_RANGE_DAYS:
            self.add_error(
                "date_to",
                _("A period may be at most %(days)d days long.") % {"days": MAX_RANGE_DAYS},
            )

    @property
    def kinds(self) -> set[str]:
        """The period kinds the offered variants need pickers for."""
        return {variant.period_kind.value for variant in variants()}

    def period_for(self, variant: Variant) -> Period:
        if variant.period_kind == PeriodKind.MONTH:
            year, month = self.cleaned_data["month"].split("-")
            return month_period(int(year), int(month), self.zone)
        if variant.period_kind == PeriodKind.YEAR:
            return year_period(self.cleaned_data["year"], self.zone)
        first, last = self.cleaned_data["date_from"], self.cleaned_data["date_to"]
        return Period(PeriodKind.RANGE, first, last + timedelta(days=1), self.zone)

    def rows(self) -> list[dict]:
        """The variants with their format choices, for the template."""
        selected = set(self["files"].value() or [])
        return [
            {
                "variant": variant,
                "formats": [
                    {
                        "format": fmt,
                        "value": choice_value(variant, fmt),
                        "checked": choice_value(variant, fmt) in selected,
                    }
                    for fmt in variant.formats
                ],
            }
            for variant in variants()
        ]
