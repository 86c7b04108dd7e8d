"""The database connection dropped under a running request: the visitor gets a 503 (JSON
in the API, a page in the portal), nothing of the request is saved, and the same request
sent again succeeds once."""

from __future__ import annotations

import json
from contextlib import contextmanager
from unittest import mock

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from payments.models import IdempotencyKey
from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import ShopFactory
from transactions import services
from transactions.models import Payment, PaymentEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="drops a PostgreSQL backend connection"
    ),
]


def _terminate_my_backend() -> None:
    """From a connection of its own, end the PostgreSQL backend serving this request."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


@contextmanager
def connection_dropped_in(target: str):
    """Patch `target` so the connection drops just before it runs, once."""
    original = _resolve(target)
    calls = []

    def dropping(*args, **kwargs):
        if not calls:
            calls.append(1)
            _terminate_my_backend()
        return original(*args, **kwargs)

    with mock.patch(target, side_effect=dropping):
        yield calls


def _resolve(target: str):
    module, _dot, name = target.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


@pytest.fixture
def shop(merchant):
    return ShopFactory(merchant=merchant, is_open=True)


def test_api_create_answers_503_saves_nothing_and_the_retry_creates_one(shop, owner):
    _row, key = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner)
    api = Client(raise_request_exception=False)
    body = json.dumps({"amount": 250000, "currency": "AMD", "order_id": "drop-1"})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_IDEMPOTENCY_KEY": "drop-1-key"}

    # The payment, its event and the key's row are written; the connection drops before
    # the commit.
    with connection_dropped_in("transactions.services._announce") as dropped:
        response = api.post("/api/v1/payments", body, content_type="application/json", **headers)
    assert dropped
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("api_error", "service_unavailable")
    assert Payment.objects.count() == 0
    assert PaymentEvent.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0

    retried = api.post("/api/v1/payments", body, content_type="application/json", **headers)
    assert retried.status_code == 201, retried.content
    again = api.post("/api/v1/payments", body, content_type="application/json", **headers)
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert PaymentEvent.objects.count() == 1


def test_a_portal_refund_answers_a_503_page_and_refunds_nothing(shop, owner):
    payment = services.payment_create(
        shop=shop, test=True, amount=500000, currency="AMD", order_id="drop-2"
    )
    services.payment_simulate(payment=payment, outcome="succeeded")
    browser = Client(raise_request_exception=False)
    browser.force_login(owner)
    url = reverse("transactions:refund", args=[payment.public_id])

    with connection_dropped_in("transactions.services._record_event") as dropped:
        response = browser.post(url, {"amount": "1000.00", "reason": "Damaged", "confirm": "1"})
    assert dropped
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "503" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.refunded_amount == 0
    assert not payment.refunds.exists()
