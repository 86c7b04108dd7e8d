"""The team page: inviting colleagues, changing roles, removing members, revoking invitations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants import services
from merchants.models import Invitation, Membership
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Role = Membership.Role
TEAM_URL = reverse("merchants:team")
INVITE_URL = reverse("merchants:team_invite")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_membership(merchant) -> Membership:
    return MembershipFactory(merchant=merchant, role=Role.ADMIN)


@pytest.fixture
def admin_client(admin_membership) -> Client:
    return _client(admin_membership.user)


@pytest.fixture
def accountant_membership(merchant) -> Membership:
    return MembershipFactory(merchant=merchant, role=Role.ACCOUNTANT)


@pytest.fixture
def send_on_commit(django_capture_on_commit_callbacks):
    """Emails leave on commit; run those callbacks inside the test's transaction."""

    def post(client: Client, url: str, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def _invite(merchant, email: str, role: str = Role.ACCOUNTANT) -> tuple[Invitation, str]:
    by = merchant.memberships.get(role=Role.OWNER)
    return services.invitation_create(merchant=merchant, email=email, role=role, by=by)


# ---------------------------------------------------------------------------
# Viewing
# ---------------------------------------------------------------------------
def test_owner_sees_members_and_pending_invitations(owner_client, merchant, owner, member):
    pending, _token = _invite(merchant, "pending@example.am", Role.DEVELOPER)
    revoked, _token = _invite(merchant, "revoked@example.am")
    Invitation.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    expired, _token = _invite(merchant, "expired@example.am")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))

    response = owner_client.get(TEAM_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert owner.email in page
    assert member.email in page
    assert "pending@example.am" in page
    assert "revoked@example.am" not in page
    assert "expired@example.am" not in page
    assert reverse("merchants:team_revoke", args=[pending.pk]) in page


def test_team_page_lists_only_own_merchants_people(owner_client, outsider):
    response = owner_client.get(TEAM_URL)
    assert outsider.email not in response.content.decode()


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.DEVELOPER])
def test_roles_without_team_permission_get_403(merchant, role):
    membership = MembershipFactory(merchant=merchant, role=role)
    other = MembershipFactory(merchant=merchant, role=Role.ACCOUNTANT)
    invitation, _token = _invite(merchant, "someone@example.am")
    client = _client(membership.user)

    assert client.get(TEAM_URL).status_code == 403
    assert client.post(INVITE_URL, {"email": "x@example.am", "role": role}).status_code == 403
    assert (
        client.post(
            reverse("merchants:team_change_role", args=[other.pk]), {"role": Role.ADMIN}
        ).status_code
        == 403
    )
    assert client.post(reverse("merchants:team_remove", args=[other.pk])).status_code == 403
    assert client.post(reverse("merchants:team_revoke", args=[invitation.pk])).status_code == 403
    assert Membership.objects.filter(pk=other.pk, role=Role.ACCOUNTANT).exists()
    assert not Invitation.objects.filter(email="x@example.am").exists()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_admin_sees_owner_without_controls(admin_client, owner_membership):
    page = admin_client.get(TEAM_URL).content.decode()
    assert reverse("merchants:team_change_role", args=[owner_membership.pk]) not in page
    assert reverse("merchants:team_remove", args=[owner_membership.pk]) not in page
    # And the role choices offered to an admin leave out "owner".
    assert 'value="owner"' not in page


def test_changing_the_team_needs_post(owner_client, member):
    membership = Membership.objects.get(user=member)
    assert owner_client.get(INVITE_URL).status_code == 405
    assert (
        owner_client.get(reverse("merchants:team_remove", args=[membership.pk])).status_code == 405
    )


# ---------------------------------------------------------------------------
# Inviting
# ---------------------------------------------------------------------------
def test_owner_invites_a_colleague_by_email(
    owner_client, merchant, owner, mailoutbox, send_on_commit
):
    response = send_on_commit(
        owner_client, INVITE_URL, {"email": " New.Person@Example.am ", "role": Role.DEVELOPER}
    )

    assert response.status_code == 302
    assert response["Location"] == TEAM_URL
    invitation = Invitation.objects.get(merchant=merchant)
    assert invitation.email == "new.person@example.am"
    assert invitation.role == Role.DEVELOPER
    assert invitation.invited_by == owner
    assert invitation.is_pending
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.person@example.am"]
    assert merchant.display_name in message.subject
    link = re.search(r"https?://\S+/invitations/([^/\s]+)/", message.body)
    assert link is not None
    # The email carries the token; the database only its hash.
    assert link.group(1) not in invitation.token_hash
    assert services.invitation_for_token(link.group(1)) == invitation
    html = message.alternatives[0][0]
    assert link.group(0) in html


def test_invalid_invite_keeps_the_typed_values(owner_client):
    response = owner_client.post(INVITE_URL, {"email": "not-an-email", "role": Role.ADMIN})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="not-an-email"' in page
    assert re.search(r'<option value="admin"[^>]*selected', page)
    assert "is-invalid" in page
    assert not Invitation.objects.exists()


def test_inviting_a_member_again_is_refused_next_to_the_email(owner_client, member, mailoutbox):
    response = owner_client.post(INVITE_URL, {"email": member.email.upper(), "role": Role.ADMIN})

    assert response.status_code == 200
    page = response.content.decode()
    assert "already in your team" in page
    assert f'value="{member.email.upper()}"' in page or f'value="{member.email}"' in page
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_admin_cannot_invite_an_owner(admin_client, merchant):
    response = admin_client.post(INVITE_URL, {"email": "boss@example.am", "role": Role.OWNER})
    assert response.status_code == 200
    assert not Invitation.objects.filter(email="boss@example.am").exists()


def test_service_refuses_an_owner_invitation_from_an_admin(merchant, admin_membership):
    with pytest.raises(services.ServiceError) as error:
        services.invitation_create(
            merchant=merchant, email="boss@example.am", role=Role.OWNER, by=admin_membership
        )
    assert error.value.field == "role"


def test_admin_invites_an_accountant(admin_client, merchant, send_on_commit, mailoutbox):
    response = send_on_commit(
        admin_client, INVITE_URL, {"email": "books@example.am", "role": Role.ACCOUNTANT}
    )
    assert response.status_code == 302
    assert Invitation.objects.get(email="books@example.am").role == Role.ACCOUNTANT
    assert len(mailoutbox) == 1


def test_a_new_invitation_replaces_the_pending_one(merchant):
    first, first_token = _invite(merchant, "twice@example.am", Role.ACCOUNTANT)
    second, second_token = _invite(merchant, "twice@example.am", Role.DEVELOPER)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_pending
    assert not services.invitation_for_token(first_token).is_pending


def test_invitation_emails_to_one_address_are_rate_limited(owner_client, merchant):
    for _attempt in range(services.INVITATIONS_PER_ADDRESS_PER_HOUR):
        _invite(merchant, "victim@example.am")
    response = owner_client.post(INVITE_URL, {"email": "victim@example.am", "role": Role.ADMIN})
    assert response.status_code == 200
    assert "try again later" in response.content.decode()
    assert (
        Invitation.objects.filter(email="victim@example.am").count()
        == services.INVITATIONS_PER_ADDRESS_PER_HOUR
    )


def test_invitation_emails_per_merchant_are_rate_limited(owner_client, merchant, settings):
    for number in range(services.INVITATIONS_PER_HOUR):
        _invite(merchant, f"person{number}@example.am")
    response = owner_client.post(INVITE_URL, {"email": "one-more@example.am", "role": Role.ADMIN})
    assert response.status_code == 200
    assert "Too many invitations" in response.content.decode()
    assert not Invitation.objects.filter(email="one-more@example.am").exists()


def test_invitations_older_than_an_hour_do_not_count_against_the_limit(merchant):
    for _attempt in range(services.INVITATIONS_PER_ADDRESS_PER_HOUR):
        _invite(merchant, "patient@example.am")
    Invitation.objects.update(created_at=timezone.now() - timedelta(hours=2))
    invitation, _token = _invite(merchant, "patient@example.am")
    assert invitation.is_pending


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------
def test_owner_changes_a_members_role(owner_client, member):
    membership = Membership.objects.get(user=member)
    response = owner_client.post(
        reverse("merchants:team_change_role", args=[membership.pk]), {"role": Role.DEVELOPER}
    )
    assert response.status_code == 302
    assert response["Location"] == TEAM_URL
    membership.refresh_from_db()
    assert membership.role == Role.DEVELOPER


def test_owner_makes_someone_an_owner(owner_client, member):
    membership = Membership.objects.get(user=member)
    owner_client.post(
        reverse("merchants:team_change_role", args=[membership.pk]), {"role": Role.OWNER}
    )
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_admin_cannot_make_someone_an_owner(admin_client, accountant_membership):
    response = admin_client.post(
        reverse("merchants:team_change_role", args=[accountant_membership.pk]),
        {"role": Role.OWNER},
    )
    assert response.status_code == 200
    accountant_membership.refresh_from_db()
    assert accountant_membership.role == Role.ACCOUNTANT


def test_admin_cannot_demote_an_owner(admin_client, owner_membership):
    response = admin_client.post(
        reverse("merchants:team_change_role", args=[owner_membership.pk]), {"role": Role.ADMIN}
    )
    assert response.status_code == 200
    assert "Only an owner" in response.content.decode()
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.OWNER


def test_unknown_role_is_refused(owner_client, accountant_membership):
    response = owner_client.post(
        reverse("merchants:team_change_role", args=[accountant_membership.pk]),
        {"role": "superuser"},
    )
    assert response.status_code == 200
    accountant_membership.refresh_from_db()
    assert accountant_membership.role == Role.ACCOUNTANT


def test_last_owner_cannot_be_demoted(owner_client, owner_membership):
    response = owner_client.post(
        reverse("merchants:team_change_role", args=[owner_membership.pk]), {"role": Role.ADMIN}
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.OWNER


def test_an_owner_steps_down_when_another_owner_remains(owner_client, owner_membership, merchant):
    MembershipFactory(merchant=merchant, role=Role.OWNER)
    response = owner_client.post(
        reverse("merchants:team_change_role", args=[owner_membership.pk]),
        {"role": Role.ACCOUNTANT},
    )
    # An accountant may not see the team page any more.
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.ACCOUNTANT


def test_service_keeps_the_last_owner(owner_membership):
    with pytest.raises(services.ServiceError):
        services.membership_change_role(
            membership=owner_membership, role=Role.ADMIN, by=owner_membership
        )
    with pytest.raises(services.ServiceError):
        services.membership_remove(membership=owner_membership, by=owner_membership)


def test_services_refuse_another_merchants_member(owner_membership, outsider):
    foreign = Membership.objects.get(user=outsider)
    with pytest.raises(PermissionError):
        services.membership_change_role(membership=foreign, role=Role.ADMIN, by=owner_membership)
    with pytest.raises(PermissionError):
        services.membership_remove(membership=foreign, by=owner_membership)


# ---------------------------------------------------------------------------
# Removing and revoking
# ---------------------------------------------------------------------------
def test_owner_removes_a_member(owner_client, member):
    membership = Membership.objects.get(user=member)
    response = owner_client.post(reverse("merchants:team_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    # The person keeps their login; they are only out of the team.
    member.refresh_from_db()
    assert member.is_active


def test_last_owner_cannot_be_removed(owner_client, owner_membership):
    response = owner_client.post(reverse("merchants:team_remove", args=[owner_membership.pk]))
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_admin_cannot_remove_an_owner(admin_client, owner_membership):
    response = admin_client.post(reverse("merchants:team_remove", args=[owner_membership.pk]))
    assert response.status_code == 200
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_admin_removes_an_accountant(admin_client, accountant_membership):
    response = admin_client.post(reverse("merchants:team_remove", args=[accountant_membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=accountant_membership.pk).exists()


def test_removed_member_loses_access(owner_client, merchant):
    admin = MembershipFactory(merchant=merchant, role=Role.ADMIN)
    client = _client(admin.user)
    assert client.get(TEAM_URL).status_code == 200
    owner_client.post(reverse("merchants:team_remove", args=[admin.pk]))
    assert client.get(TEAM_URL).status_code == 403


def test_owner_revokes_an_invitation(owner_client, merchant):
    invitation, token = _invite(merchant, "late@example.am")
    response = owner_client.post(reverse("merchants:team_revoke", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    page = Client().get(reverse("merchants:invitation_accept", args=[token]))
    assert "withdrawn" in page.content.decode()


def test_admin_cannot_revoke_an_owners_invitation(admin_client, merchant):
    invitation, _token = _invite(merchant, "co-owner@example.am", Role.OWNER)
    response = admin_client.post(reverse("merchants:team_revoke", args=[invitation.pk]))
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_accepted_invitation_is_not_revoked(merchant, owner_membership):
    invitation, _token = _invite(merchant, "joined@example.am")
    user = MembershipFactory(user__email="joined@example.am").user
    services.invitation_accept(invitation=invitation, user=user)
    services.invitation_revoke(invitation=invitation, by=owner_membership)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# ---------------------------------------------------------------------------
# Another merchant's ids
# ---------------------------------------------------------------------------
def test_another_merchants_member_and_invitation_are_not_found(owner_client, outsider):
    foreign_membership = Membership.objects.get(user=outsider)
    foreign_invitation, _token = _invite(foreign_membership.merchant, "theirs@example.am")

    change = owner_client.post(
        reverse("merchants:team_change_role", args=[foreign_membership.pk]), {"role": Role.ADMIN}
    )
    remove = owner_client.post(reverse("merchants:team_remove", args=[foreign_membership.pk]))
    revoke = owner_client.post(reverse("merchants:team_revoke", args=[foreign_invitation.pk]))

    assert (change.status_code, remove.status_code, revoke.status_code) == (404, 404, 404)
    foreign_membership.refresh_from_db()
    assert foreign_membership.role == Role.OWNER
    foreign_invitation.refresh_from_db()
    assert foreign_invitation.revoked_at is None


def test_service_refuses_to_invite_into_another_merchant(owner_membership, outsider):
    foreign = Membership.objects.get(user=outsider).merchant
    with pytest.raises(PermissionError):
        services.invitation_create(
            merchant=foreign, email="x@example.am", role=Role.ADMIN, by=owner_membership
        )
