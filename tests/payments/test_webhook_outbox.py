"""Webhook deliveries as an outbox: written in the payment event's transaction, queued on
commit; a failing endpoint flagged once per streak; resends and test webhooks audited."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from payments import webhooks
from payments.models import WebhookAction, WebhookDelivery, WebhookEndpointFlag
from shops.models import ApiKey
from shops.services import api_key_create
from tests.factories import ShopFactory
from tests.payments.test_webhooks import Receiver
from transactions import services
from transactions.models import PaymentEvent

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def queued():
    with (
        mock.patch("payments.tasks.deliver_webhook.delay") as delay,
        mock.patch("payments.tasks.deliver_webhook.apply_async") as apply_async,
    ):
        yield {"delay": delay, "apply_async": apply_async}


@pytest.fixture
def shop(merchant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return ShopFactory(
        merchant=merchant, name="Books", is_open=True, webhook_url="https://books.example.am/wh"
    )


@pytest.fixture
def secret(shop, owner) -> str:
    _key, plaintext = api_key_create(shop=shop, kind=ApiKey.Kind.WEBHOOK, by=owner)
    return plaintext


def _payment(shop):
    return services.payment_create(
        shop=shop, test=True, amount=5000, currency="AMD", order_id="outbox-1"
    )


# ---------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------
def test_a_rolled_back_event_leaves_no_delivery(shop, queued, django_capture_on_commit_callbacks):
    payment = _payment(shop)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        services.payment_simulate(payment=payment, outcome="expired")
        assert WebhookDelivery.objects.filter(payment=payment).count() == 1
        raise Boom
    assert not PaymentEvent.objects.filter(payment=payment, to_status="expired").exists()
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []
    queued["delay"].assert_not_called()


def test_a_committed_event_has_exactly_one_delivery_queued_after_commit(
    shop, queued, django_capture_on_commit_callbacks
):
    payment = _payment(shop)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_simulate(payment=payment, outcome="succeeded")
        # Written with the events, queued only once the transaction commits.
        assert WebhookDelivery.objects.count() == 2
        queued["delay"].assert_not_called()
    for event in payment.events.exclude(to_status="pending"):
        assert WebhookDelivery.objects.filter(payment_event=event).count() == 1
    delivery_ids = sorted(WebhookDelivery.objects.values_list("pk", flat=True))
    assert sorted(call.args[0] for call in queued["delay"].call_args_list) == delivery_ids


@pytest.mark.django_db(transaction=True)
def test_on_a_real_commit_the_task_is_queued_once_per_delivery(shop, queued):
    payment = _payment(shop)
    services.payment_simulate(payment=payment, outcome="declined")
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.type for d in deliveries] == ["payment.processing", "payment.declined"]
    assert [call.args[0] for call in queued["delay"].call_args_list] == [d.pk for d in deliveries]


@pytest.mark.django_db(transaction=True)
def test_a_broker_failure_on_commit_keeps_the_payment_and_the_beat_sweep_sends_it(shop):
    from payments.tasks import retry_due_webhooks

    payment = _payment(shop)
    with mock.patch("payments.tasks.deliver_webhook.delay", side_effect=ConnectionError):
        services.payment_simulate(payment=payment, outcome="expired")
    payment.refresh_from_db()
    assert payment.status == "expired"
    delivery = WebhookDelivery.objects.get()
    with mock.patch("payments.tasks.deliver_webhook.delay") as delay:
        assert retry_due_webhooks.apply().get() == 1
    delay.assert_called_once_with(delivery.pk)


# ---------------------------------------------------------------------------
# A failing endpoint
# ---------------------------------------------------------------------------
def _give_up(delivery: WebhookDelivery) -> None:
    """Run the delivery's attempt three days after it was written (time travel)."""
    later = delivery.created_at + webhooks.GIVE_UP_AFTER + timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later)
    with mock.patch("django.utils.timezone.now", return_value=later):
        webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)


def _event_delivery(shop, url: str, order: str) -> WebhookDelivery:
    shop.webhook_url = url
    shop.save()
    payment = services.payment_create(
        shop=shop, test=True, amount=100, currency="AMD", order_id=order
    )
    services.payment_simulate(payment=payment, outcome="expired")
    return WebhookDelivery.objects.get(payment=payment)


def test_an_endpoint_failing_for_three_days_is_flagged_and_owners_emailed_once(
    shop,
    secret,
    owner,
    queued,
    mailoutbox,
    english,
    owner_client,
    django_capture_on_commit_callbacks,
):
    with Receiver([503] * 10) as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            first = _event_delivery(shop, receiver.url, "a")
        # Not yet three days: a retry is scheduled, no flag.
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.webhook_delivery_attempt(delivery_id=first.pk)
        assert not WebhookEndpointFlag.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            _give_up(first)
            second = _event_delivery(shop, receiver.url, "b")
        with django_capture_on_commit_callbacks(execute=True):
            _give_up(second)

    first.refresh_from_db()
    assert first.status == WebhookDelivery.Status.FAILED
    flag = WebhookEndpointFlag.objects.get()
    assert (flag.url, flag.delivery_id, flag.cleared_at) == (receiver.url, first.pk, None)
    # Once per failing streak: the second give-up emails nobody.
    [message] = mailoutbox
    assert message.to == [owner.email]
    assert "Books" in message.subject and "failing" in message.subject
    assert receiver.url in message.body
    assert reverse("webhooks:log", args=[shop.pk]) in message.body

    page = owner_client.get(reverse("webhooks:log", args=[shop.pk])).content.decode()
    assert "The result URL is failing" in page
    assert first.public_id in page


def test_a_successful_test_webhook_clears_the_flag_and_a_new_streak_emails_again(
    shop,
    secret,
    owner,
    queued,
    mailoutbox,
    english,
    owner_client,
    django_capture_on_commit_callbacks,
):
    log_url = reverse("webhooks:log", args=[shop.pk])
    with Receiver([503, 200, 503]) as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            first = _event_delivery(shop, receiver.url, "a")
        with django_capture_on_commit_callbacks(execute=True):
            _give_up(first)
        assert len(mailoutbox) == 1

        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("webhooks:test", args=[shop.pk]))
        test_delivery = WebhookDelivery.objects.get(type="webhook.test")
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks.webhook_delivery_attempt(delivery_id=test_delivery.pk).ok
        assert WebhookEndpointFlag.objects.get().cleared_at is not None
        assert "The result URL is failing" not in owner_client.get(log_url).content.decode()

        with django_capture_on_commit_callbacks(execute=True):
            again = _event_delivery(shop, receiver.url, "b")
        with django_capture_on_commit_callbacks(execute=True):
            _give_up(again)

    assert WebhookEndpointFlag.objects.count() == 2
    assert WebhookEndpointFlag.objects.filter(cleared_at__isnull=True).count() == 1
    assert len(mailoutbox) == 2


def test_a_give_up_for_a_url_the_shop_no_longer_uses_flags_nothing(
    shop, secret, queued, mailoutbox, django_capture_on_commit_callbacks
):
    with Receiver([503]) as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            delivery = _event_delivery(shop, receiver.url, "a")
        shop.webhook_url = "https://books.example.am/new-hook"
        shop.save()
        with django_capture_on_commit_callbacks(execute=True):
            _give_up(delivery)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert not WebhookEndpointFlag.objects.exists()
    assert mailoutbox == []


def test_other_shops_flag_is_not_shown(owner_client, shop, outsider, english):
    other = ShopFactory(merchant=outsider.memberships.get().merchant, name="Other")
    WebhookEndpointFlag.objects.create(shop=other, url="https://other.example.am/wh")
    page = owner_client.get(reverse("webhooks:log", args=[shop.pk])).content.decode()
    assert "The result URL is failing" not in page


# ---------------------------------------------------------------------------
# Who resent, who sent a test
# ---------------------------------------------------------------------------
def test_resend_and_test_webhook_are_recorded_with_who_and_when_and_shown(
    owner_client, owner, shop, secret, queued, english, django_capture_on_commit_callbacks
):
    payment = _payment(shop)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_simulate(payment=payment, outcome="expired")
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None
    )
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("webhooks:resend", args=[shop.pk, delivery.pk]))
        owner_client.post(reverse("webhooks:test", args=[shop.pk]))

    resent, test_sent = WebhookAction.objects.order_by("pk")
    assert (resent.action, resent.delivery_id, resent.user, resent.shop) == (
        "resent",
        delivery.pk,
        owner,
        shop,
    )
    assert resent.ip == "127.0.0.1"
    assert resent.created_at >= before
    assert test_sent.action == "test_sent"
    assert test_sent.delivery.type == "webhook.test"

    page = owner_client.get(reverse("webhooks:log", args=[shop.pk])).content.decode()
    assert "Resend requested" in page and "Test webhook sent" in page
    assert owner.email in page


def test_a_resend_refused_as_already_queued_records_nothing(
    owner_client, shop, secret, queued, django_capture_on_commit_callbacks
):
    payment = _payment(shop)
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_simulate(payment=payment, outcome="expired")
    delivery = WebhookDelivery.objects.get()  # pending and due: already queued
    owner_client.post(reverse("webhooks:resend", args=[shop.pk, delivery.pk]))
    assert not WebhookAction.objects.exists()


def test_a_test_webhook_refused_records_nothing(owner_client, shop, queued):
    owner_client.post(reverse("webhooks:test", args=[shop.pk]))  # no signing secret
    assert not WebhookAction.objects.exists()


def test_staff_see_failing_endpoints_in_admin_read_only(staff_client, shop, english):
    flag = WebhookEndpointFlag.objects.create(shop=shop, url="https://books.example.am/wh")
    changelist = staff_client.get(reverse("admin:payments_webhookendpointflag_changelist"))
    assert changelist.status_code == 200
    assert "https://books.example.am/wh" in changelist.content.decode()
    change = reverse("admin:payments_webhookendpointflag_change", args=[flag.pk])
    assert staff_client.get(change).status_code == 200
    assert staff_client.get(reverse("admin:payments_webhookendpointflag_add")).status_code == 403
