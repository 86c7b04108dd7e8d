"""A real Celery worker takes a task from the configured broker (Redis when REDIS_URL is set)."""

from __future__ import annotations

import os

import pytest
from celery.contrib.testing import tasks as _testing_tasks  # noqa: F401  registers celery.ping
from celery.contrib.testing.worker import start_worker

from inecopay.celery import app
from inecopay.tasks import ping

pytestmark = pytest.mark.celery_worker


def test_broker_is_redis_when_redis_url_is_set():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        assert app.conf.broker_url == redis_url
        assert app.conf.result_backend == redis_url
    else:
        assert app.conf.broker_url == "filesystem://"


def test_worker_runs_a_task_through_the_broker():
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=True):
        result = ping.delay("inecopay")
        assert result.get(timeout=20) == "pong:inecopay"


def test_task_settings_favour_safe_redelivery():
    assert app.conf.task_acks_late is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert "scheduler-heartbeat" in app.conf.beat_schedule
