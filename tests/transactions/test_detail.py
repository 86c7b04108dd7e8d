"""A payment's page through the HTTP stack: fields, timeline, refunds by role, 404s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from merchants.models import Membership
from payments.models import WebhookAttempt, WebhookDelivery
from tests.factories import MembershipFactory, ShopFactory
from transactions.models import Actor, Payment, Refund

from .helpers import Status, make_payment

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 11, 3, 19, 30, tzinfo=UTC)  # 23:30 in Yerevan


@pytest.fixture
def books(merchant):
    return ShopFactory(merchant=merchant, name="Books", is_open=True, delivery_enabled=True)


@pytest.fixture
def paid(books) -> Payment:
    payment = make_payment(
        books,
        CREATED,
        status=Status.SUCCEEDED,
        amount=300000,
        order_id="A-77",
        description="Two books",
        customer_email="buyer@example.am",
        customer_phone="+37410123456",
        metadata={"cart": "c-9"},
    )
    Payment.objects.filter(pk=payment.pk).update(
        delivery={"recipient": "Ani Petrosyan", "address": "Yerevan, Abovyan 1"}
    )
    payment.refresh_from_db()
    return payment


def _url(payment: Payment, action: str = "") -> str:
    return f"/transactions/{payment.public_id}/" + (f"{action}/" if action else "")


def _client(merchant, role: str) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


def test_detail_shows_fields_customer_delivery_metadata_and_timeline(owner_client, paid, english):
    delivery = WebhookDelivery.objects.create(
        shop=paid.shop,
        payment=paid,
        type="payment.succeeded",
        test=True,
        url="https://books.example.am/hook",
        body="{}",
        status=WebhookDelivery.Status.SUCCEEDED,
        attempts=2,
    )
    WebhookAttempt.objects.create(
        delivery=delivery, url=delivery.url, status_code=500, error="Server error"
    )
    WebhookAttempt.objects.create(delivery=delivery, url=delivery.url, status_code=200)

    response = owner_client.get(_url(paid))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        paid.public_id,
        "A-77",
        "Books",
        "3,000.00 AMD",
        "Two books",
        "Visa •••• 4242",
        "buyer@example.am",
        "+37410123456",
        "<dt>Recipient</dt>",
        "Ani Petrosyan",
        "<dt>Delivery address</dt>",
        "Yerevan, Abovyan 1",
        "c-9",
        "3 November 2026, 23:30:00",  # created, in the merchant's zone
        "payment.succeeded",
        "HTTP 500",
        "HTTP 200",
        "Server error",
    ):
        assert text in page, text
    timeline = page[page.index('class="tx-timeline"') :]
    kinds = [part.split('"')[0] for part in timeline.split('data-kind="')[1:]]
    assert kinds == ["status", "status", "status", "webhook"]
    # The owner may refund; the button leads to a confirmation.
    assert f'action="/transactions/{paid.public_id}/refund/"' in page


def test_another_merchants_payment_is_a_404(outsider_client, paid):
    assert outsider_client.get(_url(paid)).status_code == 404
    response = outsider_client.post(_url(paid, "refund"), {"amount": "1", "confirm": "1"})
    assert response.status_code == 404
    assert not Refund.objects.exists()


def test_unknown_payment_id_is_a_404(owner_client, paid):
    assert owner_client.get("/transactions/pay_0000/").status_code == 404
    assert owner_client.get("/transactions/" + "x" * 300 + "/").status_code == 404


def test_test_and_live_payments_both_open(owner_client, merchant):
    shop = ShopFactory(merchant=merchant, is_open=True, live_mode=True)
    live = make_payment(shop, CREATED, test=False)
    assert owner_client.get(_url(live)).status_code == 200


@pytest.mark.parametrize("role", [Membership.Role.ACCOUNTANT, Membership.Role.DEVELOPER])
def test_readers_see_the_payment_but_no_refund_and_cannot_post_one(merchant, paid, role):
    client = _client(merchant, role)
    response = client.get(_url(paid))
    assert response.status_code == 200
    assert "/refund/" not in response.content.decode()
    response = client.post(_url(paid, "refund"), {"amount": "1", "confirm": "1"})
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_admin_can_refund(merchant, paid):
    client = _client(merchant, Membership.Role.ADMIN)
    assert "/refund/" in client.get(_url(paid)).content.decode()


def test_partial_refund_asks_for_confirmation_then_refunds_exactly(owner_client, owner, paid):
    response = owner_client.post(_url(paid, "refund"), {"amount": "1 234,56", "reason": "damaged"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="confirm" value="1"' in page
    assert 'name="amount" value="1234.56"' in page
    assert not Refund.objects.exists()

    response = owner_client.post(
        _url(paid, "refund"), {"amount": "1234.56", "reason": "damaged", "confirm": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == _url(paid)
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.user, refund.created_by) == (
        123456,
        "damaged",
        owner,
        Actor.USER,
    )
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == (Status.PARTIALLY_REFUNDED, 123456)
    event = paid.events.order_by("-id").first()
    assert (event.actor, event.user, event.reason) == (Actor.USER, owner, "damaged")


def test_an_empty_amount_refunds_everything_that_remains(owner_client, paid, english):
    response = owner_client.post(_url(paid, "refund"), {"amount": ""})
    assert "everything that remains" in response.content.decode()
    response = owner_client.post(_url(paid, "refund"), {"amount": "3000.00", "confirm": "1"})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == (Status.REFUNDED, 300000)
    page = owner_client.get(_url(paid)).content.decode()
    assert "/refund/" not in page  # nothing left to refund


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("3000.01", "exceeds what remains to be refunded: at most 3,000.00 AMD"),
        ("0", "greater than zero"),
        ("1.005", "at most two decimals"),
        ("-5", "Enter an amount like"),
        ("1e3", "Enter an amount like"),
        ("ten", "Enter an amount like"),
        ("9" * 40, "Ensure this value has at most 32 characters"),
    ],
)
def test_bad_refund_amounts_are_explained_and_kept(owner_client, paid, english, amount, message):
    response = owner_client.post(_url(paid, "refund"), {"amount": amount, "confirm": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{amount}"' in page
    assert not Refund.objects.exists()


def test_exceeds_remaining_in_russian(owner_client, paid):
    response = owner_client.post(_url(paid, "refund"), {"amount": "5000", "confirm": "1"})
    assert response.status_code == 400
    # Russian groups thousands with a no-break space and uses a decimal comma.
    assert "3\xa0000,00 AMD" in response.content.decode()


def test_a_refund_that_no_longer_fits_is_refused_at_confirmation(owner_client, paid, english):
    from transactions.services import refund_create

    confirm = owner_client.post(_url(paid, "refund"), {"amount": "2000"})
    assert confirm.status_code == 200
    refund_create(payment=paid, amount=150000)  # someone else refunds meanwhile
    response = owner_client.post(_url(paid, "refund"), {"amount": "2000", "confirm": "1"})
    assert response.status_code == 400
    assert "at most 1,500.00 AMD" in response.content.decode()
    assert Refund.objects.count() == 1


def test_an_unpaid_payment_cannot_be_refunded(owner_client, books, english):
    pending = make_payment(books, datetime.now(UTC) - timedelta(minutes=1))
    assert "/refund/" not in owner_client.get(_url(pending)).content.decode()
    response = owner_client.post(
        _url(pending, "refund"), {"amount": "1", "confirm": "1"}, follow=True
    )
    assert "Only a paid payment can be refunded." in response.content.decode()
    assert not Refund.objects.exists()


def test_refund_needs_post(owner_client, paid):
    assert owner_client.get(_url(paid, "refund")).status_code == 405


def test_staff_get_a_link_to_the_admin_for_chargebacks(merchant, paid, staff):
    MembershipFactory(merchant=merchant, user=staff, role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(staff)
    page = client.get(_url(paid)).content.decode()
    assert f"/admin/transactions/payment/{paid.pk}/change/" in page


def test_detail_takes_a_constant_number_of_queries(
    owner_client, paid, settings, django_assert_max_num_queries
):
    settings.USERSESSIONS_TRACK_ACTIVITY = False
    for _ in range(3):
        owner_client.post(_url(paid, "refund"), {"amount": "10", "confirm": "1"})
    with django_assert_max_num_queries(10):
        assert owner_client.get(_url(paid)).status_code == 200
