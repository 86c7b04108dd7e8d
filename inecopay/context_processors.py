from __future__ import annotations

from django.http import HttpRequest

from merchants.roles import ROLE_PERMISSIONS
from merchants.selectors import current_membership

from .navigation import navigation_for


def portal(request: HttpRequest) -> dict:
    """The signed-in merchant, what the member's role allows and the sections the header links to."""
    membership = current_membership(request)
    # Permission names (merchants.roles.Perm), for `{% if "manage_team" in member_perms %}`.
    perms = ROLE_PERMISSIONS.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "membership": membership,
        "merchant": membership.merchant if membership else None,
        "member_perms": perms,
        "navigation": navigation_for(request, membership),
    }
