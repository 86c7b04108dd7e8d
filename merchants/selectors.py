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
