"""Housekeeping tasks of the portal itself."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task
def ping(value: str) -> str:
    """Echo a value back: proves a worker takes tasks from the broker."""
    return f"pong:{value}"


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Run by beat every minute; /healthz reports how long ago it last ran."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=60 * 60)
