"""Every page of merchants.urls and the dashboard, for every role, an outsider and a visitor.

Allowed pages answer (200, or a redirect that is part of the page's work); forbidden ones
answer 403, another merchant's objects 404, and an anonymous visitor goes to the login
page. Nothing answers 500.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse

from merchants import services
from merchants.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
MANAGERS = {Role.OWNER, Role.ADMIN}
PERSONAS = ["owner", "admin", "accountant", "developer", "outsider", "anonymous"]


@dataclass(frozen=True)
class Page:
    name: str
    method: str = "get"
    # Who may use it: "managers" (owner, admin), "members" (any role), "public".
    who: str = "managers"
    # The URL argument: None, "member" (a team member's id), "invitation", "token".
    arg: str | None = None
    # What an allowed request answers; the wizard and team forms redirect after work.
    ok: tuple[int, ...] = (200,)


PAGES = [
    Page("merchants:activation", ok=(302,)),
    Page("merchants:activation_company"),
    Page("merchants:activation_website"),
    Page("merchants:activation_contacts"),
    Page("merchants:activation_send_code", method="post"),
    Page("merchants:activation_verify_code", method="post"),
    Page("merchants:activation_check_website", method="post"),
    Page("merchants:activation_tariffs"),
    Page("merchants:team"),
    Page("merchants:team_invite", method="post"),
    Page("merchants:team_change_role", method="post", arg="member"),
    Page("merchants:team_remove", method="post", arg="member", ok=(302,)),
    Page("merchants:team_revoke", method="post", arg="invitation", ok=(302,)),
    Page("merchants:invitation_accept", who="public", arg="token"),
    Page("merchants:preferences", who="members"),
    Page("dashboard", who="members"),
]


def test_every_merchants_url_is_covered():
    names = {
        f"merchants:{name}"
        for name in get_resolver().namespace_dict["merchants"][1].reverse_dict
        if isinstance(name, str)
    }
    assert names == {page.name for page in PAGES if page.name.startswith("merchants:")}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Seven users a test, ninety-odd tests: Argon2's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(merchant, owner_membership, outsider):
    """One merchant with a member of every role, a colleague to act on and an invitation."""
    people = {"owner": owner_membership.user, "outsider": outsider}
    for role in (Role.ADMIN, Role.ACCOUNTANT, Role.DEVELOPER):
        people[str(role)] = MembershipFactory(merchant=merchant, role=role).user
    target = MembershipFactory(merchant=merchant, role=Role.DEVELOPER)
    invitation, token = services.invitation_create(
        merchant=merchant, email="invited@example.am", role=Role.ACCOUNTANT, by=owner_membership
    )
    return {"people": people, "member": target.pk, "invitation": invitation.pk, "token": token}


def _url(page: Page, world: dict) -> str:
    args = [world[page.arg]] if page.arg else []
    return reverse(page.name, args=args)


def _expected(page: Page, persona: str) -> tuple[int, ...]:
    if page.who == "public":
        return page.ok
    if persona == "anonymous":
        return (302,)
    if page.who == "members":
        return page.ok
    if persona == "outsider":
        # An owner of another merchant: their own wizard and team are theirs to use,
        # this merchant's members and invitations are not found.
        return (404,) if page.arg in ("member", "invitation") else page.ok
    return page.ok if persona in MANAGERS else (403,)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_page_answers_by_role(page, persona, world):
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(world["people"][persona])
    url = _url(page, world)

    response = getattr(client, page.method)(url)

    assert response.status_code != 500
    assert response.status_code in _expected(page, persona), (page.name, persona)
    if persona == "anonymous" and page.who != "public":
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize("persona", ["accountant", "developer"])
def test_read_only_roles_see_no_activation_or_team_links_on_the_dashboard(persona, world):
    client = Client()
    client.force_login(world["people"][persona])
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("merchants:team") not in page
    assert reverse("merchants:activation_company") not in page
    assert reverse("merchants:activation_tariffs") not in page
