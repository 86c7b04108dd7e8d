"""Per-request language and time zone."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers


class LanguageMiddleware:
    """Activates the language chosen with the switch (kept in a cookie), else Russian.

    Unlike Django's LocaleMiddleware it ignores Accept-Language: the portal speaks
    Russian by default whatever the browser's own language, and the switch in the
    header remembers a different choice.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def _choose(self, request: HttpRequest) -> str:
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if cookie in self.supported:
            return cookie
        return settings.LANGUAGE_CODE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class TimezoneMiddleware:
    """Shows times in the portal's display zone (Asia/Yerevan unless configured).

    Storage stays UTC; this only decides how templates and forms render datetimes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(ZoneInfo(settings.DISPLAY_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
