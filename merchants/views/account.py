"""Personal settings beside allauth's: language and time zone."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import services
from ..forms_team import PreferencesForm
from ..selectors import current_membership


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    """The same cookie Django's set_language view writes, so the header switch agrees."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    merchant_zone = membership.merchant.time_zone if membership else None
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST, merchant_time_zone=merchant_zone)
        if form.is_valid():
            language = form.cleaned_data["language"]
            try:
                services.user_set_preferences(
                    user=user, language=language, time_zone=form.cleaned_data["time_zone"]
                )
            except services.ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                with translation.override(language):
                    messages.success(request, _("Your preferences are saved."))
                response = redirect("merchants:preferences")
                _set_language_cookie(response, language)
                return response
    else:
        form = PreferencesForm(
            initial={
                "language": user.language or translation.get_language(),
                "time_zone": user.time_zone,
            },
            merchant_time_zone=merchant_zone,
        )
    return render(request, "merchants/account/preferences.html", {"form": form})
