from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shops.models import ApiKey
from shops.services import api_key_create, shop_create
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def shop(merchant, owner):
    return shop_create(merchant=merchant, name="Ararat Books", by=owner)


def _client(role: str, merchant) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


def test_guide_shows_the_shop_identifiers_and_examples(owner_client, shop):
    body = owner_client.get(reverse("integration:shop_guide", args=[shop.pk])).content.decode()
    assert shop.public_id in body
    assert "Idempotency-Key" in body
    assert "HTTP_INECOPAY_SIGNATURE" in body  # the PHP webhook check
    assert "INECOPAY_SECRET_KEY" in body


def test_guide_never_shows_a_full_secret(owner_client, shop, owner):
    key, plaintext = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner)
    body = owner_client.get(reverse("integration:shop_guide", args=[shop.pk])).content.decode()
    assert key.masked in body
    assert plaintext not in body


@pytest.mark.parametrize(
    ("role", "status"), [("developer", 200), ("admin", 200), ("accountant", 403)]
)
def test_guide_follows_roles(shop, merchant, role, status):
    assert (
        _client(role, merchant).get(reverse("integration:shop_guide", args=[shop.pk])).status_code
        == status
    )


def test_outsider_gets_404_on_another_merchants_guide(outsider_client, shop):
    assert outsider_client.get(reverse("integration:shop_guide", args=[shop.pk])).status_code == 404


def test_guide_examples_use_the_shop_settings(owner_client, shop):
    shop.payment_methods = ["card", "idram"]
    shop.delivery_enabled = True
    shop.save()
    body = owner_client.get(reverse("integration:shop_guide", args=[shop.pk])).content.decode()
    assert "&quot;idram&quot;" in body
    assert "&quot;enabled&quot;: true" in body


def test_python_example_is_valid_python_with_the_shop_values(shop, rf):
    import ast

    from integration.guide import guide_examples

    shop.delivery_enabled = True
    shop.save()
    example = next(e for e in guide_examples(shop=shop, request=rf.get("/")) if e.key == "python")
    tree = ast.parse(example.code)
    assignment = next(node for node in tree.body if isinstance(node, ast.Assign))
    payment = ast.literal_eval(assignment.value)
    assert payment["delivery"] == {"enabled": True}
    assert payment["amount"] == 1500000
    assert payment["expires_in"] == shop.invoice_lifetime
