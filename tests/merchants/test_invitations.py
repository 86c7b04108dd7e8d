"""Joining a team through the invitation link: as a new user, as an existing one, or not at all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants import services
from merchants.adapter import INVITATION_SESSION_KEY
from merchants.models import Invitation, Membership, Merchant, User
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Role = Membership.Role
NEW_PASSWORD = "Very-secret-pass-42"


def _invite(merchant, email: str, role: str = Role.ACCOUNTANT) -> tuple[Invitation, str]:
    by = merchant.memberships.get(role=Role.OWNER)
    return services.invitation_create(merchant=merchant, email=email, role=role, by=by)


def _accept_url(token: str) -> str:
    return reverse("merchants:invitation_accept", args=[token])


def test_unknown_token_is_404(client):
    assert client.get(_accept_url("no-such-token")).status_code == 404


def test_anonymous_visitor_sees_who_invites_them_and_how_to_join(client, merchant):
    invitation, token = _invite(merchant, "guest@example.am", Role.DEVELOPER)

    response = client.get(_accept_url(token))

    assert response.status_code == 200
    page = response.content.decode()
    assert merchant.display_name in page
    assert invitation.get_role_display() in page
    assert reverse("account_login") in page
    assert reverse("account_signup") + "?email=guest%40example.am" in page
    assert client.session[INVITATION_SESSION_KEY] == token
    # Signing up with the invited address needs no confirmation email.
    assert client.session["account_verified_email"] == "guest@example.am"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expired"),
        ({"revoked_at": timezone.now()}, "withdrawn"),
        ({"accepted_at": timezone.now()}, "already been accepted"),
    ],
)
def test_a_dead_invitation_says_so(client, merchant, change, text):
    invitation, token = _invite(merchant, "late@example.am")
    Invitation.objects.filter(pk=invitation.pk).update(**change)

    response = client.get(_accept_url(token))

    assert response.status_code == 200
    page = response.content.decode()
    assert text in page
    assert "Join the team" not in page
    assert INVITATION_SESSION_KEY not in client.session


def test_a_dead_invitation_forgets_the_token_kept_in_the_session(client, merchant):
    invitation, token = _invite(merchant, "late@example.am")
    client.get(_accept_url(token))
    assert client.session[INVITATION_SESSION_KEY] == token
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    client.get(_accept_url(token))
    assert INVITATION_SESSION_KEY not in client.session


def test_new_user_joins_through_the_emailed_link(
    owner_client, merchant, mailoutbox, django_capture_on_commit_callbacks
):
    # The owner invites ...
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("merchants:team_invite"),
            {"email": "new.dev@example.am", "role": Role.DEVELOPER},
        )
    (message,) = mailoutbox
    path = re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", message.body).group(1)

    # ... the colleague opens the link and registers with the invited address.
    visitor = Client()
    assert visitor.get(path).status_code == 200
    response = visitor.post(
        reverse("account_signup"),
        {"email": "new.dev@example.am", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(email="new.dev@example.am")
    assert list(Membership.objects.filter(user=user).values_list("merchant", "role")) == [
        (merchant.pk, Role.DEVELOPER)
    ]
    # No merchant account of their own.
    assert Merchant.objects.count() == 1
    assert EmailAddress.objects.get(user=user).verified
    invitation = Invitation.objects.get(email="new.dev@example.am")
    assert invitation.accepted_by == user
    assert INVITATION_SESSION_KEY not in visitor.session
    # No confirmation email either: the invitation was the only message.
    assert len(mailoutbox) == 1
    dashboard = visitor.get(response["Location"])
    assert dashboard.status_code == 200
    assert merchant.name in dashboard.content.decode()
    # The link works once.
    assert "already been accepted" in Client().get(path).content.decode()


def test_signing_up_with_another_address_is_an_ordinary_signup(client, merchant, mailoutbox):
    _invitation, token = _invite(merchant, "invited@example.am")
    client.get(_accept_url(token))

    client.post(
        reverse("account_signup"),
        {"email": "other@example.am", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    user = User.objects.get(email="other@example.am")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.merchant != merchant
    assert not EmailAddress.objects.get(user=user).verified
    assert Invitation.objects.get(email="invited@example.am").is_pending


def test_existing_user_signs_in_and_accepts(client, merchant, outsider):
    invitation, token = _invite(merchant, outsider.email, Role.ADMIN)
    client.get(_accept_url(token))

    login = client.post(reverse("account_login"), {"login": outsider.email, "password": PASSWORD})

    assert login.status_code == 302
    assert login["Location"] == _accept_url(token)
    page = client.get(login["Location"])
    assert page.status_code == 200
    assert "Accept the invitation" in page.content.decode()
    accepted = client.post(_accept_url(token))
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("dashboard")
    assert Membership.objects.get(merchant=merchant, user=outsider).role == Role.ADMIN
    assert INVITATION_SESSION_KEY not in client.session
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    # The next sign-in goes to the dashboard as usual.
    client.logout()
    again = client.post(reverse("account_login"), {"login": outsider.email, "password": PASSWORD})
    assert again["Location"] == reverse("dashboard")


def test_signed_in_with_another_address_is_told_and_cannot_accept(merchant, outsider):
    invitation, token = _invite(merchant, "someone.else@example.am")
    client = Client()
    client.force_login(outsider)

    page = client.get(_accept_url(token))
    assert page.status_code == 200
    assert "This invitation was sent to someone.else@example.am" in page.content.decode()
    assert "Accept the invitation" not in page.content.decode()

    refused = client.post(_accept_url(token))
    assert refused.status_code == 200
    assert not Membership.objects.filter(merchant=merchant, user=outsider).exists()
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_anonymous_post_accepts_nothing(client, merchant):
    invitation, token = _invite(merchant, "guest@example.am")
    response = client.post(_accept_url(token))
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_an_expired_invitation_cannot_be_accepted(merchant):
    user = UserFactory(email="slow@example.am")
    invitation, token = _invite(merchant, "slow@example.am")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    client = Client()
    client.force_login(user)
    response = client.post(_accept_url(token))
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()
    with pytest.raises(services.ServiceError):
        services.invitation_accept(invitation=invitation, user=user)


def test_an_invitation_cannot_be_used_twice(merchant):
    user = UserFactory(email="twice@example.am")
    invitation, _token = _invite(merchant, "twice@example.am")
    services.invitation_accept(invitation=invitation, user=user)
    with pytest.raises(services.ServiceError):
        services.invitation_accept(invitation=invitation, user=user)
    assert Membership.objects.filter(user=user).count() == 1
