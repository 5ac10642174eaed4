"""Django's Redis cache, failing open: while Redis is down, the cache is empty, not an error.

What the cache holds here can be lost at any time (API throttling histories, lookups kept for
speed), so a Redis restart must not turn every request into a 500. While Redis does not
answer, reads miss and writes are dropped (a throttle then lets requests through), one
warning is logged per outage, and Redis is left alone for `RETRY_SECONDS` so requests do not
each wait for a connection that is not coming.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis import RedisError

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, method: str, fallback: Any, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return fallback
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except RedisError as exc:
            if self._down_until == 0.0:
                log.warning("cache: Redis does not answer (%s); going on without a cache", exc)
            self._down_until = time.monotonic() + RETRY_SECONDS
            return fallback
        if self._down_until:
            log.warning("cache: Redis answers again")
            self._down_until = 0.0
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._call("incr", missing, key, delta, version)
        if result is missing:  # what Django's caches say of a key they do not hold
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
