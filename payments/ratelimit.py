"""Request budgets in the shared cache: fixed windows, so every web process counts into
the same bucket. The API counts requests per secret key; the hosted form counts failed
card attempts per payment and per client address, against card testing."""

from __future__ import annotations

import ipaddress
import math

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.utils import timezone

from inecopay.lib.cache import OUTAGE, warn_outage


def _writer(backend: RedisCache, key: str):
    """The backend's Redis client for writes, made once per backend (Django makes a new
    client object on every call, which costs more than the round trip it sends). Writes
    always go to the first server, so one client serves every key."""
    client = backend.__dict__.get("_inecopay_writer")
    if client is None:
        client = backend.__dict__["_inecopay_writer"] = backend._cache.get_client(key, write=True)
    return client


def _incr(name: str, timeout: int) -> int:
    """Add one to a counter that lives `timeout` seconds; its new value."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip on every request: the counter's name carries its window, so its
        # expiry only matters for cleaning up and is set by the request that creates it.
        key = backend.make_and_validate_key(name)
        try:
            client = _writer(backend, key)
            count = client.incr(key)
            if count == 1:
                client.expire(key, timeout)
        except OUTAGE as exc:  # Redis down: the budget is not enforced until it returns
            warn_outage(exc)
            return 1
        return count
    cache.add(name, 0, timeout=timeout)
    try:
        return cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=timeout)
        return 1


def _window(scope: str, ident: object, window: int) -> tuple[str, float]:
    """The counter's name in the current window, and the seconds until the window ends."""
    now = timezone.now().timestamp()
    bucket = int(now // window)
    return f"{scope}:{ident}:{window}:{bucket}", (bucket + 1) * window - now


def rate_limit_exceeded(*, key_id: int) -> int | None:
    """Count one request of the key; the seconds to wait when over budget, else None."""
    limit, window = settings.API_RATE_LIMIT
    name, left = _window("api-rate", key_id, window)
    if _incr(name, window + 1) <= limit:
        return None
    return max(1, math.ceil(left))


# ---------------------------------------------------------------------------
# The hosted form
# ---------------------------------------------------------------------------
def client_ip(request: HttpRequest) -> str:
    """The buyer's address: behind the TLS proxy (SECURE_PROXY_SSL_HEADER set) the one that
    proxy appended to X-Forwarded-For, else the connection's."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.SECURE_PROXY_SSL_HEADER and forwarded:
        address = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "unknown"


def card_ip_blocked(ip: str) -> int | None:
    """Seconds to wait when this address has used up its failed card attempts, else None."""
    if settings.PAYFORM_IP_RATE_LIMIT is None:
        return None
    limit, window = settings.PAYFORM_IP_RATE_LIMIT
    name, left = _window("payform-ip", ip, window)
    if (cache.get(name) or 0) < limit:
        return None
    return max(1, math.ceil(left))


def card_attempt_failed(*, payment_id: int, ip: str, lifetime: int) -> int:
    """Count a failed card attempt against the address and the payment; the payment's
    failures so far. `lifetime` (seconds) is how long the payment's count must live."""
    if settings.PAYFORM_IP_RATE_LIMIT is not None:
        _limit, window = settings.PAYFORM_IP_RATE_LIMIT
        name, _left = _window("payform-ip", ip, window)
        _incr(name, window + 1)
    return _incr(f"payform-card-failures:{payment_id}", max(lifetime, 60) + 60)
