"""Staff mark due payouts paid (or reject them) in admin; twice is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from settlements.models import LedgerEntry, Payout
from settlements.services import settle
from tests.settlements.conftest import paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_payout(live_shop):
    paid(live_shop, datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    settle(now=datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    return Payout.objects.get()


def test_staff_mark_a_payout_paid_with_the_bank_reference(client, staff, due_payout, english):
    client.force_login(staff)
    page = client.get(reverse("admin:settlements_payout_change", args=[due_payout.pk]))
    assert b"Mark paid" in page.content

    url = reverse("admin:settlements_payout_paid", args=[due_payout.pk])
    response = client.post(url, {"reference": "AMERIA-778", "paid_on": "2026-11-04"})
    assert response.status_code == 302
    due_payout.refresh_from_db()
    assert (due_payout.status, due_payout.reference) == ("paid", "AMERIA-778")
    assert due_payout.decided_by == staff

    again = client.post(url, {"reference": "AMERIA-779", "paid_on": "2026-11-04"})
    assert again.status_code == 200
    assert b"already Paid" in again.content
    assert LedgerEntry.objects.filter(kind="payout").count() == 1


def test_a_future_payment_date_is_refused(client, staff, due_payout, english):
    client.force_login(staff)
    url = reverse("admin:settlements_payout_paid", args=[due_payout.pk])
    response = client.post(url, {"reference": "X", "paid_on": "2099-01-01"})
    assert b"cannot be in the future" in response.content
    due_payout.refresh_from_db()
    assert due_payout.status == "due"


def test_staff_reject_a_payout_with_a_reason(client, staff, due_payout):
    client.force_login(staff)
    url = reverse("admin:settlements_payout_reject", args=[due_payout.pk])
    assert client.post(url, {"reason": "Account closed"}).status_code == 302
    due_payout.refresh_from_db()
    assert due_payout.status == "rejected"
    assert due_payout.settlements.count() == 0


def test_merchants_cannot_reach_the_payout_admin(owner_client, due_payout):
    url = reverse("admin:settlements_payout_paid", args=[due_payout.pk])
    response = owner_client.post(url, {"reference": "X", "paid_on": "2026-11-04"})
    assert response.status_code in (302, 403, 404)
    due_payout.refresh_from_db()
    assert due_payout.status == "due"
