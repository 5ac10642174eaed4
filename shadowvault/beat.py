"""A database beat scheduler that only dispatches while it holds a Redis lock.

Two beats started by mistake would otherwise send every periodic task twice. Each beat tries
to take `CELERY_BEAT_LOCK_KEY` (SET NX with a TTL) on every tick; the holder renews it and
dispatches, the other idles and takes over within one TTL if the holder dies.

While Redis does not answer, no beat holds the lock (nor could it send anything, Redis being
the broker): each keeps ticking every few seconds, and the first to reach Redis again takes
the lock and dispatches what is due.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)
REDIS_RETRY_SECONDS = 2.0

# Renew only if the lock is still ours: a beat that stalled past the TTL must not extend a
# lock another beat has taken since.
RENEW_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE_IF_OWNER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class BeatLock:
    def __init__(self, client: redis.Redis, key: str, timeout_seconds: int) -> None:
        self.client = client
        self.key = key
        self.timeout_ms = timeout_seconds * 1000
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"

    def acquire_or_renew(self) -> bool:
        """True when this beat holds the lock for another full TTL."""
        if self.client.eval(RENEW_IF_OWNER, 1, self.key, self.token, self.timeout_ms):
            return True
        return bool(self.client.set(self.key, self.token, nx=True, px=self.timeout_ms))

    def release(self) -> None:
        self.client.eval(RELEASE_IF_OWNER, 1, self.key, self.token)


class LockedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs) -> None:
        self.lock = BeatLock(
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=5),
            settings.CELERY_BEAT_LOCK_KEY,
            settings.CELERY_BEAT_LOCK_TIMEOUT,
        )
        self.holding = False
        self.redis_down = False
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        try:
            holding = self.lock.acquire_or_renew()
        except redis.RedisError as exc:
            if self.holding or not self.redis_down:
                logger.warning("beat: Redis does not answer (%s); waiting for it", exc)
            self.holding, self.redis_down = False, True
            return REDIS_RETRY_SECONDS
        if self.redis_down:
            logger.info("beat: Redis answers again")
            self.redis_down = False
        if holding != self.holding:
            logger.info("beat lock %s", "acquired" if holding else "held by another beat")
            self.holding = holding
        if not holding:
            # Wake up well within the TTL to take over promptly from a beat that died.
            return settings.CELERY_BEAT_LOCK_TIMEOUT / 3
        return min(super().tick(*args, **kwargs), settings.CELERY_BEAT_LOCK_TIMEOUT / 3)

    def close(self) -> None:
        if self.holding:
            with contextlib.suppress(redis.RedisError):
                self.lock.release()
        super().close()
