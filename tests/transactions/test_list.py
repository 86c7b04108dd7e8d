"""«Последние платежи» through the HTTP stack: columns, modes, filters, bad input, keyset
pages, count and totals, time zones, roles and the number of queries."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from merchants.models import Membership
from tests.factories import MembershipFactory, ShopFactory
from transactions import selectors
from transactions.models import Payment

from .helpers import Status, at, make_payment

pytestmark = pytest.mark.django_db

YEREVAN = ZoneInfo("Asia/Yerevan")
URL = "/transactions/"
NOW = datetime(2026, 11, 4, 10, 0, tzinfo=YEREVAN)


@pytest.fixture
def books(merchant):
    return ShopFactory(merchant=merchant, name="Books", is_open=True)


@pytest.fixture
def music(merchant):
    return ShopFactory(merchant=merchant, name="Music", is_open=True)


def _ids(response) -> list[str]:
    return re.findall(r'class="tx-row" data-id="(pay_[0-9a-f]+)"', response.content.decode())


def _get(client: Client, query: str = "", **kwargs):
    with at(NOW):
        response = client.get(URL + ("?" + query if query else ""), **kwargs)
    assert response.status_code == 200
    return response


def _link(response, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return unescape(match.group(1)) if match else None


def test_the_transactions_section_links_to_the_list(owner_client, english):
    response = owner_client.get("/dashboard/")
    assert f'href="{URL}"' in response.content.decode()
    assert reverse("transactions:list") == URL


def test_rows_show_every_column_in_the_merchants_zone(owner_client, books, english):
    # 19:30 UTC is 23:30 in Yerevan.
    payment = make_payment(
        books,
        datetime(2026, 11, 3, 19, 30, tzinfo=UTC),
        status=Status.PARTIALLY_REFUNDED,
        refund=25050,
        order_id="A-1001",
    )
    page = _get(owner_client, "mode=test").content.decode()
    row = page[page.index(f'data-id="{payment.public_id}"') :].split("</tr>")[0]
    assert "03.11.2026 23:30" in row
    assert "Books" in row
    assert "A-1001" in row and reverse("transactions:detail", args=[payment.public_id]) in row
    assert "1,500.00 AMD" in row
    assert "Visa •••• 4242" in row
    assert 'data-status="partially_refunded"' in row
    assert 'title="Part of the paid amount was returned to the buyer."' in row
    assert "250.50 AMD" in row
    assert ">test<" in row


def test_legend_explains_every_status_with_the_same_badges(owner_client, books, english):
    page = _get(owner_client).content.decode()
    legend = page[page.index("tx-legend-list") :].split("</dl>")[0]
    for status in Status.values:
        assert f'data-status="{status}"' in legend
    assert "took the money back" in legend


def test_default_mode_is_test_until_a_shop_is_live(owner_client, books, music):
    live_only = make_payment(music, NOW - timedelta(hours=1), test=True)
    assert _ids(_get(owner_client)) == [live_only.public_id]
    music.live_mode = True
    music.save()
    live = make_payment(music, NOW - timedelta(hours=2), test=False)
    # Live by default now; test payments only with the switch, never mixed.
    assert _ids(_get(owner_client)) == [live.public_id]
    assert _ids(_get(owner_client, "mode=test")) == [live_only.public_id]
    assert _ids(_get(owner_client, "mode=live")) == [live.public_id]


@pytest.fixture
def history(books, music):
    """One payment of each kind, newest first in the returned dict's order."""
    base = NOW - timedelta(hours=1)
    return {
        "visa_paid": make_payment(books, base, status=Status.SUCCEEDED, order_id="A-1"),
        "usd_declined": make_payment(
            music,
            base - timedelta(minutes=5),
            status=Status.DECLINED,
            currency="USD",
            amount=2500,
            order_id="B-2",
            fields={"method": "card", "card_brand": "mastercard", "card_last4": "5555"},
        ),
        "idram_paid": make_payment(
            music,
            base - timedelta(minutes=10),
            status=Status.SUCCEEDED,
            amount=990000,
            order_id="B-3",
            fields={"method": "idram"},
        ),
        "pending": make_payment(books, base - timedelta(minutes=15), order_id="A-4", amount=100),
        "refunded": make_payment(
            books, base - timedelta(days=2), status=Status.REFUNDED, order_id="A-5"
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["visa_paid", "usd_declined", "idram_paid", "pending", "refunded"]),
        ("shop={music}", ["usd_declined", "idram_paid"]),
        (
            "shop={music}&shop={books}",
            ["visa_paid", "usd_declined", "idram_paid", "pending", "refunded"],
        ),
        ("status=succeeded", ["visa_paid", "idram_paid"]),
        ("status=succeeded&status=declined", ["visa_paid", "usd_declined", "idram_paid"]),
        ("method=idram", ["idram_paid"]),
        ("method=card", ["visa_paid", "usd_declined", "refunded"]),
        ("currency=USD", ["usd_declined"]),
        ("amount_min=1500", ["visa_paid", "idram_paid", "refunded"]),
        ("amount_min=1500&amount_max=1500.00", ["visa_paid", "refunded"]),
        ("amount_max=25", ["usd_declined", "pending"]),
        ("amount_min=1+500,00&amount_max=9+900", ["visa_paid", "idram_paid", "refunded"]),
        ("q=B-3", ["idram_paid"]),
        ("q=5555", ["usd_declined"]),
        ("q={pending_id}", ["pending"]),
        ("q=nothing-like-it", []),
        ("period=today", ["visa_paid", "usd_declined", "idram_paid", "pending"]),
        ("period=custom&from=2026-11-02&to=2026-11-02", ["refunded"]),
        ("period=7d&status=succeeded&shop={music}", ["idram_paid"]),
        ("period=today&currency=AMD&method=card&amount_min=1000", ["visa_paid"]),
    ],
)
def test_each_filter_and_combinations(owner_client, history, books, music, query, expected):
    query = query.format(music=music.pk, books=books.pk, pending_id=history["pending"].public_id)
    response = _get(owner_client, "mode=test&" + query)
    assert _ids(response) == [history[name].public_id for name in expected]
    assert 'class="alert alert-warning tx-errors"' not in response.content.decode()
    # The count agrees with the rows (all fit on one page).
    assert f'data-count="{len(expected)}"' in response.content.decode()


def test_empty_results_say_so(owner_client, history, english):
    page = _get(owner_client, "mode=test&q=nothing").content.decode()
    assert "No payments match these filters" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=someday", "Unknown period"),
        ("period=custom&from=2026-13-45", "is not a date like"),
        ("period=custom&from=31.12.2026", "is not a date like"),
        ("period=custom&from=0001-01-01", "must be between"),
        ("period=custom&from=9999-12-31", "must be between"),
        ("period=custom&from=2026-11-05&to=2026-11-01", "is after its end"),
        ("status=paid", "Unknown status"),
        ("status=succeeded'--", "Unknown status"),
        ("method=cash", "Unknown payment method"),
        ("currency=XXX", "Unknown currency"),
        ("shop=999999999", "Unknown shop"),
        ("shop=1%20OR%201=1", "Unknown shop"),
        ("amount_min=-5", "is not an amount"),
        ("amount_min=1e9", "is not an amount"),
        ("amount_min=NaN", "is not an amount"),
        ("amount_min=1.234", "is not an amount"),
        ("amount_max=99999999999999999999", "is not an amount"),
        ("amount_max=999999999999999", "larger than any payment"),
        ("amount_min=100&amount_max=5", "larger than the maximum"),
        ("q=" + "x" * 65, "up to 64 characters"),
        ("q=a%00b", "up to 64 characters"),
        ("mode=both", "Unknown mode"),
        ("cursor=garbage", "not valid any more"),
    ],
)
def test_garbage_in_a_filter_gives_a_message_and_is_ignored(
    owner_client, history, english, query, message
):
    response = _get(owner_client, "mode=test&" + query)
    assert message in unescape(response.content.decode())
    # The bad filter is ignored: every payment is listed.
    assert len(_ids(response)) == len(history)


def test_sql_looking_search_is_an_exact_search_that_finds_nothing(owner_client, history):
    response = _get(owner_client, "mode=test&q=' OR 1=1 --")
    assert _ids(response) == []
    assert Payment.objects.count() == len(history)


def test_bad_input_keeps_what_was_typed(owner_client, history):
    page = _get(owner_client, "mode=test&period=custom&from=2026-99-01&amount_min=abc").content
    page = page.decode()
    assert 'value="2026-99-01"' in page
    assert 'value="abc"' in page


def test_a_payment_at_23_30_yerevan_belongs_to_that_local_day(owner_client, books):
    late = make_payment(books, datetime(2026, 11, 3, 23, 30, tzinfo=YEREVAN), order_id="late")
    early = make_payment(books, datetime(2026, 11, 4, 0, 30, tzinfo=YEREVAN), order_id="early")
    assert _ids(_get(owner_client, "mode=test&period=yesterday")) == [late.public_id]
    assert _ids(_get(owner_client, "mode=test&period=today")) == [early.public_id]
    assert _ids(_get(owner_client, "mode=test&period=custom&to=2026-11-03")) == [late.public_id]
    assert _ids(_get(owner_client, "mode=test&from=2026-11-04")) == [early.public_id]
    assert _ids(_get(owner_client, "mode=test&period=month")) == [early.public_id, late.public_id]


def test_another_zone_moves_the_day(owner_client, merchant, books):
    # 23:30 in Yerevan is 20:30 the same day in Berlin... and 14:30 in New York.
    payment = make_payment(books, datetime(2026, 11, 3, 19, 30, tzinfo=UTC))
    merchant.time_zone = "Asia/Tokyo"  # 04:30 on the 4th
    merchant.save()
    assert _ids(_get(owner_client, "mode=test&from=2026-11-04&to=2026-11-04")) == [
        payment.public_id
    ]
    assert _ids(_get(owner_client, "mode=test&from=2026-11-03&to=2026-11-03")) == []


def _walk(client: Client, query: str, between=None) -> list[str]:
    seen: list[str] = []
    response = _get(client, query)
    while True:
        seen += _ids(response)
        url = _link(response, "next")
        if url is None:
            return seen
        if between:
            between()
        with at(NOW):
            response = client.get(URL + url)


def test_keyset_pages_have_no_duplicates_or_gaps_while_payments_arrive(owner_client, books):
    start = NOW - timedelta(days=3)
    # Several payments share a created_at: the id settles their order.
    moments = [start + timedelta(minutes=n // 3) for n in range(130)]
    made = [make_payment(books, moment, order_id=f"o-{n}") for n, moment in enumerate(moments)]
    expected = [p.public_id for p in sorted(made, key=lambda p: (p.created_at, p.pk), reverse=True)]
    arrived: list[Payment] = []

    def arrive() -> None:
        arrived.append(make_payment(books, NOW - timedelta(minutes=len(arrived)), order_id="new"))

    seen = _walk(owner_client, "mode=test", between=arrive)
    assert seen == expected
    assert len(arrived) == 2  # three pages: 50, 50, 30

    # With the two new payments on top, the pages shift by two; back from the last page
    # the previous ones come again unchanged, and page 1 shows the newest.
    newest = [p.public_id for p in arrived]  # each arrived a minute before the last
    response = _get(owner_client, "mode=test")
    assert _ids(response) == newest + expected[:48]
    page2 = owner_client.get(URL + _link(response, "next"))
    page3 = owner_client.get(URL + _link(page2, "next"))
    assert _ids(page3) == expected[98:]
    back2 = owner_client.get(URL + _link(page3, "prev"))
    assert _ids(back2) == expected[48:98] == _ids(page2)
    back1 = owner_client.get(URL + _link(back2, "prev"))
    assert _ids(back1) == newest + expected[:48]
    assert _link(back1, "prev") is None


def test_pages_keep_the_filters(owner_client, books, music):
    for n in range(60):
        make_payment(books if n % 2 else music, NOW - timedelta(minutes=n + 1))
    query = f"mode=test&shop={books.pk}&period=today"
    seen = _walk(owner_client, query)
    assert len(seen) == 30 and len(set(seen)) == 30
    assert set(Payment.objects.filter(public_id__in=seen).values_list("shop", flat=True)) == {
        books.pk
    }


def test_a_tampered_cursor_is_refused(owner_client, books, english):
    for n in range(55):
        make_payment(books, NOW - timedelta(minutes=n + 1))
    first = _get(owner_client, "mode=test")
    cursor = re.search(r"cursor=([^&\"]+)", _link(first, "next")).group(1)
    forged = cursor.replace("n", "p", 1)
    response = _get(owner_client, "mode=test&cursor=" + forged)
    assert "not valid any more" in response.content.decode()
    assert _ids(response) == _ids(first)


def _python_totals(merchant, keep) -> tuple[int, dict[str, int]]:
    count, amount = 0, {}
    for payment in Payment.objects.filter(merchant=merchant, test=True):
        if keep(payment):
            count += 1
            amount[payment.currency] = amount.get(payment.currency, 0) + payment.amount
    return count, amount


def _shown_totals(response) -> tuple[int, dict[str, str]]:
    page = response.content.decode()
    count = int(re.search(r'data-count="(\d+)"', page).group(1))
    amounts = dict(re.findall(r'class="tx-total" data-currency="(\w+)">([^<]+)<', page))
    return count, amounts


def test_totals_equal_a_python_side_sum(owner_client, merchant, books, music, english):
    rng = random.Random(11)
    statuses = [Status.PENDING, Status.SUCCEEDED, Status.DECLINED, Status.REFUNDED]
    for n in range(60):
        make_payment(
            rng.choice([books, music]),
            NOW - timedelta(minutes=rng.randrange(1, 6 * 24 * 60)),
            status=rng.choice(statuses),
            currency=rng.choice(["AMD", "USD"]),
            amount=rng.randrange(100, 500000),
            order_id=f"o-{n}",
        )
    yesterday = NOW.date() - timedelta(days=1)
    cases = [
        ("", lambda p: True),
        ("status=succeeded&status=refunded", lambda p: p.status in ("succeeded", "refunded")),
        (
            f"period=yesterday&shop={music.pk}&currency=USD",
            lambda p: (
                p.created_at.astimezone(YEREVAN).date() == yesterday
                and p.shop_id == music.pk
                and p.currency == "USD"
            ),
        ),
        ("amount_min=1000&amount_max=3000", lambda p: 100000 <= p.amount <= 300000),
    ]
    from inecopay.templatetags.money import format_minor_units

    for query, keep in cases:
        count, amount = _python_totals(merchant, keep)
        shown = _shown_totals(_get(owner_client, "mode=test&" + query))
        assert shown == (count, {c: format_minor_units(v, c) for c, v in amount.items()}), query


def test_a_live_count_of_an_amount_range_stops_at_the_cap(
    owner_client, books, monkeypatch, english
):
    monkeypatch.setattr(selectors, "LIVE_COUNT_CAP", 5)
    for n in range(7):
        make_payment(books, NOW - timedelta(minutes=n + 1))
    page = _get(owner_client, "mode=test&amount_min=1").content.decode()
    assert "More than 5 payments" in page
    assert len(_ids(_get(owner_client, "mode=test&amount_min=1"))) == 7
    page = _get(owner_client, "mode=test&period=today").content.decode()
    assert 'data-count="7"' in page


@pytest.mark.parametrize("role", [Membership.Role.ACCOUNTANT, Membership.Role.DEVELOPER])
def test_accountant_and_developer_read_the_list(merchant, books, role):
    payment = make_payment(books, NOW - timedelta(hours=1))
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    assert _ids(_get(client, "mode=test")) == [payment.public_id]


def test_another_merchants_payments_are_never_listed(outsider_client, books):
    make_payment(books, NOW - timedelta(hours=1))
    assert _ids(_get(outsider_client, "mode=test")) == []
    assert _ids(_get(outsider_client, f"mode=test&shop={books.pk}")) == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("kind", ["first", "deep", "filtered", "search", "amount"])
def test_a_page_takes_a_constant_number_of_queries(
    owner_client, books, music, django_assert_max_num_queries, settings, kind
):
    # Every signed-in request of the portal also records the session's activity (allauth:
    # a select, an update and two savepoints); that fixed cost is not the page's.
    settings.USERSESSIONS_TRACK_ACTIVITY = False
    for n in range(160):
        make_payment(books if n % 3 else music, NOW - timedelta(minutes=n * 7), order_id=f"o-{n}")
    query = "mode=test"
    if kind == "deep":
        response = _get(owner_client, query)
        for _ in range(2):
            response = owner_client.get(URL + _link(response, "next"))
        query = _link(response, "next")[1:]
    elif kind == "filtered":
        query += f"&period=custom&from=2026-11-02&to=2026-11-03&status=pending&shop={books.pk}"
    elif kind == "search":
        query += "&q=o-17"
    elif kind == "amount":
        query += "&amount_min=100&period=7d"
    with django_assert_max_num_queries(10):
        response = _get(owner_client, query)
    assert _ids(response)
