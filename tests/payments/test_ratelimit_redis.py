"""The per-key counter against a real Redis (REDIS_URL): one INCR per request on a client
made once, and the window's expiry set by the request that creates the counter."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import caches

from payments.ratelimit import _incr, rate_limit_exceeded

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a Redis server (REDIS_URL)"
)


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "inecopay.lib.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    return caches["default"]


def test_the_counter_counts_and_expires_with_its_window(redis_cache):
    name = "api-rate:test"
    assert [_incr(name, 61) for _n in range(3)] == [1, 2, 3]
    key = redis_cache.make_and_validate_key(name)
    client = redis_cache._cache.get_client(key)
    assert 0 < client.ttl(key) <= 61
    redis_cache.delete(name)


def test_the_budget_refuses_the_request_past_it(redis_cache, settings):
    settings.API_RATE_LIMIT = (2, 60)
    key_id = 10**9 + 7  # no real key: only the counter's name
    assert rate_limit_exceeded(key_id=key_id) is None
    assert rate_limit_exceeded(key_id=key_id) is None
    wait = rate_limit_exceeded(key_id=key_id)
    assert wait is not None and 1 <= wait <= 60
