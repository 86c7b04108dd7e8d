"""The header menu shows each role only the sections it may open."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from merchants.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _menu_links(client: Client) -> set[str]:
    page = client.get(reverse("dashboard")).content.decode()
    menu = page.split('class="navbar-nav site-nav', 1)[1].split("</ul>", 1)[0]
    return {part.split('"', 1)[0] for part in menu.split('href="')[1:]}


@pytest.mark.parametrize(
    ("role", "documents_shown"),
    [
        (Membership.Role.OWNER, True),
        (Membership.Role.ADMIN, True),
        (Membership.Role.ACCOUNTANT, False),
        (Membership.Role.DEVELOPER, False),
    ],
)
def test_documents_section_only_for_roles_that_manage_the_account(merchant, role, documents_shown):
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    links = _menu_links(client)
    assert (reverse("documents:list") in links) is documents_shown
    assert reverse("shops:list") in links


def test_every_menu_link_opens_for_the_role_that_sees_it(merchant):
    for role in Membership.Role.values:
        client = Client()
        client.force_login(MembershipFactory(merchant=merchant, role=role).user)
        for url in _menu_links(client):
            assert client.get(url).status_code == 200, (role, url)
