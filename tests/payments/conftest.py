from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import ShopFactory

BASE = "/api/v1"


class ApiClient:
    """The Django test client speaking JSON to /api/v1 with a secret key."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.key = key

    def _headers(self, headers: dict[str, str]) -> dict[str, str]:
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        if self.key is not None:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.key}")
        return extra

    def get(self, path: str, params: dict | None = None, **headers: str):
        return self.client.get(BASE + path, params or {}, **self._headers(headers))

    def post(self, path: str, body: Any = None, *, raw: str | None = None, **headers: str):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(
            BASE + path, data, content_type="application/json", **self._headers(headers)
        )


def _key(shop, kind: str, by) -> str:
    _key_row, plaintext = api_key_create(shop=shop, kind=kind, by=by)
    return plaintext


@pytest.fixture
def shop(merchant):
    return ShopFactory(
        merchant=merchant,
        name="Books",
        is_open=True,
        success_url="https://books.example.am/ok",
        fail_url="https://books.example.am/fail",
    )


@pytest.fixture
def test_key(shop, owner) -> str:
    return _key(shop, ApiKey.Kind.SECRET_TEST, owner)


@pytest.fixture
def live_key(shop, owner) -> str:
    return _key(shop, ApiKey.Kind.SECRET_LIVE, owner)


@pytest.fixture
def api(test_key) -> ApiClient:
    return ApiClient(test_key)


@pytest.fixture
def live_api(live_key) -> ApiClient:
    return ApiClient(live_key)


@pytest.fixture
def other_shop_api(outsider) -> ApiClient:
    """A key of another merchant's open shop."""
    shop = ShopFactory(merchant=outsider.memberships.get().merchant, name="Other", is_open=True)
    return ApiClient(_key(shop, ApiKey.Kind.SECRET_TEST, outsider))


PAYMENT = {"amount": 1500000, "currency": "AMD", "order_id": "order-1001"}
