"""«Сверка расчетов» through HTTP: the lines and balances, drill-down, roles, bad input,
and another merchant's settlement."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from merchants.models import Membership
from settlements.models import Payout, Settlement
from settlements.services import payout_mark_paid, settle
from tests.factories import MembershipFactory
from tests.settlements.conftest import paid, refund

pytestmark = pytest.mark.django_db

URL = "/reconciliation/"


def _noon(day: int) -> datetime:
    return datetime(2026, 11, day, 8, 0, tzinfo=UTC)


@pytest.fixture
def history(live_shop, staff):
    first = paid(live_shop, _noon(2), amount=1_000_000, order_id="A-1")
    paid(live_shop, _noon(3), amount=400_000, order_id="A-2")
    refund(first, _noon(3), amount=200_000)
    settle(now=_noon(4))
    payout = Payout.objects.get()
    payout_mark_paid(payout=payout, reference="BANK-42", paid_on=date(2026, 11, 4), staff=staff)
    return first


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_period_reconciles_with_each_line(owner_client, history, english):
    response = owner_client.get(
        URL, {"first": "2026-11-01", "last": "2026-11-05", "currency": "AMD"}
    )
    assert response.status_code == 200
    rec = response.context["rec"]
    # 2.5 % with a 100 AMD minimum: 25 000 + 10 000, less a fifth of 25 000 given back.
    assert rec.period.gross == 1_400_000
    assert rec.period.refunds == 200_000
    assert rec.period.commission == 35_000 - 5_000
    assert rec.opening == 0
    assert rec.period.payouts == 1_000_000 - 25_000 + 400_000 - 200_000 - 10_000 + 5_000
    assert rec.closing == 0
    assert rec.problems == []
    page = response.content.decode()
    assert "BANK-42" in page
    assert "Opening balance plus the period" in page

    second_half = owner_client.get(
        URL, {"first": "2026-11-03", "last": "2026-11-05", "currency": "AMD"}
    ).context["rec"]
    first_half = owner_client.get(
        URL, {"first": "2026-11-01", "last": "2026-11-02", "currency": "AMD"}
    ).context["rec"]
    assert first_half.closing == second_half.opening == 1_000_000 - 25_000


def test_each_line_drills_down_to_its_payments_or_payouts(owner_client, history):
    query = {"first": "2026-11-01", "last": "2026-11-05", "currency": "AMD"}
    gross = owner_client.get(reverse("settlements:line", args=["gross"]), query)
    assert [p.order_id for p in gross.context["rows"]] == ["A-2", "A-1"]
    refunds = owner_client.get(reverse("settlements:line", args=["refunds"]), query)
    assert [p.order_id for p in refunds.context["rows"]] == ["A-1"]
    payouts = owner_client.get(reverse("settlements:line", args=["payouts"]), query)
    assert [p.reference for p in payouts.context["rows"]] == ["BANK-42"]
    assert (
        owner_client.get(reverse("settlements:line", args=["nonsense"]), query).status_code == 404
    )


def test_a_settlement_day_lists_its_payments_and_another_merchants_is_404(
    owner_client, outsider_client, history
):
    settlement = Settlement.objects.get(day=date(2026, 11, 2))
    url = reverse("settlements:settlement", args=[settlement.pk])
    response = owner_client.get(url)
    assert response.status_code == 200
    assert [p.order_id for p in response.context["rows"]] == ["A-1"]
    assert b"BANK-42" in response.content
    assert outsider_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"first": "2026-11-05", "last": "2026-11-01", "currency": "AMD"}, "ends before it starts"),
        ({"first": "2099-01-01", "last": "2099-01-31", "currency": "AMD"}, "start in the future"),
        ({"first": "2026-11-01", "last": "2026-11-05", "currency": "XYZ"}, "valid choice"),
        ({"first": "yesterday", "last": "2026-11-05", "currency": "AMD"}, "valid date"),
        ({"first": "2020-01-01", "last": "2026-11-05", "currency": "AMD"}, "three years"),
    ],
)
def test_bad_periods_get_a_message_and_keep_what_was_typed(
    owner_client, history, query, message, english
):
    response = owner_client.get(URL, query)
    assert response.status_code == 200
    assert "rec" not in response.context
    assert message in response.content.decode()
    assert f'value="{query["first"]}"' in response.content.decode()


def test_a_period_into_the_future_is_read_up_to_today(owner_client, history):
    response = owner_client.get(
        URL, {"first": "2026-11-01", "last": "2099-12-31", "currency": "AMD"}
    )
    assert response.status_code == 200
    assert response.context["rec"].last <= date.today()


def test_roles_accountant_reads_developer_does_not(merchant, history):
    accountant = MembershipFactory(merchant=merchant, role=Membership.Role.ACCOUNTANT).user
    developer = MembershipFactory(merchant=merchant, role=Membership.Role.DEVELOPER).user
    assert _client(accountant).get(URL).status_code == 200
    assert _client(developer).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302


def test_the_page_costs_the_same_queries_whatever_the_history(
    owner_client, history, django_assert_max_num_queries
):
    with django_assert_max_num_queries(25):
        owner_client.get(URL, {"first": "2026-11-01", "last": "2026-11-30", "currency": "AMD"})
