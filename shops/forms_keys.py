"""Forms of the keys page: which key to create, and how long a rolled key keeps working."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ApiKey

# Seconds as the choice value, so the form posts a plain number and never a free duration.
GRACE_CHOICES = [
    ("0", _("Old one stops at once")),
    (str(60 * 60), _("Old one works 1 more hour")),
    (str(24 * 60 * 60), _("Old one works 24 more hours")),
    (str(3 * 24 * 60 * 60), _("Old one works 3 more days")),
    (str(7 * 24 * 60 * 60), _("Old one works 7 more days")),
]


class KeyCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of key"), choices=ApiKey.Kind.choices)


class KeyRollForm(forms.Form):
    grace = forms.TypedChoiceField(
        label=_("Grace period"),
        choices=GRACE_CHOICES,
        initial=str(24 * 60 * 60),
        coerce=lambda seconds: timedelta(seconds=int(seconds)),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
