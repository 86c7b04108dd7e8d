from __future__ import annotations

import re

import pytest
from django.urls import reverse

from merchants.models import Membership, Merchant, User

pytestmark = pytest.mark.django_db


def _signup(client, email: str = "new.shop@example.am"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": "Very-secret-pass-42", "password2": "Very-secret-pass-42"},
    )


def test_signup_creates_merchant_owned_by_new_user(client, outbox_backend):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="new.shop@example.am")
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.merchant.state == Merchant.State.REGISTERED
    assert user.password.startswith("argon2")


def test_activation_link_from_outbox_verifies_the_email(client, staff_client, outbox_backend):
    _signup(client)
    listing = staff_client.get(reverse("dev_outbox")).content.decode()
    message_id = re.search(r"/dev/outbox/([0-9T]+-[0-9a-f]+)/", listing).group(1)
    detail = staff_client.get(reverse("dev_outbox_detail", args=[message_id])).content.decode()
    link = re.search(r'href="https?://[^/"]+(/accounts/confirm-email/[^"]+)"', detail).group(1)

    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    merchant = Membership.objects.get(user__email="new.shop@example.am").merchant
    merchant.refresh_from_db()
    assert merchant.state == Merchant.State.EMAIL_VERIFIED


def test_signup_with_mismatched_passwords_keeps_the_email(client, outbox_backend):
    response = client.post(
        reverse("account_signup"),
        {"email": "typo@example.am", "password1": "Very-secret-pass-42", "password2": "other"},
    )
    assert response.status_code == 200
    assert 'value="typo@example.am"' in response.content.decode()
    assert not User.objects.filter(email="typo@example.am").exists()
    assert not Merchant.objects.exists()
