from __future__ import annotations

import pytest

from tests.factories import ShopFactory


@pytest.fixture
def shop(merchant):
    """An open shop in test mode, with every method and a 15-minute invoice lifetime."""
    return ShopFactory(
        merchant=merchant,
        name="Books",
        is_open=True,
        success_url="https://books.example.am/ok",
        fail_url="https://books.example.am/fail",
    )
