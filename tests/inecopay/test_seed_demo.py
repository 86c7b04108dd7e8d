from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from merchants.models import Membership, Merchant, User

pytestmark = pytest.mark.django_db


def _seed_json() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def _counts() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Merchant.objects.count(),
        Membership.objects.count(),
        EmailAddress.objects.count(),
    )


def test_seed_demo_is_idempotent():
    first = _seed_json()
    counts = _counts()
    second = _seed_json()
    assert first == second
    assert _counts() == counts


def test_demo_merchant_can_sign_in_and_is_activated():
    logins = _seed_json()
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"login": logins["merchant_email"], "password": logins["merchant_password"]},
    )
    assert response.status_code == 302
    merchant = Merchant.objects.get(memberships__user__email=logins["merchant_email"])
    assert merchant.state == Merchant.State.ACTIVATED
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
    assert "merchant@demo.inecopay.am" in out.getvalue()
    assert "/dev/outbox/" in out.getvalue()
