"""A shop's webhooks tab through the HTTP stack: the delivery log with its attempts,
resend, the test webhook, and who may see and use them."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from payments import webhooks
from payments.models import WebhookAttempt, WebhookDelivery
from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import ShopFactory
from tests.payments.test_webhooks import Receiver, _verify

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def queued():
    with mock.patch("payments.tasks.deliver_webhook.delay") as delay:
        yield delay


@pytest.fixture
def shop(merchant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return ShopFactory(merchant=merchant, name="Books", webhook_url="https://books.example.am/wh")


@pytest.fixture
def secret(shop, owner) -> str:
    _key, plaintext = api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)
    return plaintext


@pytest.fixture
def foreign_shop(outsider):
    return ShopFactory(merchant=outsider.memberships.get().merchant, name="Foreign")


def _log_url(shop) -> str:
    return reverse("webhooks:log", args=[shop.pk])


def _test_url(shop) -> str:
    return reverse("webhooks:test", args=[shop.pk])


def _resend_url(delivery) -> str:
    return reverse("webhooks:resend", args=[delivery.shop_id, delivery.pk])


def _delivery(shop, **fields) -> WebhookDelivery:
    values = {
        "shop": shop,
        "type": "payment.succeeded",
        "test": True,
        "url": shop.webhook_url or "https://example.am/wh",
        "body": "{}",
        "status": WebhookDelivery.Status.SUCCEEDED,
        "attempts": 1,
        "next_attempt_at": None,
    }
    return WebhookDelivery.objects.create(**(values | fields))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_tab_lists_deliveries_newest_first_with_their_attempts(owner_client, shop):
    older = _delivery(shop, type="payment.processing", created_at=timezone.now().replace(year=2025))
    newer = _delivery(
        shop,
        type="payment.succeeded",
        test=False,
        status=WebhookDelivery.Status.PENDING,
        attempts=2,
        next_attempt_at=timezone.now(),
    )
    WebhookAttempt.objects.create(
        delivery=newer,
        url=newer.url,
        status_code=500,
        duration_ms=42,
        response_excerpt="<b>boom</b>",
    )
    WebhookAttempt.objects.create(delivery=newer, url=newer.url, error="No answer within 10 s.")

    response = owner_client.get(_log_url(shop))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(newer.public_id) < html.index(older.public_id)
    assert shop.webhook_url in html
    assert "Being delivered" in html and "Delivered" in html
    assert "2 attempts" in html and "0 attempts" in html
    assert "No answer within 10 s." in html
    # The receiver's answer is shown, escaped.
    assert "&lt;b&gt;boom&lt;/b&gt;" in html and "<b>boom</b>" not in html
    assert f'action="{_resend_url(newer)}"' in html
    assert f'action="{_test_url(shop)}"' in html
    # The tab is in the shop's tabs, and current.
    assert f'href="{_log_url(shop)}" aria-current="page"' in html


def test_log_is_paginated_by_fifty(owner_client, shop):
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            shop=shop,
            public_id=f"evt_{i:024d}",
            type="payment.succeeded",
            test=True,
            url=shop.webhook_url,
            body="{}",
        )
        for i in range(51)
    )
    first = owner_client.get(_log_url(shop))
    second = owner_client.get(_log_url(shop), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1
    assert "Page 2 of 2" in second.content.decode()


def test_tab_link_shows_on_the_keys_page(owner_client, shop):
    html = owner_client.get(reverse("shops:keys", args=[shop.pk])).content.decode()
    assert f'href="{_log_url(shop)}"' in html


def test_outsider_gets_404_on_tab_resend_and_test_of_another_merchants_shop(
    outsider_client, shop, secret, queued
):
    delivery = _delivery(shop)
    assert outsider_client.get(_log_url(shop)).status_code == 404
    assert outsider_client.post(_resend_url(delivery)).status_code == 404
    assert outsider_client.post(_test_url(shop)).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert WebhookDelivery.objects.count() == 1
    queued.assert_not_called()


def test_a_delivery_of_another_shop_is_404(owner_client, shop, foreign_shop):
    delivery = _delivery(foreign_shop)
    url = reverse("webhooks:resend", args=[shop.pk, delivery.pk])
    assert owner_client.post(url).status_code == 404


def test_accountant_gets_403_on_tab_resend_and_test(member, shop, secret, queued):
    delivery = _delivery(shop)
    client = Client()
    client.force_login(member)
    assert client.get(_log_url(shop)).status_code == 403
    assert client.post(_resend_url(delivery)).status_code == 403
    assert client.post(_test_url(shop)).status_code == 403
    assert WebhookDelivery.objects.count() == 1
    queued.assert_not_called()
    # Nor do they see the tab.
    html = client.get(reverse("shops:detail", args=[shop.pk])).content.decode()
    assert _log_url(shop) not in html


def test_write_routes_refuse_get(owner_client, shop):
    delivery = _delivery(shop)
    assert owner_client.get(_resend_url(delivery)).status_code == 405
    assert owner_client.get(_test_url(shop)).status_code == 405


def test_resend_queues_a_new_attempt_that_the_receiver_gets_signed(
    owner_client, shop, secret, queued, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        delivery = _delivery(shop, url=receiver.url, body='{"id":"evt_x"}')
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(_resend_url(delivery), follow=True)
        assert response.redirect_chain == [(_log_url(shop), 302)]
        assert any("queued to be sent again" in m for m in _messages(response))
        queued.assert_called_once_with(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert delivery.next_attempt_at <= timezone.now()

        # Pressed again while queued: nothing more is queued.
        with django_capture_on_commit_callbacks(execute=True):
            again = owner_client.post(_resend_url(delivery), follow=True)
        assert any("already queued" in m for m in _messages(again))
        assert queued.call_count == 1

        # The task, run here: one attempt, signed with the shop's secret.
        attempt = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    ((headers, body),) = receiver.requests
    assert body == b'{"id":"evt_x"}'
    assert _verify(headers["Inecopay-Signature"], body, secret)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 2
    page = owner_client.get(_log_url(shop)).content.decode()
    assert "1 attempt" in page and "answer 200" in page


def test_test_webhook_is_delivered_and_signed(
    owner_client, shop, secret, queued, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        shop.webhook_url = receiver.url
        shop.save()
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(_test_url(shop), follow=True)
        assert response.redirect_chain == [(_log_url(shop), 302)]
        delivery = WebhookDelivery.objects.get()
        assert any(delivery.public_id in m for m in _messages(response))
        queued.assert_called_once_with(delivery.pk)
        attempt = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    ((headers, body),) = receiver.requests
    assert _verify(headers["Inecopay-Signature"], body, secret)
    event = json.loads(body)
    assert event["id"] == delivery.public_id
    assert event["type"] == "webhook.test"
    assert event["test"] is True
    assert event["data"] == {"shop_id": shop.public_id}
    assert event["created_at"].endswith("Z")
    delivery.refresh_from_db()
    assert (delivery.type, delivery.test, delivery.payment_id) == ("webhook.test", True, None)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED


def test_test_webhook_from_the_integration_guide_returns_there(
    owner_client, shop, secret, queued, django_capture_on_commit_callbacks
):
    guide = reverse("integration:shop_guide", args=[shop.pk])
    assert f'action="{_test_url(shop)}"' in owner_client.get(guide).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_test_url(shop), {"back": "guide"})
    assert response.status_code == 302
    assert response["Location"] == guide
    assert WebhookDelivery.objects.get().type == "webhook.test"


def test_test_webhook_without_a_result_url_says_so_and_creates_nothing(
    owner_client, shop, secret, queued
):
    shop.webhook_url = ""
    shop.save()
    response = owner_client.post(_test_url(shop), follow=True)
    assert response.redirect_chain == [(_log_url(shop), 302)]
    assert any("no result (webhook) URL" in m for m in _messages(response))
    assert not WebhookDelivery.objects.exists()
    queued.assert_not_called()


def test_test_webhook_without_a_signing_secret_says_so_and_creates_nothing(
    owner_client, shop, queued
):
    response = owner_client.post(_test_url(shop), follow=True)
    assert any("no webhook signing secret" in m for m in _messages(response))
    assert not WebhookDelivery.objects.exists()
    queued.assert_not_called()
