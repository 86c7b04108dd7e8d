"""Access to merchant data: one helper, so no view filters by hand."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from .models import Invitation, Membership
from .roles import Perm, role_has
from .selectors import current_membership


def require_perm(perm: Perm) -> Callable:
    """Signed in, a member of a merchant, and holding `perm`; else login, or 403.

    The view finds the membership on `request.membership`.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = current_membership(request)
            if membership is None or not role_has(membership.role, perm):
                raise PermissionDenied
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_membership_for_member(membership: Membership, pk: int) -> Membership:
    """A team member of the asking member's merchant, or 404 (another merchant's is not found)."""
    return get_object_or_404(
        Membership.objects.select_related("user", "merchant"),
        pk=pk,
        merchant=membership.merchant_id,
    )


def get_invitation_for_member(membership: Membership, pk: int) -> Invitation:
    """An invitation of the asking member's merchant, or 404."""
    return get_object_or_404(
        Invitation.objects.select_related("merchant"), pk=pk, merchant=membership.merchant_id
    )
