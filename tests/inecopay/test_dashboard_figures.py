"""The dashboard's payment figures: turnover today and this month, shops, the 30-day chart.

Figures are compared with sums over the payments themselves, in the merchant's local days.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from merchants.models import Membership
from tests.factories import MembershipFactory, ShopFactory
from transactions import services
from transactions.models import Actor, Payment

pytestmark = pytest.mark.django_db

Status = Payment.Status
DASHBOARD = reverse("dashboard")
YEREVAN = ZoneInfo("Asia/Yerevan")
# 23:00 on 31 October in Yerevan: the month began on the 1st, the chart's days on the 2nd.
NOW = datetime(2026, 10, 31, 19, 0, tzinfo=UTC)
PAID = {Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED}


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _pay(shop, moment: datetime, fate: str, *, test: bool = False, **values) -> Payment:
    """A payment created at `moment` and moved to `fate` a minute later."""
    values = {"amount": 150000, "currency": "AMD", "order_id": "o-1", **values}
    with _at(moment):
        payment = services.payment_create(shop=shop, test=test, **values)
    with _at(moment + timedelta(minutes=1)):
        if fate in (Status.EXPIRED, Status.CANCELLED):
            services.payment_transition(payment=payment, to=fate, actor=Actor.SYSTEM)
        elif fate != Status.PENDING:
            services.payment_transition(
                payment=payment,
                to=Status.PROCESSING,
                actor=Actor.FORM,
                fields={"method": "card", "card_brand": "visa", "card_last4": "4242"},
            )
            outcome = Status.DECLINED if fate == Status.DECLINED else Status.SUCCEEDED
            services.payment_transition(payment=payment, to=outcome, actor=Actor.FORM)
        if fate == Status.PARTIALLY_REFUNDED:
            services.refund_create(payment=payment, amount=payment.amount // 4)
        elif fate == Status.REFUNDED:
            services.refund_create(payment=payment)
        elif fate == Status.CHARGEBACK:
            services.payment_transition(payment=payment, to=Status.CHARGEBACK, actor=Actor.STAFF)
    payment.refresh_from_db()
    return payment


@pytest.fixture
def shops(merchant):
    return [
        ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True),
        ShopFactory(merchant=merchant, name="Toys", is_open=True, live_mode=True),
    ]


def _history(shops, seed: int, count: int = 70, days: int = 45) -> list[Payment]:
    rng = random.Random(seed)
    fates = [
        Status.SUCCEEDED,
        Status.SUCCEEDED,
        Status.DECLINED,
        Status.PARTIALLY_REFUNDED,
        Status.REFUNDED,
        Status.CHARGEBACK,
        Status.EXPIRED,
        Status.CANCELLED,
        Status.PENDING,
    ]
    return [
        _pay(
            rng.choice(shops),
            NOW - timedelta(minutes=rng.randrange(5, days * 24 * 60)),
            rng.choice(fates),
            amount=rng.randrange(100, 50_000_00),
            currency=rng.choice(["AMD", "AMD", "USD"]),
            test=rng.random() < 0.2,
        )
        for _ in range(count)
    ]


def _get(client: Client, query: str = "") -> object:
    with _at(NOW + timedelta(minutes=30)):
        return client.get(DASHBOARD + query)


def _local(payment: Payment):
    return payment.created_at.astimezone(YEREVAN).date()


def test_figures_equal_sums_over_the_payments(shops, owner_client):
    _history(shops, seed=1)
    payments = list(Payment.objects.filter(test=False))
    today = datetime(2026, 10, 31).date()
    first_chart_day = today - timedelta(days=29)

    figures = _get(owner_client).context["figures"]

    assert not figures.test and figures.today == today
    for turnover, since in (
        (figures.today_turnover, today),
        (figures.month_turnover, today.replace(day=1)),
    ):
        expected = defaultdict(lambda: [0, 0, 0])
        for p in payments:
            if p.status in PAID and _local(p) >= since:
                expected[p.currency][0] += 1
                expected[p.currency][1] += p.amount
                expected[p.currency][2] += p.refunded_amount
        assert {t.currency: [t.count, t.gross, t.refunded] for t in turnover} == expected
        for t in turnover:
            assert t.net == t.gross - t.refunded
    for row in figures.shops:
        mine = [p for p in payments if p.shop_id == row.shop.pk and _local(p) >= first_chart_day]
        assert row.period == len(mine)
        assert row.today == sum(_local(p) == today for p in mine)
        successful = sum(p.status in PAID | {Status.CHARGEBACK} for p in mine)
        declined = sum(p.status == Status.DECLINED for p in mine)
        assert (row.successful, row.declined) == (successful, declined)
        if successful + declined:
            assert abs(float(row.success_rate) - 100 * successful / (successful + declined)) < 0.06
    for currency, days in figures.days.items():
        assert [d.day for d in days] == [first_chart_day + timedelta(days=n) for n in range(30)]
        by_day = Counter()
        for p in payments:
            if p.status in PAID and p.currency == currency and _local(p) >= first_chart_day:
                by_day[_local(p)] += p.amount
        assert {d.day: d.gross for d in days if d.gross} == dict(by_day)


def test_test_mode_counts_only_test_payments(shops, owner_client):
    _history(shops, seed=2, count=40)
    figures = _get(owner_client, "?mode=test").context["figures"]
    expected = sum(
        p.amount
        for p in Payment.objects.filter(test=True, status__in=PAID)
        if _local(p).month == 10
    )
    assert figures.test
    assert (
        sum(t.gross for t in figures.month_turnover if t.currency == "AMD")
        + sum(t.gross for t in figures.month_turnover if t.currency == "USD")
        == expected
    )


def test_a_payment_at_2330_yerevan_counts_today_not_tomorrow(shops, owner_client):
    shop = shops[0]
    late = datetime(2026, 10, 31, 23, 30, tzinfo=YEREVAN)
    _pay(shop, late, Status.SUCCEEDED, amount=700_00)
    _pay(shop, datetime(2026, 10, 31, 0, 10, tzinfo=YEREVAN), Status.SUCCEEDED, amount=20_00)
    _pay(shop, datetime(2026, 10, 30, 23, 50, tzinfo=YEREVAN), Status.SUCCEEDED, amount=3_00)

    with _at(late + timedelta(minutes=10)):
        figures = owner_client.get(DASHBOARD).context["figures"]
    assert [(t.currency, t.gross) for t in figures.today_turnover] == [("AMD", 720_00)]

    # Ten minutes after local midnight, in UTC still the same day, it is yesterday's.
    with _at(datetime(2026, 11, 1, 0, 10, tzinfo=YEREVAN)):
        figures = owner_client.get(DASHBOARD).context["figures"]
    assert figures.today_turnover == []
    assert figures.days["AMD"][-2].gross == 720_00
    assert figures.days["AMD"][-3].gross == 3_00
    assert figures.month_turnover == []  # November began ten minutes ago


def test_currencies_are_never_added_together(shops, owner_client):
    _pay(shops[0], NOW - timedelta(hours=1), Status.SUCCEEDED, amount=500_00, currency="AMD")
    _pay(shops[0], NOW - timedelta(hours=1), Status.SUCCEEDED, amount=7_00, currency="USD")
    response = _get(owner_client)
    today = {t.currency: t.gross for t in response.context["figures"].today_turnover}
    assert today == {"AMD": 500_00, "USD": 7_00}
    page = response.content.decode()
    assert "500,00 AMD" in page and "7,00 USD" in page


@pytest.mark.parametrize("role", list(Membership.Role))
def test_every_role_sees_the_figures_of_its_own_merchant(shops, role):
    _pay(shops[0], NOW - timedelta(hours=2), Status.SUCCEEDED, amount=100_00)
    other_shop = ShopFactory(is_open=True, live_mode=True)  # another merchant's
    _pay(other_shop, NOW - timedelta(hours=2), Status.SUCCEEDED, amount=999_00)
    client = Client()
    client.force_login(MembershipFactory(merchant=shops[0].merchant, role=role).user)

    response = _get(client)

    assert response.status_code == 200
    assert [(t.currency, t.gross) for t in response.context["figures"].today_turnover] == [
        ("AMD", 100_00)
    ]
    assert "999,00" not in response.content.decode()


def test_a_user_without_a_merchant_sees_no_figures(client, django_user_model):
    user = django_user_model.objects.create_user("loner@example.am", "pw-loner-1234")
    client.force_login(user)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "figures" not in response.context


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_live_by_default_once_a_shop_is_live_test_before(merchant, owner_client):
    shop = ShopFactory(merchant=merchant, is_open=True)
    assert _get(owner_client).context["test_mode"] is True
    shop.live_mode = True
    shop.save()
    assert _get(owner_client).context["test_mode"] is False
    assert _get(owner_client, "?mode=test").context["test_mode"] is True
    assert _get(owner_client, "?mode=nonsense").context["test_mode"] is False


def test_query_count_does_not_grow_with_payments_days_or_shops(merchant, shops, owner_client):
    _history(shops[:1], seed=3, count=5, days=3)
    _get(owner_client)  # the first request of a session also records the session
    with CaptureQueriesContext(connection) as few:
        _get(owner_client)
    more_shops = [*shops, ShopFactory(merchant=merchant, is_open=True, live_mode=True)]
    _history(more_shops, seed=4, count=80, days=60)
    with CaptureQueriesContext(connection) as many:
        _get(owner_client)
    assert len(many) == len(few)
    dashboard_queries = [q for q in many.captured_queries if "transactions_" in q["sql"]]
    assert len(dashboard_queries) == 1  # the daily totals, read once
    assert "transactions_payment" not in dashboard_queries[0]["sql"]


def test_chart_is_an_accessible_svg_with_a_table(shops, owner_client, english):
    _history(shops, seed=5, count=30, days=20)
    response = _get(owner_client)
    page = response.content.decode()
    chart = response.context["chart"]
    assert chart.currency in ("AMD", "USD")
    assert 'role="img"' in page and 'aria-labelledby="chart-svg-title chart-svg-desc"' in page
    assert '<title id="chart-svg-title">Gross turnover per day' in page
    assert "<desc" in page
    assert page.count('class="dash-bar') == 30
    assert "Show as a table" in page
    assert "style=" not in page and "<script>" not in page
    tallest = max(chart.bars, key=lambda bar: bar.day.gross)
    assert tallest.y >= chart.gridlines[-1].y  # within the scale
    assert all(bar.height >= 0 for bar in chart.bars)


def test_chart_currency_can_be_switched(shops, owner_client):
    _pay(shops[0], NOW - timedelta(hours=1), Status.SUCCEEDED, amount=500_00, currency="AMD")
    _pay(shops[0], NOW - timedelta(hours=1), Status.SUCCEEDED, amount=7_00, currency="USD")
    assert _get(owner_client, "?currency=USD").context["chart"].currency == "USD"
    assert _get(owner_client, "?currency=XXX").context["chart"].currency in ("AMD", "USD")


def test_figures_link_to_the_payment_list_with_their_filters(shops, owner_client):
    try:
        reverse("transactions:list")
    except NoReverseMatch:
        pytest.skip("the payment list is not on this branch")
    _pay(shops[0], NOW - timedelta(hours=1), Status.SUCCEEDED, amount=500_00)
    response = _get(owner_client)
    _key, _title, card_url, rows = response.context["turnover_cards"][0]
    query = parse_qs(urlsplit(card_url).query)
    assert query["mode"] == ["live"] and query["period"] == ["today"]
    assert set(query["status"]) == {"succeeded", "partially_refunded", "refunded"}
    assert parse_qs(urlsplit(rows[0][1]).query)["currency"] == ["AMD"]
    shop_row, today_url, period_url = response.context["shop_rows"][0]
    assert parse_qs(urlsplit(period_url).query)["shop"] == [str(shop_row.shop.pk)]
    assert parse_qs(urlsplit(period_url).query)["from"] == ["2026-10-02"]
    bar, bar_url = response.context["chart_bars"][-1]
    assert parse_qs(urlsplit(bar_url).query)["from"] == ["2026-10-31"]
    page = response.content.decode()
    assert card_url.replace("&", "&amp;") in page
