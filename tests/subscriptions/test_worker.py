"""A real Celery worker (Redis when REDIS_URL is set) runs the sweeper from the broker; the
deliveries it queues arrive through the broker too, and the report email lands in the
test outbox (Django's locmem backend: the worker's thread shares it)."""

from __future__ import annotations

import time as clock
from datetime import time, timedelta

import pytest
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  registers celery.ping
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from inecopay.celery import app
from subscriptions.tasks import sweep_report_subscriptions

from . import delivery_fixtures
from .delivery_fixtures import berlin, paid, subscribe

shop_merchant = delivery_fixtures.shop_merchant
accountant = delivery_fixtures.accountant
books = delivery_fixtures.books

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_sweeper_through_the_broker_sends_the_due_report(accountant, books):
    now = timezone.now()
    # Sent at local midnight: yesterday's report is due whatever the time of the run.
    subscription = subscribe(
        accountant, started=now - timedelta(days=3), formats=("xlsx", "csv"), send_time=time(0, 0)
    )
    # Yesterday's and the day before's reports are due (the worker catches up both).
    yesterday = timezone.localtime(now, berlin(2026, 1, 1).tzinfo) - timedelta(days=1)
    paid(books, yesterday.replace(hour=12, minute=0, second=0, microsecond=0), 4_200_00)

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=True):
        counts = sweep_report_subscriptions.delay().get(timeout=30)
        assert counts["periodic"] >= 2
        due = list(subscription.runs.values_list("pk", flat=True))
        deadline = clock.monotonic() + 60
        while clock.monotonic() < deadline:
            if subscription.runs.filter(status="sent").count() == len(due):
                break
            clock.sleep(0.2)

    assert len(due) == counts["periodic"]
    assert set(subscription.runs.values_list("status", flat=True)) == {"sent"}
    emails = [m for m in mail.outbox if m.to == [subscription.email]]
    assert len(emails) == len(due)
    for email in emails:
        names = sorted(name for name, _content, _type in email.attachments)
        assert len(names) == 2
        assert names[0].endswith(".csv") and names[1].endswith(".xlsx")
        assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    yesterdays = [m for m in emails if yesterday.strftime("%Y-%m-%d") in m.attachments[0][0]]
    assert len(yesterdays) == 1
    csv_text = dict((n, c) for n, c, _t in yesterdays[0].attachments)
    csv_body = next(c for n, c in csv_text.items() if n.endswith(".csv"))
    assert "4200" in str(csv_body).replace(",", "").replace(" ", "")
