"""allauth hooks: a signup creates the merchant account its owner works in."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Invitation
from .services import invitation_accept, invitation_for_token, merchant_create

# Set by the invitation page, so signup and login come back to it.
INVITATION_SESSION_KEY = "inecopay_invitation_token"


def _pending_invitation_for(request, email: str) -> Invitation | None:
    """The invitation this session came from, if it is still open and meant for `email`."""
    token = request.session.get(INVITATION_SESSION_KEY)
    if not token or not email:
        return None
    invitation = invitation_for_token(token)
    if invitation is None or not invitation.is_pending:
        return None
    if invitation.email.lower() != email.lower():
        return None
    return invitation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if not commit:
                return user
            stashed = request.session.get("account_verified_email")
            if stashed and stashed.lower() != user.email.lower():
                # allauth would otherwise give this new user the invited address as their
                # primary, verified one, although they signed up with another address.
                self.unstash_verified_email(request)
            # Someone joining a team through an invitation, with the invited address,
            # joins that team and gets no account of their own. Any other signup from
            # the same browser is an ordinary one.
            invitation = _pending_invitation_for(request, user.email)
            if invitation is None:
                merchant_create(owner=user)
            else:
                invitation_accept(invitation=invitation, user=user)
                request.session.pop(INVITATION_SESSION_KEY, None)
                messages.success(
                    request,
                    _("Welcome to the team of %(merchant)s.")
                    % {"merchant": invitation.merchant.display_name},
                )
        return user

    def get_login_redirect_url(self, request):
        token = request.session.get(INVITATION_SESSION_KEY)
        if token:
            return reverse("merchants:invitation_accept", args=[token])
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix, email, context):
        # Emails greet from "Inecopay", not from whatever host the request came in on.
        context = {
            **context,
            "current_site": SimpleNamespace(
                name="Inecopay", domain=urlsplit(settings.SITE_URL).netloc
            ),
        }
        return super().send_mail(template_prefix, email, context)
