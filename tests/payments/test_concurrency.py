"""Concurrent requests against a real PostgreSQL: one Idempotency-Key creates one payment,
and racing changes of one payment produce one outcome.

SQLite serialises every write transaction, so these races cannot happen there: the tests
run only on PostgreSQL (DATABASE_URL=postgres://…).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, connections

from transactions.models import Payment, PaymentEvent, Refund

from .conftest import PAYMENT, ApiClient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent transactions need PostgreSQL (set DATABASE_URL)",
    ),
]

THREADS = 20


def _in_parallel(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls at once, each in its own thread with its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        except Exception as exc:  # surfaced by the assertions below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_requests_with_one_key_create_one_payment(test_key, shop):
    clients = [ApiClient(test_key) for _n in range(THREADS)]
    responses = _in_parallel(
        [
            lambda client=client: client.post("/payments", PAYMENT, **{"Idempotency-Key": "once"})
            for client in clients
        ]
    )

    assert all(not isinstance(r, Exception) for r in responses), responses
    assert Counter(r.status_code for r in responses) == {201: THREADS}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == THREADS - 1
    assert Payment.objects.count() == 1
    assert PaymentEvent.objects.count() == 1


def test_racing_simulations_and_cancels_give_one_outcome(test_key, shop):
    payment_id = ApiClient(test_key).post("/payments", PAYMENT).json()["id"]
    calls = []
    for n in range(THREADS):
        client = ApiClient(test_key)
        if n % 2:
            calls.append(lambda c=client: c.post(f"/payments/{payment_id}/cancel"))
        else:
            calls.append(
                lambda c=client: c.post(
                    f"/test/payments/{payment_id}/simulate", {"outcome": "succeeded"}
                )
            )
    responses = _in_parallel(calls)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: THREADS - 1}, statuses
    payment = Payment.objects.get()
    winner = next(r for r in responses if r.status_code == 200).json()
    assert payment.status == winner["status"]
    terminal = PaymentEvent.objects.filter(to_status__in=["succeeded", "cancelled"]).count()
    assert terminal == 1


def test_concurrent_refunds_never_exceed_the_amount(test_key, shop):
    api = ApiClient(test_key)
    payment_id = api.post("/payments", {**PAYMENT, "amount": 10000}).json()["id"]
    api.post(f"/test/payments/{payment_id}/simulate", {"outcome": "succeeded"})

    clients = [ApiClient(test_key) for _n in range(THREADS)]
    responses = _in_parallel(
        [
            lambda c=client: c.post(f"/payments/{payment_id}/refunds", {"amount": 1000})
            for client in clients
        ]
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 10
    assert statuses[201] + statuses[400] + statuses[409] == THREADS, statuses
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_amount) == ("refunded", 10000)
    assert sum(Refund.objects.values_list("amount", flat=True)) == 10000
