from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from merchants import selectors
from merchants.models import (
    ContactConfirmation,
    Membership,
    Merchant,
    TariffAcceptance,
    User,
)
from settlements.models import LedgerEntry, Payout, Settlement
from shops.models import Shop
from transactions.models import DailyTotal, Payment, PaymentEvent, Refund
from transactions.totals import daily_totals_rebuild

pytestmark = pytest.mark.django_db

ROLES = ["owner", "admin", "accountant", "developer"]


def _seed_json() -> dict:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def _counts() -> dict[str, int]:
    models = (
        User,
        Merchant,
        Membership,
        EmailAddress,
        ContactConfirmation,
        TariffAcceptance,
        Shop,
        Payment,
        PaymentEvent,
        Refund,
        DailyTotal,
    )
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


def test_demo_staff_signs_in_and_is_asked_to_set_up_two_factor_before_the_admin():
    logins = _seed_json()
    client = Client()
    client.post(
        "/accounts/login/",
        {"login": logins["staff_email"], "password": logins["staff_password"]},
    )
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


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


def _demo_merchant() -> Merchant:
    _seed_json()
    return Merchant.objects.get(memberships__user__email="merchant@demo.inecopay.am")


def test_demo_merchant_has_a_confirmed_live_shop_beside_the_test_shop():
    merchant = _demo_merchant()
    test_shop = merchant.shops.get(name="Demo Shop")
    live_shop = merchant.shops.get(name="Demo Books")
    assert not test_shop.live_mode
    assert live_shop.live_mode and live_shop.is_open
    assert live_shop.review_status == Shop.Review.CONFIRMED
    assert live_shop.reviewed_by.is_staff
    actions = set(live_shop.changes.values_list("action", flat=True))
    assert {"created", "submitted", "confirmed", "opened", "live_on"} <= actions


def test_live_history_is_realistic():
    merchant = _demo_merchant()
    live = Payment.objects.filter(shop__name="Demo Books", test=False)
    assert 2000 <= live.count() <= 3000
    assert set(live.values_list("status", flat=True)) == set(Payment.Status.values)
    assert set(live.values_list("method", flat=True)) >= {
        "card", "idram", "telcell", "apple_pay", "google_pay"
    }  # fmt: skip
    assert set(live.values_list("currency", flat=True)) == {"AMD", "USD", "EUR"}
    assert live.filter(currency="AMD").count() > 0.75 * live.count()
    cards = live.filter(method="card").exclude(status="pending")
    assert set(cards.values_list("card_brand", flat=True)) == {"visa", "mastercard", "arca"}
    assert all(len(last4) == 4 for last4 in cards.values_list("card_last4", flat=True))
    days = {p.created_at.date() for p in live.only("created_at")}
    assert len(days) > 80
    oldest = live.order_by("created_at").first().created_at
    assert (timezone.now() - oldest).days <= 90
    assert not live.filter(created_at__gt=timezone.now()).exists()
    # Refunds add up, and each payment's events end in its status.
    for payment in live.filter(status__in=["refunded", "partially_refunded"])[:50]:
        assert sum(payment.refunds.values_list("amount", flat=True)) == payment.refunded_amount
    for payment in live.order_by("?")[:50]:
        events = list(payment.events.order_by("created_at", "id"))
        assert events[0].to_status == "pending" and events[0].from_status == ""
        assert events[-1].to_status == payment.status
        assert all(a.to_status == b.from_status for a, b in zip(events, events[1:], strict=False))
    assert live.filter(status="refunded").exclude(refunded_amount=models.F("amount")).count() == 0
    assert Payment.objects.filter(shop__name="Demo Shop", test=True).exists()
    assert not Payment.objects.filter(
        merchant=merchant, test=False, shop__name="Demo Shop"
    ).exists()


def test_demo_totals_are_complete_and_equal_a_recount():
    merchant = _demo_merchant()
    assert merchant.totals_time_zone == merchant.time_zone
    before = set(DailyTotal.objects.filter(merchant=merchant).values_list(*TOTAL_FIELDS))
    daily_totals_rebuild(merchant_id=merchant.pk)
    assert set(DailyTotal.objects.filter(merchant=merchant).values_list(*TOTAL_FIELDS)) == before


def test_history_is_deterministic():
    merchant = _demo_merchant()
    first = list(Payment.objects.filter(merchant=merchant).values_list(*HISTORY_FIELDS))
    # The ledger and its settlements and payouts go first: they keep payments and refunds.
    LedgerEntry.objects.all().delete()
    Settlement.objects.all().delete()
    Payout.objects.all().delete()
    Refund.objects.all().delete()
    Payment.objects.all().delete()
    _seed_json()
    second = list(Payment.objects.filter(merchant=merchant).values_list(*HISTORY_FIELDS))
    assert first == second


def test_demo_reconciliation_has_settled_months_and_paid_payouts():
    merchant = _demo_merchant()
    assert Settlement.objects.closed().filter(merchant=merchant).count() > 60
    assert Payout.objects.filter(merchant=merchant, status=Payout.Status.PAID).exists()
    client = Client()
    client.post(
        "/accounts/login/",
        {"login": "accountant@demo.inecopay.am", "password": "demo-inecopay-2026"},
    )
    response = client.get("/reconciliation/")
    assert response.status_code == 200
    assert response.context["rec"].problems == []


def test_demo_dashboard_shows_live_turnover():
    _demo_merchant()
    client = Client()
    client.post(
        "/accounts/login/",
        {"login": "accountant@demo.inecopay.am", "password": "demo-inecopay-2026"},
    )
    response = client.get("/dashboard/")
    figures = response.context["figures"]
    assert not figures.test
    assert figures.month_turnover or figures.today.day == 1
    assert sum(day.gross for day in figures.days["AMD"]) > 0


TOTAL_FIELDS = ("test", "day", "shop_id", "status", "method", "currency", "count", "amount")
HISTORY_FIELDS = (
    "public_id", "order_id", "status", "amount", "currency", "method", "card_last4",
    "refunded_amount",
)  # fmt: skip
