"""The dashboard: activation progress until the account is activated, then the go-live checklist."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants import selectors, services
from merchants.models import Membership, Merchant, Tariff
from tests.factories import MembershipFactory, MerchantFactory

pytestmark = pytest.mark.django_db

Role = Membership.Role
DASHBOARD = reverse("dashboard")


def _client_for(role: str, merchant: Merchant) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


@pytest.fixture
def new_merchant() -> Merchant:
    return MerchantFactory(state=Merchant.State.EMAIL_VERIFIED)


@pytest.fixture
def live_merchant(owner_membership) -> Merchant:
    merchant = owner_membership.merchant
    services.tariff_accept(
        merchant=merchant,
        tariff=Tariff.objects.current(),
        by=owner_membership.user,
        ip=None,
        user_agent="",
    )
    return merchant


def test_new_merchant_sees_activation_steps_and_the_button(new_merchant):
    response = _client_for(Role.OWNER, new_merchant).get(DASHBOARD)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse("merchants:activation")}"' in page
    for step in selectors.activation_steps(new_merchant):
        assert str(step.title) in page
        assert f'href="{reverse(step.url_name)}"' in page
    assert "0 из 4" in page  # Russian, the default language
    assert response.context["checklist_done"] == 0
    assert [row.current for row in response.context["checklist"]] == [True, False, False, False]


def test_progress_counts_the_steps_done(new_merchant):
    Merchant.objects.filter(pk=new_merchant.pk).update(website="https://shop.example.am")
    response = _client_for(Role.ADMIN, new_merchant).get(DASHBOARD)
    rows = response.context["checklist"]
    assert [row.done for row in rows] == [False, True, False, False]
    assert response.context["checklist_done"] == 1
    assert 'value="1"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.DEVELOPER])
def test_read_only_roles_see_the_status_without_action_links(new_merchant, role):
    response = _client_for(role, new_merchant).get(DASHBOARD)
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("merchants:activation") not in page
    for step in selectors.activation_steps(new_merchant):
        assert str(step.title) in page
        assert reverse(step.url_name) not in page


def test_activated_merchant_sees_the_golive_checklist(live_merchant, owner_client):
    response = owner_client.get(DASHBOARD)
    page = response.content.decode()
    keys = [row.key for row in response.context["checklist"]]
    assert keys[:2] == ["activated", "tariff"]
    assert all(row.done for row in response.context["checklist"][:2])
    assert reverse("merchants:activation_tariffs") in page
    # No activation button once activated.
    assert response.context["activated"]
    assert "btn btn-primary checklist-cta" not in page


def test_a_new_tariff_shows_up_as_not_done(live_merchant, owner_client):
    Tariff.objects.create(name="Standard", version=2, published_at=timezone.now())
    rows = {row.key: row for row in owner_client.get(DASHBOARD).context["checklist"]}
    assert rows["activated"].done
    assert not rows["tariff"].done
    assert rows["tariff"].current
    assert rows["tariff"].url == reverse("merchants:activation_tariffs")


def test_checklist_items_of_other_apps_show_without_a_broken_link(live_merchant, owner_client):
    item = selectors.ChecklistItem("future", "Something later", False, "nowhere:yet")

    def provider(merchant):
        return item

    selectors.register_golive_item(provider)
    try:
        page = owner_client.get(DASHBOARD).content.decode()
    finally:
        selectors._golive_items.remove(provider)
    assert "Something later" in page


def test_dashboard_has_no_inline_styles_or_scripts(new_merchant):
    page = _client_for(Role.OWNER, new_merchant).get(DASHBOARD).content.decode()
    assert "style=" not in page
    assert "<script>" not in page
