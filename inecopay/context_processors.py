from __future__ import annotations

from django.http import HttpRequest

from merchants.selectors import membership_for_user

from .navigation import navigation_for


def portal(request: HttpRequest) -> dict:
    """The signed-in merchant and the sections the header links to."""
    membership = membership_for_user(request.user) if hasattr(request, "user") else None
    return {
        "membership": membership,
        "merchant": membership.merchant if membership else None,
        "navigation": navigation_for(request, membership),
    }
