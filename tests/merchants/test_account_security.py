"""No account enumeration, and rate limits on the doors people knock on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from merchants.models import Merchant, User

pytestmark = pytest.mark.django_db

PASSWORD = "Very-secret-pass-42"


def _signup(client, email: str):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_signup_with_a_taken_email_answers_like_a_new_one(client, owner, mailoutbox):
    fresh = _signup(client, "brand.new@example.am")
    taken = _signup(client.__class__(), owner.email)
    assert fresh.status_code == taken.status_code == 302
    assert fresh["Location"] == taken["Location"]
    assert User.objects.filter(email=owner.email).count() == 1
    assert Merchant.objects.filter(memberships__user=owner).count() == 1
    # The owner of the address is told, by email, instead of the person typing.
    assert [m.to for m in mailoutbox] == [["brand.new@example.am"], [owner.email]]


def test_password_reset_answers_the_same_for_unknown_addresses(client, owner):
    known = client.post(reverse("account_reset_password"), {"email": owner.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.am"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_repeated_failed_logins_lock_the_login_for_a_while(client, owner):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": owner.email, "password": "wrong"})
    # Even the right password is refused now, with a message rather than a session.
    response = client.post(reverse("account_login"), {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signups_from_one_address_are_rate_limited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/h/ip"}
    statuses = [_signup(client.__class__(), f"s{n}@example.am").status_code for n in range(6)]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3:] == [429, 429, 429]


def test_weak_password_is_refused_with_email_kept(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "weak@example.am", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert 'value="weak@example.am"' in response.content.decode()
    assert not User.objects.filter(email="weak@example.am").exists()


def test_unverified_user_cannot_reach_the_dashboard(client):
    _signup(client, "unverified@example.am")
    client.post(reverse("account_login"), {"login": "unverified@example.am", "password": PASSWORD})
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
