"""Liveness checks of the parts the portal cannot work without."""

from __future__ import annotations

from datetime import datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .celery import app
from .tasks import HEARTBEAT_KEY


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is down for us
        return f"down: {exc.__class__.__name__}"
    return "ok"


def check_broker() -> str:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            # A Redis channel may come from a pool without touching the server: ask it.
            client = getattr(conn.default_channel, "client", None)
            if client is not None:
                client.ping()
    except Exception as exc:  # kombu raises transport-specific errors
        return f"down: {exc.__class__.__name__}"
    return "ok"


def check_scheduler() -> str:
    """Informational: beat's last heartbeat, which does not decide the status code."""
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception as exc:
        return f"unknown: {exc.__class__.__name__}"
    if not last:
        return "unknown"
    age = (timezone.now() - datetime.fromisoformat(last)).total_seconds()
    return "ok" if age < 180 else f"stale: {int(age)}s"
