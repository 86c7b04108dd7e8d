"""Per-request language and time zone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from merchants.selectors import current_membership


def _supported_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    """Activates the language chosen with the switch (kept in a cookie), else Russian.

    Unlike Django's LocaleMiddleware it ignores Accept-Language: the portal speaks
    Russian by default whatever the browser's own language, and the switch in the
    header remembers a different choice. UserLanguageMiddleware, later in the chain,
    applies a signed-in user's saved language when there is no cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = _supported_languages()

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
        # The user's saved language may have replaced the default further down.
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Cookie",))
        return response


class UserLanguageMiddleware:
    """Without a language cookie, a signed-in user sees the language saved in their settings.

    It must come after AuthenticationMiddleware; the cookie (the header switch) still wins.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = _supported_languages()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "") not in self.supported:
            user = getattr(request, "user", None)
            language = getattr(user, "language", "") if user and user.is_authenticated else ""
            if language in self.supported:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


def _zone(name: str) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    """Shows times in the user's zone, else their merchant's, else the portal's display zone.

    Storage stays UTC; this only decides how templates and forms render datetimes.
    It must come after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _choose(self, request: HttpRequest) -> ZoneInfo:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = _zone(user.time_zone)
            if zone is None:
                membership = current_membership(request)
                zone = _zone(membership.merchant.time_zone) if membership else None
            if zone is not None:
                return zone
        return ZoneInfo(settings.DISPLAY_TIME_ZONE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(self._choose(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class UserSessionsMiddleware:
    """allauth's session tracking (IP, browser, last seen), written at most once a minute
    per session instead of on every request: a page then costs its own queries only.

    The minute is kept in the cache, so a busy portal's pages write no row for it.
    """

    INTERVAL = 60

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        from allauth.usersessions.internal import usersessionkit
        from django.core.cache import cache

        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        key = session.session_key if session is not None else None
        if key and user is not None and user.is_authenticated:
            ip = request.META.get("REMOTE_ADDR", "")
            agent = request.META.get("HTTP_USER_AGENT", "")[:100]
            # A change of address or browser is tracked at once.
            marker = f"usersession-seen:{key}:{hashlib.sha256((ip + agent).encode()).hexdigest()}"
            if cache.add(marker, 1, self.INTERVAL):
                usersessionkit.track_activity(request, user=user, session=session)
        return self.get_response(request)


class StaffMFAMiddleware:
    """Staff reach the admin only with two-factor authentication on: without it they are
    sent to set it up first (allauth's TOTP page), whatever admin URL they asked for."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from allauth.mfa.utils import is_mfa_enabled
        from django.contrib import messages
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.translation import gettext as _

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and request.path.startswith(reverse("admin:index"))
            and not is_mfa_enabled(user)
        ):
            messages.warning(request, _("Set up two-factor authentication to use the staff admin."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)
