"""Signed webhooks: every status change and refund of a payment, POSTed to the shop's
result URL.

    Inecopay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

with one v1 per usable signing secret (two while a rolled secret is in its grace). A
delivery is a row first, written in the transaction that writes the payment event (an
outbox: a rollback leaves neither); a Celery task queued on commit sends it, and retries
on errors and non-2xx answers with exponential backoff and jitter for up to three days,
after which the shop's endpoint is flagged and its owners emailed, once per failing
streak. Outside development, private, loopback and link-local targets are refused,
checked against the address actually connected to.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import random
import time
from datetime import UTC, timedelta
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

# The website check's fenced connections: pinned to a public address it resolved itself.
from merchants.website import (
    FetchError,
    PinnedHTTPConnection,
    PinnedHTTPSConnection,
    public_address,
)
from shops.models import Shop
from shops.services import webhook_secrets
from transactions.models import Payment, PaymentEvent

from .models import WebhookAction, WebhookAttempt, WebhookDelivery, WebhookEndpointFlag
from .schemas import PaymentOut

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Inecopay-Signature"
TIMEOUT_SECONDS = 10
GIVE_UP_AFTER = timedelta(days=3)
BACKOFF_BASE = 10  # seconds before the first retry
BACKOFF_CAP = 6 * 60 * 60
# A claimed attempt may take this long before another worker may try again.
LEASE = timedelta(seconds=60)
EXCERPT = 500
USER_AGENT = "Inecopay-Webhooks/1.0"
# The status the core reports → the event type; creation (pending) sends nothing.
EVENT_TYPES = {
    status: f"payment.{status}" for status in Payment.Status.values if status != "pending"
}


def sign(*, body: bytes, secrets: list[str], timestamp: int) -> str:
    """The signature header for `body` at `timestamp`, one v1 per secret."""
    signed = str(timestamp).encode() + b"." + body
    values = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={timestamp}", *(f"v1={value}" for value in values)])


def _utc(value) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def webhook_delivery_create(*, event: PaymentEvent) -> WebhookDelivery | None:
    """Write the delivery of a payment event, if it is one merchants hear about and the
    shop has a result URL; a second call for the same event changes nothing."""
    event_type = EVENT_TYPES.get(event.to_status)
    payment = event.payment
    shop = payment.shop
    if event_type is None or not shop.webhook_url:
        return None
    delivery = WebhookDelivery(
        shop=shop,
        payment=payment,
        payment_event=event,
        type=event_type,
        test=payment.test,
        url=shop.webhook_url,
        next_attempt_at=timezone.now(),
    )
    delivery.body = json.dumps(
        {
            "id": delivery.public_id,
            "type": event_type,
            "created_at": _utc(event.created_at),
            "test": payment.test,
            "data": PaymentOut.of(payment).model_dump(mode="json"),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        return None
    return delivery


def on_payment_event_written(sender, event: PaymentEvent, **kwargs) -> None:
    """Receiver of the core's in-transaction hook: the delivery row is written in the
    transaction that writes the event, so both exist or neither does; the task is queued
    once that transaction commits. A lost queueing is caught by `retry_due_webhooks`."""
    if event.to_status not in EVENT_TYPES:
        return  # creation (pending) sends nothing: no query on the create path
    delivery = webhook_delivery_create(event=event)
    if delivery is not None:
        _queue_on_commit(delivery.pk)


def _queue_on_commit(delivery_id: int) -> None:
    from .tasks import deliver_webhook

    # robust: a broker hiccup must not turn a committed change into an error; the row is
    # due now, so the beat sweep sends it within a minute.
    transaction.on_commit(lambda: deliver_webhook.delay(delivery_id), robust=True)


def _backoff(attempts: int) -> float:
    """Seconds before the next try: doubling from BACKOFF_BASE up to BACKOFF_CAP, with
    jitter so that an endpoint coming back is not hit by every retry at once."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(_("Only http:// and https:// result URLs can be used."))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = public_address(parts.hostname, port, settings.WEBHOOK_ALLOW_PRIVATE)
    except FetchError as exc:
        raise FetchError(
            _("The result URL does not resolve to a public address (private, loopback, …).")
        ) from exc
    connection_class = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address, TIMEOUT_SECONDS)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~?")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(EXCERPT)
    finally:
        connection.close()


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the next attempt of a due delivery; None when it is not due or not pending
    (another worker has it, or it is finished)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("shop")
            .filter(pk=delivery_id)
            .first()
        )
        now = timezone.now()
        if (
            delivery is None
            or delivery.status != WebhookDelivery.Status.PENDING
            or (delivery.next_attempt_at and delivery.next_attempt_at > now)
        ):
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookAttempt | None:
    """Send a due delivery once and record the attempt; schedule the next on failure.
    Returns the attempt, or None when there was nothing to do."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    body = delivery.body.encode()
    started = time.monotonic()
    status_code: int | None = None
    excerpt = b""
    error = ""
    secrets = webhook_secrets(delivery.shop)
    if not secrets:
        error = _("The shop has no webhook signing secret: create one on its keys page.")
    else:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(body=body, secrets=secrets, timestamp=int(time.time())),
        }
        try:
            status_code, excerpt = _post(delivery.url, body, headers)
        except FetchError as exc:
            error = str(exc.message)
        except TimeoutError:
            error = _("No answer within %(seconds)d s.") % {"seconds": TIMEOUT_SECONDS}
        except (OSError, http.client.HTTPException) as exc:
            error = _("Could not connect (%(error)s).") % {"error": exc.__class__.__name__}
    now = timezone.now()
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            created_at=now,
            url=delivery.url,
            status_code=status_code,
            duration_ms=int((time.monotonic() - started) * 1000),
            response_excerpt=excerpt.decode("utf-8", errors="replace")[:EXCERPT],
            error=str(error)[:255],
        )
        update = {}
        if attempt.ok:
            update = {
                "status": WebhookDelivery.Status.SUCCEEDED,
                "delivered_at": now,
                "next_attempt_at": None,
            }
        elif now - delivery.created_at >= GIVE_UP_AFTER:
            update = {"status": WebhookDelivery.Status.FAILED, "next_attempt_at": None}
        else:
            update = {"next_attempt_at": now + timedelta(seconds=_backoff(delivery.attempts))}
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**update)
        if attempt.ok:
            _endpoint_clear(shop=delivery.shop, now=now)
        elif update.get("status") == WebhookDelivery.Status.FAILED:
            _endpoint_flag(delivery=delivery, now=now)
    if update.get("status") == WebhookDelivery.Status.FAILED:
        logger.warning("webhook %s to %s: gave up after 3 days", delivery.public_id, delivery.url)
    elif "status" not in update:
        from .tasks import deliver_webhook

        countdown = max(1, int((update["next_attempt_at"] - now).total_seconds()))
        deliver_webhook.apply_async((delivery.pk,), countdown=countdown)
    return attempt


def _endpoint_flag(*, delivery: WebhookDelivery, now) -> WebhookEndpointFlag | None:
    """Flag the shop's result URL after a delivery gave up, and email the owners once per
    failing streak: a second give-up while the flag is open changes nothing."""
    shop = delivery.shop
    if delivery.url != shop.webhook_url:
        return None  # the shop has moved to another URL since: nothing to warn about
    try:
        with transaction.atomic():
            flag = WebhookEndpointFlag.objects.create(
                shop=shop, url=delivery.url, delivery=delivery, flagged_at=now
            )
    except IntegrityError:
        return None
    from merchants.services import merchant_notify_owners

    # The mail helper sends on commit: a rolled-back flag emails nobody.
    merchant_notify_owners(
        merchant=shop.merchant,
        template="webhook_failing",
        context={
            "shop": shop,
            "url": delivery.url,
            "event_id": delivery.public_id,
            "log_url": settings.SITE_URL + reverse("webhooks:log", args=[shop.pk]),
        },
    )
    logger.warning("webhook endpoint of shop %s flagged as failing: %s", shop.pk, delivery.url)
    return flag


def _endpoint_clear(*, shop: Shop, now) -> None:
    """A delivery got through: the shop's endpoint works again, so its flag closes."""
    WebhookEndpointFlag.objects.filter(shop=shop, cleared_at__isnull=True).update(cleared_at=now)


def shop_webhook_flag(shop: Shop) -> WebhookEndpointFlag | None:
    """The shop's open failing-endpoint flag, if any."""
    return (
        WebhookEndpointFlag.objects.filter(shop=shop, cleared_at__isnull=True)
        .select_related("delivery")
        .first()
    )


def shop_webhook_actions(shop: Shop, limit: int = 20) -> list[WebhookAction]:
    """The latest resends and test webhooks of the shop: who, what, when."""
    return list(
        WebhookAction.objects.filter(shop=shop)
        .select_related("user", "delivery")
        .order_by("-created_at", "-pk")[:limit]
    )


def webhook_deliveries_due() -> list[int]:
    """Pending deliveries whose next attempt is due: a lost task is picked up here."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:500]
    )


def shop_webhook_log(shop: Shop):
    """The shop's deliveries, newest first, with their attempts."""
    return (
        WebhookDelivery.objects.filter(shop=shop)
        .order_by("-created_at", "-id")
        .prefetch_related("tries")
    )


TEST_EVENT_TYPE = "webhook.test"


def webhook_delivery_resend(*, delivery: WebhookDelivery, by, ip: str | None = None) -> bool:
    """Queue another attempt of a delivery now; False when one is already queued or running."""
    with transaction.atomic():
        # No aggregate in this query: PostgreSQL refuses FOR UPDATE with GROUP BY.
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        now = timezone.now()
        if locked.status == WebhookDelivery.Status.PENDING and locked.next_attempt_at is not None:
            due = locked.next_attempt_at <= now
            # A claimed attempt not yet recorded is in flight: its lease holds next_attempt_at.
            in_flight = locked.attempts > locked.tries.count()
            if due or in_flight:
                return False
        WebhookDelivery.objects.filter(pk=locked.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=now, delivered_at=None
        )
        WebhookAction.objects.create(
            shop_id=locked.shop_id,
            delivery=locked,
            action=WebhookAction.Action.RESENT,
            user=by,
            ip=ip,
            created_at=now,
        )
        _queue_on_commit(locked.pk)
    logger.info("webhook %s: resend requested by user %s", locked.public_id, by.pk)
    return True


@transaction.atomic
def webhook_send_test(*, shop: Shop, by, ip: str | None = None) -> WebhookDelivery:
    """Write a signed `webhook.test` delivery to the shop's result URL and queue it."""
    from merchants.services import ServiceError

    if not shop.webhook_url:
        raise ServiceError(
            _("The shop has no result (webhook) URL: set it in section 1 of the shop first.")
        )
    if not webhook_secrets(shop):
        raise ServiceError(
            _("The shop has no webhook signing secret: create one on its keys page first.")
        )
    now = timezone.now()
    delivery = WebhookDelivery(
        shop=shop,
        type=TEST_EVENT_TYPE,
        test=True,
        url=shop.webhook_url,
        created_at=now,
        next_attempt_at=now,
    )
    delivery.body = json.dumps(
        {
            "id": delivery.public_id,
            "type": TEST_EVENT_TYPE,
            "created_at": _utc(now),
            "test": True,
            "data": {"shop_id": shop.public_id},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    delivery.save()
    WebhookAction.objects.create(
        shop=shop,
        delivery=delivery,
        action=WebhookAction.Action.TEST_SENT,
        user=by,
        ip=ip,
        created_at=now,
    )
    _queue_on_commit(delivery.pk)
    logger.info("webhook %s: test sent by user %s", delivery.public_id, by.pk)
    return delivery
