"""Redis stopped for the length of the test: pages that do not need the broker answer 200,
/healthz reports the broker down, work queued meanwhile is kept in PostgreSQL (the webhook
outbox) and delivered once Redis is back, through a real Celery worker."""

from __future__ import annotations

import json
import time
from datetime import time as dt_time
from datetime import timedelta
from unittest import mock

import pytest
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  registers celery.ping
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.urls import reverse

from inecopay.celery import app
from payments import webhooks
from payments.models import WebhookDelivery
from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import ShopFactory
from tests.payments.test_webhooks import Receiver

from .redis_server import PrivateRedis, celery_and_cache_on

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


@pytest.fixture
def redis_server(settings):
    """The cache and the broker on a private Redis that the test may stop."""
    server = PrivateRedis()
    server.start()
    with celery_and_cache_on(server.url, settings):
        yield server
    server.stop()


def _api(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_with_redis_down_pages_answer_and_webhooks_wait_in_the_outbox(
    redis_server, owner, merchant, owner_client, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with Receiver([]) as receiver:
        shop = ShopFactory(merchant=merchant, is_open=True, webhook_url=receiver.url)
        _row, key = api_key_create(shop=shop, kind=ApiKey.Kind.SECRET_TEST, by=owner)
        _row, secret = api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)

        redis_server.stop()

        for url in (
            "/",
            reverse("account_login"),
            reverse("dashboard"),
            reverse("transactions:list"),
            reverse("reports:index"),
        ):
            client = owner_client if url not in ("/", reverse("account_login")) else Client()
            assert client.get(url).status_code == 200, url

        health = Client().get("/healthz")
        assert health.status_code == 503
        assert health.json()["broker"].startswith("down")
        assert health.json()["db"] == "ok"

        api = Client()
        started = time.monotonic()
        created = api.post(
            "/api/v1/payments",
            data=json.dumps({"amount": 150000, "currency": "AMD", "order_id": "outage-1"}),
            content_type="application/json",
            **_api(key),
        )
        assert created.status_code == 201, created.content
        payment_id = created.json()["id"]
        simulated = api.post(
            f"/api/v1/test/payments/{payment_id}/simulate",
            data=json.dumps({"outcome": "succeeded"}),
            content_type="application/json",
            **_api(key),
        )
        assert simulated.status_code == 200, simulated.content
        # Queueing the webhook gave up quickly instead of hanging the API.
        assert time.monotonic() - started < 15
        pending = list(WebhookDelivery.objects.filter(shop=shop).order_by("pk"))
        assert [d.type for d in pending] == ["payment.processing", "payment.succeeded"]
        assert {d.status for d in pending} == {WebhookDelivery.Status.PENDING}
        assert receiver.requests == []

        redis_server.start()
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=True):
            from payments.tasks import retry_due_webhooks

            # What beat runs every minute, sent through the broker to the worker.
            retry_due_webhooks.delay()
            deadline = time.monotonic() + 20
            while (
                time.monotonic() < deadline
                and WebhookDelivery.objects.filter(
                    shop=shop, status=WebhookDelivery.Status.PENDING
                ).exists()
            ):
                time.sleep(0.2)

        delivered = list(WebhookDelivery.objects.filter(shop=shop).order_by("pk"))
        assert {d.status for d in delivered} == {WebhookDelivery.Status.SUCCEEDED}
        # Each delivered exactly once, signed with the shop's webhook secret.
        assert len(receiver.requests) == 2
        for headers, body in receiver.requests:
            stamp = int(headers[webhooks.SIGNATURE_HEADER].split(",")[0][2:])
            expected = webhooks.sign(body=body, secrets=[secret], timestamp=stamp)
            assert headers[webhooks.SIGNATURE_HEADER] == expected
        types = sorted(json.loads(body)["type"] for _h, body in receiver.requests)
        assert types == ["payment.processing", "payment.succeeded"]


def test_a_report_due_while_redis_is_down_is_sent_once_when_it_returns(redis_server, settings):
    """The beat sweep that ran as Redis went down wrote the period's run but could not queue
    it; once Redis is back, the next sweep queues it again and a real worker sends it."""
    from django.core import mail
    from django.utils import timezone

    from subscriptions.delivery import subscriptions_sweep
    from subscriptions.models import ReportRun
    from subscriptions.tasks import sweep_report_subscriptions
    from tests.factories import MembershipFactory, MerchantFactory
    from tests.subscriptions.delivery_fixtures import subscribe

    merchant = MerchantFactory(time_zone="Asia/Yerevan")
    ShopFactory(merchant=merchant, is_open=True)
    member = MembershipFactory(merchant=merchant, role="accountant")
    now = timezone.now()
    subscription = subscribe(
        member, started=now - timedelta(days=1), formats=("csv",), send_time=dt_time(0, 0)
    )

    redis_server.stop()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: now):
        counts = subscriptions_sweep()  # the worker that ran it could not reach the broker
    assert counts["periodic"] == 1
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.QUEUED
    assert mail.outbox == []

    redis_server.start()
    later = now + timedelta(minutes=11)  # past the sweep's wait before queueing again
    with (
        mock.patch("django.utils.timezone.now", side_effect=lambda: later),
        start_worker(app, pool="solo", concurrency=1, perform_ping_check=True),
    ):
        sweep_report_subscriptions.delay().get(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not ReportRun.objects.filter(status="sent").exists():
            time.sleep(0.2)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.SENT
    assert [m.to for m in mail.outbox] == [[subscription.email]]
