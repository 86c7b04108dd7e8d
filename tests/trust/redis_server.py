"""A Redis server of the test's own, on a free loopback port, that a test may stop and
start again: a real outage, which the shared Redis of the suite never suffers."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class PrivateRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def celery_and_cache_on(url: str, settings):
    """Point the Celery app (broker, result backend) and the cache at `url` for the block.

    broker_read_url and broker_write_url keep their own values once read, so all are set;
    the app's pool, producer pool and backend handles are dropped so the next use takes
    the URL now configured (kombu keeps a pool per URL)."""
    from inecopay.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "inecopay.lib.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    names = ("broker_url", "broker_read_url", "broker_write_url", "result_backend")
    saved = {name: app.conf[name] for name in names}

    def reset() -> None:
        app._pool = None
        app.amqp._producer_pool = None
        app._local.__dict__.pop("backend", None)

    for name in names:
        app.conf[name] = url
    reset()
    try:
        yield app
    finally:
        for name, value in saved.items():
            app.conf[name] = value
        reset()


def worker_process(broker_url: str, tmp_path, **env: str) -> subprocess.Popen:
    """A real `celery worker` process (solo pool) on the test database and `broker_url`,
    in a session of its own so a test can SIGKILL it."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="inecopay.settings",
        DATABASE_URL=url,
        REDIS_URL=broker_url,
        DEBUG="1",
        WEBHOOK_ALLOW_PRIVATE="1",
        VAR_DIR=str(tmp_path / "var"),
        OUTBOX_DIR=str(tmp_path / "outbox"),
        # Workers share the file storage, as they do in production.
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        **env,
    )
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "inecopay",
            "worker",
            "-P",
            "solo",
            "-c",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
