"""A Celery worker killed with SIGKILL in the middle of a webhook delivery: once a new
worker runs, the delivery is completed exactly once (one 2xx answer recorded), and the
redelivery carries the same id so a receiver can tell it is the same event."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  registers celery.ping
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone

from payments.models import WebhookAttempt, WebhookDelivery
from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import ShopFactory
from transactions import services

from .redis_server import PrivateRedis, celery_and_cache_on, worker_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a worker process shares the test database"
    ),
]


class StallingReceiver:
    """Holds the first request without answering (the worker dies meanwhile); answers 200
    to the others. Records every request's body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.answered: list[bytes] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(body)
                if len(receiver.bodies) == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(30)
                    return  # never answered: the sender died waiting
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.answered.append(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_worker_killed_mid_delivery_leaves_it_done_once_by_the_next(
    merchant, owner, settings, tmp_path
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    broker = PrivateRedis()
    broker.start()
    receiver = StallingReceiver()
    worker = None
    try:
        with celery_and_cache_on(broker.url, settings) as app:
            shop = ShopFactory(merchant=merchant, is_open=True, webhook_url=receiver.url)
            api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)
            worker = worker_process(broker.url, tmp_path)

            payment = services.payment_create(
                shop=shop, test=True, amount=700000, currency="AMD", order_id="kill-1"
            )
            services.payment_simulate(payment=payment, outcome="succeeded")
            deliveries = list(WebhookDelivery.objects.filter(shop=shop).order_by("pk"))
            assert len(deliveries) == 2

            # The worker has sent the first delivery and waits for the answer: kill it.
            assert receiver.first_arrived.wait(60), "the worker never delivered"
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            worker = None
            receiver.release.set()
            assert WebhookAttempt.objects.count() == 0  # the dead attempt recorded nothing

            # A new worker; the beat sweep runs once the dead attempt's lease has passed.
            later = timezone.now() + timedelta(minutes=2)
            with (
                mock.patch("django.utils.timezone.now", side_effect=lambda: later),
                start_worker(app, pool="solo", concurrency=1, perform_ping_check=True),
            ):
                from payments.tasks import retry_due_webhooks

                retry_due_webhooks.delay()
                deadline = time.monotonic() + 30
                while (
                    time.monotonic() < deadline
                    and WebhookDelivery.objects.filter(
                        shop=shop, status=WebhookDelivery.Status.PENDING
                    ).exists()
                ):
                    time.sleep(0.2)
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGKILL)
        receiver.close()
        broker.stop()

    done = {d.public_id: d for d in WebhookDelivery.objects.filter(shop=shop)}
    assert {d.status for d in done.values()} == {WebhookDelivery.Status.SUCCEEDED}
    answered = [json.loads(body)["id"] for body in receiver.answered]
    # Each delivery answered 2xx exactly once, and recorded as one successful attempt.
    assert sorted(answered) == sorted(done)
    for delivery in done.values():
        assert delivery.tries.filter(status_code=200).count() == 1
    # The interrupted one went out again with the same id.
    sent = [json.loads(body)["id"] for body in receiver.bodies]
    assert len(sent) == 3 and sent.count(sent[0]) == 2
