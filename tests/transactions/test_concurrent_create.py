"""Payments of one shop are created side by side (a share lock on the shop's row), while
closing the shop waits for the payments being created."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from shops.models import Shop
from transactions.services import payment_create

pytestmark = pytest.mark.django_db(transaction=True)


def _create(shop, order_id: str):
    return payment_create(shop=shop, test=True, amount=100, currency="AMD", order_id=order_id)


def _lock_timeout(milliseconds: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{milliseconds}ms'")


def test_an_open_create_neither_blocks_another_create_nor_lets_the_shop_close_under_it(shop):
    if connection.vendor != "postgresql":
        pytest.skip("row share locks are PostgreSQL's")
    holding, release = threading.Event(), threading.Event()

    def hold_open() -> None:
        try:
            with transaction.atomic():
                _create(shop, "held")
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold_open)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            _lock_timeout(2000)  # would time out if creates queued on the shop's row
            _create(shop, "beside")
        with pytest.raises(OperationalError), transaction.atomic():
            _lock_timeout(200)
            Shop.objects.filter(pk=shop.pk).update(is_open=False)
    finally:
        release.set()
        thread.join(10)
    assert set(shop.payments.values_list("order_id", flat=True)) == {"held", "beside"}
