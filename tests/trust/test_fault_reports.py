"""Scheduled reports against a mail server that refuses, and a worker killed while it
hands a report to the mail server: each report arrives exactly once, through real
workers, a real broker (a Redis of the test's own) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import os
import signal
import time as clock
from datetime import time, timedelta
from unittest import mock

import pytest
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  registers celery.ping
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone

from subscriptions.delivery import run_message_id
from subscriptions.models import ReportRun
from subscriptions.tasks import sweep_report_subscriptions
from tests.subscriptions import delivery_fixtures
from tests.subscriptions.delivery_fixtures import paid, subscribe

from .redis_server import PrivateRedis, celery_and_cache_on, worker_process
from .smtp_server import ScriptedSMTP

shop_merchant = delivery_fixtures.shop_merchant
accountant = delivery_fixtures.accountant
books = delivery_fixtures.books

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a worker process shares the test database"
    ),
]


@pytest.fixture
def broker(settings):
    server = PrivateRedis()
    server.start()
    with celery_and_cache_on(server.url, settings) as app:
        yield app
    server.stop()


@pytest.fixture
def due_report(accountant, books):
    """A daily subscription whose one period (yesterday, in Berlin) is due now."""
    now = timezone.now()
    subscription = subscribe(
        accountant, started=now - timedelta(days=1), formats=("xlsx",), send_time=time(0, 0)
    )
    yesterday = timezone.localtime(now, delivery_fixtures.berlin(2026, 1, 1).tzinfo)
    paid(books, (yesterday - timedelta(days=1)).replace(hour=12, minute=0), 3_100_00)
    return subscription


def _smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def _wait_for(check, seconds: float = 60) -> None:
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        if check():
            return
        clock.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_a_refusing_mail_server_gets_the_report_retried_until_it_arrives_once(
    broker, due_report, settings
):
    start = timezone.now()
    with ScriptedSMTP(refuse=2) as smtp:
        _smtp_settings(settings, smtp.port)
        with start_worker(broker, pool="solo", concurrency=1, perform_ping_check=True):
            for minutes, attempts in ((0, 1), (2, 2), (10, 3)):  # backoff: 1 min, then 5
                moment = start + timedelta(minutes=minutes)
                with mock.patch("django.utils.timezone.now", side_effect=lambda m=moment: m):
                    sweep_report_subscriptions.delay().get(timeout=30)
                    _wait_for(
                        lambda a=attempts: ReportRun.objects.filter(
                            attempts=a, status__in=["sent", "failed"]
                        ).exists()
                    )
            # Hours later nothing is sent again.
            later = start + timedelta(hours=3)
            with mock.patch("django.utils.timezone.now", side_effect=lambda: later):
                sweep_report_subscriptions.delay().get(timeout=30)
                clock.sleep(1)

    run = ReportRun.objects.get()
    assert smtp.refused == 2
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0]["Message-ID"] == run_message_id(run)
    assert run.status == ReportRun.Status.SENT and run.attempts == 3
    due_report.refresh_from_db()
    assert due_report.consecutive_failures == 0 and due_report.last_sent_at is not None
    parts = [p.get_filename() for p in smtp.accepted[0].walk() if p.get_filename()]
    assert len(parts) == 1 and parts[0].endswith(".xlsx")


def test_a_worker_killed_while_handing_over_a_report_leaves_it_sent_once(
    broker, due_report, settings, tmp_path
):
    with ScriptedSMTP(stall_first=True) as smtp:
        worker = worker_process(
            broker.conf.broker_url, tmp_path, EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}"
        )
        try:
            sweep_report_subscriptions.delay()
            assert smtp.first_data.wait(90), "the worker never reached the mail server"
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        smtp.release_stalled()
        run = ReportRun.objects.get()
        assert run.status == ReportRun.Status.RENDERING and run.sending_at is not None
        assert smtp.accepted == []

        # A new worker; the beat sweep finds the dead worker's claim once it is stale.
        _smtp_settings(settings, smtp.port)
        later = timezone.now() + timedelta(minutes=11)
        with (
            mock.patch("django.utils.timezone.now", side_effect=lambda: later),
            start_worker(broker, pool="solo", concurrency=1, perform_ping_check=True),
        ):
            sweep_report_subscriptions.delay().get(timeout=30)
            _wait_for(lambda: ReportRun.objects.filter(status="sent").exists())

    run.refresh_from_db()
    assert run.status == ReportRun.Status.SENT and run.attempts == 2
    assert len(smtp.accepted) == 1
    assert smtp.accepted[0]["Message-ID"] == run_message_id(run)
