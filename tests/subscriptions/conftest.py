"""Subscriptions at a fixed «now», the shops they cover and the team members who manage them."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.test import Client

from merchants.models import Membership
from subscriptions import services
from subscriptions.models import ReportSubscription
from tests.factories import MembershipFactory, ShopFactory

# «Now» in these tests: Sunday 29 November 2026, 10:00 in Yerevan (UTC+4).
NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture(autouse=True)
def _now():
    with at(NOW):
        yield


@pytest.fixture
def shop(merchant):
    return ShopFactory(merchant=merchant, name="Books", is_open=True, live_mode=True)


@pytest.fixture
def other_shop(merchant):
    return ShopFactory(merchant=merchant, name="Գրքեր", is_open=True, live_mode=True)


def member_client(merchant, role: str) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    return client


@pytest.fixture
def accountant_client(merchant) -> Client:
    return member_client(merchant, Membership.Role.ACCOUNTANT)


@pytest.fixture
def developer_client(merchant) -> Client:
    return member_client(merchant, Membership.Role.DEVELOPER)


def form_data(**overrides) -> dict:
    """What the add form posts for a daily PDF of «By days», all shops, live payments."""
    data = {
        "email": "accountant@example.am",
        "frequency": "daily",
        "send_time": "09:00",
        "variants": ["by-days"],
        "formats": ["pdf"],
        "mode": "live",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def cleaned(**overrides) -> dict:
    """The form's cleaned data, for calling the services directly."""
    from datetime import time

    data = {
        "email": "accountant@example.am",
        "frequency": "daily",
        "send_time": time(9, 0),
        "variants": ["by-days"],
        "formats": ["pdf"],
        "shops": [],
        "test": False,
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_subscription(owner_membership, django_capture_on_commit_callbacks):
    """A subscription added by the owner through the service (its email sent), in a status."""

    def make(status: str = ReportSubscription.Status.PENDING, membership=None, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            subscription = services.subscription_create(
                membership=membership or owner_membership, data=cleaned(**overrides)
            )
        if status != ReportSubscription.Status.PENDING:
            subscription, _changed = services.subscription_confirm(subscription.confirm_token)
        if status == ReportSubscription.Status.PAUSED:
            subscription = services.subscription_pause(
                subscription=subscription, by=membership or owner_membership
            )
        elif status == ReportSubscription.Status.UNSUBSCRIBED:
            subscription, _changed = services.subscription_unsubscribe(
                subscription.unsubscribe_token
            )
        subscription.refresh_from_db()
        return subscription

    return make
