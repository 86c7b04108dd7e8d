"""The Redis cache, kept out of the way when Redis is down.

The cache holds only what can be lost: rate-limit counters, the session-activity marks,
the scheduler's heartbeat. With Redis unreachable every read misses and every write is
dropped (with one warning a minute in the log), so pages that do not need the broker keep
answering; the budgets counted in Redis are not enforced until it returns (fail open).
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
_WARN_EVERY = 60.0
_last_warning = [0.0]


def warn_outage(exc: BaseException) -> None:
    now = time.monotonic()
    if now - _last_warning[0] >= _WARN_EVERY:
        _last_warning[0] = now
        logger.warning("Redis is unreachable (%s): the cache is bypassed", exc)


def _tolerant(name: str, fallback):
    method = getattr(RedisCache, name)

    def wrapped(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except OUTAGE as exc:
            warn_outage(exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    wrapped.__name__ = name
    wrapped.__doc__ = method.__doc__
    return wrapped


def _default(key, default=None, *args, **kwargs):
    return default


def _one(key, delta=1, *args, **kwargs):
    # A counter that cannot be read starts again: the first request of a window.
    return delta


class ResilientRedisCache(RedisCache):
    get = _tolerant("get", _default)
    get_many = _tolerant("get_many", {})
    has_key = _tolerant("has_key", False)
    add = _tolerant("add", False)
    set = _tolerant("set", None)
    set_many = _tolerant("set_many", [])
    touch = _tolerant("touch", False)
    delete = _tolerant("delete", False)
    delete_many = _tolerant("delete_many", None)
    incr = _tolerant("incr", _one)
    clear = _tolerant("clear", False)
