"""A per-key request budget in the shared cache: a fixed window, so every web process
counts into the same bucket."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def rate_limit_exceeded(*, key_id: int) -> int | None:
    """Count one request of the key; the seconds to wait when over budget, else None."""
    limit, window = settings.API_RATE_LIMIT
    now = timezone.now().timestamp()
    bucket = int(now // window)
    name = f"api-rate:{key_id}:{window}:{bucket}"
    cache.add(name, 0, timeout=window + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((bucket + 1) * window - now))
