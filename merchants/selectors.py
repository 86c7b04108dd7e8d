"""Reads of merchant accounts, always from the point of view of the user who asks."""

from __future__ import annotations

from .models import Membership, User


def membership_for_user(user: User) -> Membership | None:
    """The user's current merchant membership: the oldest one, until switching exists."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("merchant")
        .filter(user=user)
        .order_by("created_at", "pk")
        .first()
    )


_UNSET = object()


def current_membership(request) -> Membership | None:
    """The requesting user's membership, looked up once per request."""
    cached = getattr(request, "_inecopay_membership", _UNSET)
    if cached is _UNSET:
        cached = membership_for_user(request.user) if hasattr(request, "user") else None
        request._inecopay_membership = cached
    return cached
