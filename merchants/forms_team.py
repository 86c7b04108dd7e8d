"""Forms of the team page and personal preferences."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .models import Membership


def role_choices_for(actor: Membership) -> list[tuple[str, str]]:
    """The roles `actor` may hand out: only an owner makes someone an owner."""
    return [
        (value, label)
        for value, label in Membership.Role.choices
        if actor.role == Membership.Role.OWNER or value != Membership.Role.OWNER
    ]


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@company.am"}),
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, actor: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(actor)
        self.fields["role"].initial = Membership.Role.ACCOUNTANT

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )

    def __init__(self, *args, actor: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(actor)


@cache
def _time_zone_choices() -> tuple[tuple[str, str], ...]:
    return tuple((name, name.replace("_", " ")) for name in sorted(available_timezones()))


def _language_choices() -> list[tuple[str, str]]:
    # Each language in its own name, as the switch in the header shows them.
    return [
        (code, get_language_info(code)["name_local"].capitalize())
        for code, _name in settings.LANGUAGES
    ]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_("Dates and times in the portal are shown in this zone."),
    )

    def __init__(self, *args, merchant_time_zone: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if merchant_time_zone:
            default = _("The company's time zone (%(zone)s)") % {"zone": merchant_time_zone}
        else:
            default = _("The portal's time zone (%(zone)s)") % {"zone": settings.DISPLAY_TIME_ZONE}
        self.fields["time_zone"].choices = [("", default), *_time_zone_choices()]
