from __future__ import annotations

from django.http import HttpRequest

from merchants.selectors import current_membership

from .navigation import navigation_for


def portal(request: HttpRequest) -> dict:
    """The signed-in merchant and the sections the header links to."""
    membership = current_membership(request)
    return {
        "membership": membership,
        "merchant": membership.merchant if membership else None,
        "navigation": navigation_for(request, membership),
    }
