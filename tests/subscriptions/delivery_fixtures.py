"""Helpers for the delivery tests: subscriptions written as rows (as the member pages will
write them), payments moved through the real state machine, time travel, a sweep-and-send."""

from __future__ import annotations

import smtplib
from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import TestCase

from merchants.models import Membership
from subscriptions.delivery import report_run_deliver, subscriptions_sweep
from subscriptions.models import Frequency, ReportRun, ReportSubscription
from subscriptions.schedule import next_due
from tests.factories import MembershipFactory, MerchantFactory, ShopFactory
from transactions import services as payments
from transactions.models import Actor, Payment, Refund

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """Run ids the sweeper queued; no message goes to a broker in these tests."""
    queued: list[int] = []
    monkeypatch.setattr("subscriptions.delivery._enqueue", queued.extend)
    return queued


@pytest.fixture
def shop_merchant(db):
    """A merchant in Berlin (a zone with DST), its owner, and two open shops."""
    merchant = MerchantFactory(name="Kiosk", legal_name="Kiosk GmbH", time_zone="Europe/Berlin")
    owner = MembershipFactory(merchant=merchant, role=Membership.Role.OWNER)
    owner.user.email = "owner@kiosk.example"
    owner.user.save()
    return merchant


@pytest.fixture
def books(shop_merchant):
    return ShopFactory(merchant=shop_merchant, name="Books", is_open=True, live_mode=True)


@pytest.fixture
def music(shop_merchant):
    return ShopFactory(merchant=shop_merchant, name="Music", is_open=True, live_mode=True)


@pytest.fixture
def accountant(shop_merchant) -> Membership:
    return MembershipFactory(merchant=shop_merchant, role=Membership.Role.ACCOUNTANT)


def subscribe(
    membership: Membership,
    *,
    frequency: str = Frequency.DAILY,
    started: datetime,
    email: str | None = None,
    variants: tuple[str, ...] = ("by-days",),
    formats: tuple[str, ...] = ("xlsx",),
    send_time: time = time(9, 0),
    shops=(),
    test: bool = False,
    status: str = ReportSubscription.Status.ACTIVE,
) -> ReportSubscription:
    """A confirmed subscription that starts sending at `started`, as
    subscription_start_sending will set it up."""
    merchant = membership.merchant
    subscription = ReportSubscription.objects.create(
        merchant=merchant,
        membership=membership,
        created_by=membership.user,
        email=email or membership.user.email,
        language="en",
        variants=list(variants),
        formats=list(formats),
        frequency=frequency,
        send_time=send_time,
        test=test,
        status=status,
        confirmed_at=started,
    )
    if frequency == Frequency.EACH_PAYMENT:
        subscription.covered_until = started.replace(second=0, microsecond=0)
    else:
        after, run_at = next_due(frequency, send_time, merchant.time_zone, started)
        subscription.next_period_after, subscription.next_run_at = after, run_at
    subscription.save()
    if shops:
        subscription.shops.set(shops)
    return subscription


def paid(shop, moment: datetime, amount: int, currency: str = "AMD", *, order_id: str = ""):
    """A live payment created a minute before `moment` and paid at `moment`."""
    with at(moment - timedelta(minutes=1)):
        payment = payments.payment_create(
            shop=shop,
            test=False,
            amount=amount,
            currency=currency,
            order_id=order_id or f"o-{moment:%s}",
        )
    with at(moment):
        payments.payment_transition(
            payment=payment, to=Payment.Status.PROCESSING, actor=Actor.SYSTEM
        )
        payments.payment_transition(
            payment=payment, to=Payment.Status.SUCCEEDED, actor=Actor.SYSTEM
        )
    payment.refresh_from_db()
    return payment


def refunded(payment: Payment, moment: datetime, amount: int) -> Refund:
    with at(moment):
        refund = payments.refund_create(payment=payment, amount=amount)
    Refund.objects.filter(pk=refund.pk).update(created_at=moment)
    return refund


def sweep(moment: datetime) -> dict[str, int]:
    with at(moment):
        return subscriptions_sweep()


def deliver_all(moment: datetime) -> list[str]:
    """What a worker does with every message the sweep queued: deliver each run."""
    outcomes = []
    # Mail queued on commit (the owners' notice) goes out as the worker's commit would send it.
    with at(moment), TestCase.captureOnCommitCallbacks(execute=True):
        for pk in ReportRun.objects.order_by("pk").values_list("pk", flat=True):
            outcomes.append(report_run_deliver(run_id=pk))
    return outcomes


def sweep_and_send(moment: datetime) -> list[mail.EmailMessage]:
    """One beat tick and its deliveries; the emails that tick sent."""
    before = len(mail.outbox)
    sweep(moment)
    deliver_all(moment)
    return mail.outbox[before:]


def reports_to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [address]]


class RefusingBackend(LocmemBackend):
    """A mail server that refuses report emails (those with the unsubscribe header) and
    takes every other message into the test outbox."""

    def send_messages(self, messages):
        for message in messages:
            if "List-Unsubscribe" in message.extra_headers:
                raise smtplib.SMTPDataError(451, b"Temporary local problem")
        return super().send_messages(messages)
