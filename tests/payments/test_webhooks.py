"""Signed webhooks to a real local HTTP receiver: the signature, retries with backoff, the
delivery log, giving up after three days, and the fence around private addresses."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from payments import webhooks
from payments.models import WebhookDelivery
from shops.models import ApiKey
from shops.services import api_key_create, api_key_roll
from transactions import services
from transactions.models import Payment

pytestmark = pytest.mark.django_db

PHP_KIT = Path(django_settings.BASE_DIR) / "integration/kits/inecopay-php/src/Inecopay/Webhook.php"


class Receiver:
    """A local HTTP server answering the scripted statuses in turn, recording requests."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answer {status}".encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/inecopay/webhook?shop=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def queued():
    """Record the tasks the webhooks queue instead of sending them to the broker."""
    with (
        mock.patch("payments.tasks.deliver_webhook.delay") as delay,
        mock.patch("payments.tasks.deliver_webhook.apply_async") as apply_async,
    ):
        yield {"delay": delay, "apply_async": apply_async}


@pytest.fixture
def shop(merchant, owner, settings):
    from tests.factories import ShopFactory

    settings.WEBHOOK_ALLOW_PRIVATE = True
    return ShopFactory(merchant=merchant, is_open=True)


@pytest.fixture
def secret(shop, owner) -> str:
    _key, plaintext = api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)
    return plaintext


def _pay(shop, django_capture_on_commit_callbacks) -> Payment:
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_create(
            shop=shop, test=True, amount=5000, currency="AMD", order_id="wh-1"
        )
        services.payment_simulate(payment=payment, outcome="succeeded")
    return payment


def _verify(header: str, body: bytes, secret: str) -> bool:
    parts = [item.split("=", 1) for item in header.split(",")]
    timestamp = next(value for name, value in parts if name == "t")
    signatures = [value for name, value in parts if name == "v1"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert abs(int(timestamp) - time.time()) < 300
    return any(hmac.compare_digest(expected, value) for value in signatures)


def _attempt_when_due(delivery: WebhookDelivery):
    delivery.refresh_from_db()
    with mock.patch("django.utils.timezone.now", return_value=delivery.next_attempt_at):
        return webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)


def test_receiver_answering_500_500_200_gets_three_signed_attempts(
    shop, secret, queued, django_capture_on_commit_callbacks
):
    with Receiver([500, 500, 200]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        payment = _pay(shop, django_capture_on_commit_callbacks)

        # Creation says nothing; processing and succeeded are each an event.
        deliveries = list(WebhookDelivery.objects.order_by("id"))
        assert [d.type for d in deliveries] == ["payment.processing", "payment.succeeded"]
        assert queued["delay"].call_count == 2
        delivery = deliveries[1]

        first = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert first.status_code == 500
        # Not due again yet: the retry waits for its backoff.
        assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
        second = _attempt_when_due(delivery)
        third = _attempt_when_due(delivery)

    assert (second.status_code, third.status_code) == (500, 200)
    assert len(receiver.requests) == 3
    bodies = {body for _headers, body in receiver.requests}
    assert len(bodies) == 1  # every retry carries the same body
    for headers, body in receiver.requests:
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert _verify(headers["Inecopay-Signature"], body, secret)
        assert not _verify(headers["Inecopay-Signature"], body + b" ", secret)
    event = json.loads(bodies.pop())
    assert event["id"] == delivery.public_id and event["id"].startswith("evt_")
    assert event["type"] == "payment.succeeded"
    assert event["test"] is True
    assert event["created_at"].endswith("Z")
    assert event["data"]["id"] == payment.public_id
    assert event["data"]["status"] == "succeeded"

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 3
    assert delivery.delivered_at is not None
    log = list(delivery.tries.order_by("id"))
    assert [a.status_code for a in log] == [500, 500, 200]
    assert [a.response_excerpt for a in log] == ["answer 500", "answer 500", "answer 200"]
    assert all(a.url == receiver.url for a in log)
    # Two failures, two retries queued with a growing backoff.
    countdowns = [call.kwargs["countdown"] for call in queued["apply_async"].call_args_list]
    assert len(countdowns) == 2
    assert 5 <= countdowns[0] <= 10 and 10 <= countdowns[1] <= 20


def test_backoff_doubles_with_jitter_up_to_a_cap():
    for attempts, low, high in [(1, 5, 10), (2, 10, 20), (5, 80, 160), (30, 10800, 21600)]:
        for _n in range(20):
            assert low <= webhooks._backoff(attempts) <= high


def test_two_signatures_while_a_rolled_secret_is_in_grace(
    shop, secret, owner, queued, django_capture_on_commit_callbacks
):
    old_key = ApiKey.objects.get(shop=shop, kind=ApiKey.Kind.WEBHOOK)
    _new_key, new_secret = api_key_roll(key=old_key, by=owner, grace=timedelta(days=1))
    with Receiver([200, 200]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        _pay(shop, django_capture_on_commit_callbacks)
        for delivery in WebhookDelivery.objects.all():
            webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

    headers, body = receiver.requests[0]
    assert headers["Inecopay-Signature"].count("v1=") == 2
    assert _verify(headers["Inecopay-Signature"], body, secret)
    assert _verify(headers["Inecopay-Signature"], body, new_secret)


@pytest.mark.skipif(shutil.which("php") is None, reason="php is not installed")
def test_shipped_php_kit_accepts_the_signature(shop, secret, tmp_path):
    body = b'{"id":"evt_1","type":"payment.succeeded"}'
    header = webhooks.sign(body=body, secrets=[secret], timestamp=int(time.time()))
    (tmp_path / "body").write_bytes(body)
    script = (
        f"require {json.dumps(str(PHP_KIT))};"
        f"$ok = Inecopay\\Webhook::verify(file_get_contents({json.dumps(str(tmp_path / 'body'))}),"
        f" {json.dumps(header)}, {json.dumps(secret)});"
        "exit($ok ? 0 : 1);"
    )
    assert subprocess.run(["php", "-r", script], check=False, timeout=30).returncode == 0  # noqa: S603, S607


def test_private_targets_are_refused_outside_development(
    shop, secret, queued, settings, english, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with Receiver([200]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        _pay(shop, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(type="payment.succeeded")
        attempt = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert receiver.requests == []
    assert attempt.status_code is None
    assert "public address" in attempt.error
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING  # retried later


def test_gives_up_after_three_days(shop, secret, queued, django_capture_on_commit_callbacks):
    with Receiver([503]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        _pay(shop, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(type="payment.succeeded")
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created_at=timezone.now() - timedelta(days=3)
        )
        attempt = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 503
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert queued["apply_async"].call_count == 0


def test_without_a_signing_secret_the_attempt_fails_with_a_reason(
    shop, queued, english, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        _pay(shop, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(type="payment.succeeded")
        attempt = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert receiver.requests == []
    assert "signing secret" in attempt.error


def test_no_result_url_no_deliveries(shop, secret, queued, django_capture_on_commit_callbacks):
    _pay(shop, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists()
    assert queued["delay"].call_count == 0


def test_refunds_and_expiry_send_their_events(
    shop, secret, queued, django_capture_on_commit_callbacks
):
    shop.webhook_url = "https://books.example.am/hook"
    shop.save()
    payment = _pay(shop, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(payment=payment, amount=1000)
        services.refund_create(payment=payment)
        other = services.payment_create(
            shop=shop, test=True, amount=100, currency="AMD", order_id="x"
        )
        services.payment_simulate(payment=other, outcome="expired")
    assert list(WebhookDelivery.objects.order_by("id").values_list("type", flat=True)) == [
        "payment.processing",
        "payment.succeeded",
        "payment.partially_refunded",
        "payment.refunded",
        "payment.expired",
    ]


def test_a_repeated_hook_writes_one_delivery(
    shop, secret, queued, django_capture_on_commit_callbacks
):
    shop.webhook_url = "https://books.example.am/hook"
    shop.save()
    payment = _pay(shop, django_capture_on_commit_callbacks)
    event = payment.events.get(to_status="succeeded")
    assert webhooks.webhook_delivery_create(event=event) is None
    assert WebhookDelivery.objects.filter(payment_event=event).count() == 1


def test_retry_sweeper_queues_due_deliveries(
    shop, secret, queued, django_capture_on_commit_callbacks
):
    from payments.tasks import retry_due_webhooks

    shop.webhook_url = "https://books.example.am/hook"
    shop.save()
    _pay(shop, django_capture_on_commit_callbacks)
    queued["delay"].reset_mock()
    WebhookDelivery.objects.filter(type="payment.processing").update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert retry_due_webhooks.apply().get() == 1
    assert queued["delay"].call_count == 1


def test_a_finished_delivery_is_not_sent_again(
    shop, secret, queued, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        _pay(shop, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(type="payment.succeeded")
        assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk).status_code == 200
        later = timezone.now() + timedelta(hours=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_staff_read_the_delivery_log_in_admin(
    staff_client, shop, secret, queued, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    with Receiver([500]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        _pay(shop, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(type="payment.succeeded")
        webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    listing = staff_client.get(reverse("admin:payments_webhookdelivery_changelist"))
    assert delivery.public_id in listing.content.decode()
    page = staff_client.get(reverse("admin:payments_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert "answer 500" in page.content.decode()
