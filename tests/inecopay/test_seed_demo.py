from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from merchants import selectors
from merchants.models import (
    ContactConfirmation,
    Membership,
    Merchant,
    TariffAcceptance,
    User,
)

pytestmark = pytest.mark.django_db

ROLES = ["owner", "admin", "accountant", "developer"]


def _seed_json() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def _counts() -> dict[str, int]:
    models = (User, Merchant, Membership, EmailAddress, ContactConfirmation, TariffAcceptance)
    return {model.__name__: model.objects.count() for model in models}


def test_seed_demo_is_idempotent():
    first = _seed_json()
    counts = _counts()
    second = _seed_json()
    assert first == second
    assert _counts() == counts


def test_json_keeps_the_old_keys_and_adds_the_team():
    logins = _seed_json()
    assert {"merchant_email", "merchant_password", "staff_email", "staff_password"} <= set(logins)
    assert sorted(logins["team"]) == sorted(ROLES)
    assert logins["team"]["owner"] == logins["merchant_email"] == "merchant@demo.inecopay.am"
    assert logins["team"]["admin"] == "admin@demo.inecopay.am"
    assert logins["team"]["accountant"] == "accountant@demo.inecopay.am"
    assert logins["team"]["developer"] == "developer@demo.inecopay.am"


def test_demo_merchant_is_activated_with_complete_data():
    logins = _seed_json()
    merchant = Merchant.objects.get(memberships__user__email=logins["merchant_email"])
    assert merchant.state == Merchant.State.ACTIVATED
    assert selectors.activation_complete(merchant)
    assert selectors.accepted_current_tariff(merchant)
    assert len(merchant.tax_id) == 8 and merchant.tax_id.isdigit()
    assert "Yerevan" in merchant.legal_address
    assert merchant.phone == "+37410123456"
    assert merchant.website_confirmed_at and merchant.phone_confirmed_at
    kinds = set(merchant.contact_confirmations.values_list("kind", flat=True))
    assert kinds == {"email", "phone", "website"}


def test_an_older_demo_merchant_is_brought_up_to_date():
    owner = User.objects.create_user("merchant@demo.inecopay.am", "x")
    old = Merchant.objects.create(name="Demo Shop LLC", state=Merchant.State.ACTIVATED)
    Membership.objects.create(merchant=old, user=owner, role="owner")
    _seed_json()
    assert Merchant.objects.count() == 1
    old.refresh_from_db()
    assert selectors.activation_complete(old)


@pytest.mark.parametrize("role", ROLES)
def test_every_demo_login_signs_in_with_its_role(role):
    logins = _seed_json()
    email = logins["team"][role]
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": email, "password": logins["merchant_password"]}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user__email=email).role == role
    assert client.get("/dashboard/").status_code == 200


def test_demo_staff_reaches_admin():
    logins = _seed_json()
    client = Client()
    client.post(
        "/accounts/login/",
        {"login": logins["staff_email"], "password": logins["staff_password"]},
    )
    assert client.get("/admin/").status_code == 200


def test_seed_demo_prints_logins_for_people():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for email in (
        "merchant@demo.inecopay.am",
        "admin@demo.inecopay.am",
        "accountant@demo.inecopay.am",
        "developer@demo.inecopay.am",
        "staff@demo.inecopay.am",
    ):
        assert email in text
    assert "/dev/outbox/" in text
