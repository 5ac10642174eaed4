"""HTTP for manga sources: one rate limit per source across every worker, retries, the guard.

- A Redis token bucket per source (`requests_per_minute`), shared by all processes: MangaDex
  publishes 40 requests a minute for its image-server endpoint, and a site that bans us is
  worse than a slow refresh.
- A 429 (or 503) with Retry-After pauses the whole source for that long, for every worker,
  and the request is tried again; network errors and 5xx retry with backoff.
- Every request goes through the ingest guard proxy, so no source (or a redirect it sends,
  or an image URL a page names) can reach an inner address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
import requests

log = logging.getLogger(__name__)
USER_AGENT = "ShadowVault-ReadVault/1.0 (+self-hosted manga reader; respects rate limits)"
MAX_TRIES = 5
MAX_PAUSE_SECONDS = 120

# KEYS: bucket, pause. ARGV: capacity, refill per ms. -> ms to wait (0: token taken)
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], 120000)
return wait
"""


class SourceError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class RateLimit:
    """A token bucket in Redis: `per_minute` requests a minute, bursts of up to that many."""

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        per_minute: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.keys = [f"sv:rate:{key}", f"sv:rate:{key}:pause"]
        self.capacity = max(1, per_minute)
        self.rate_per_ms = max(1, per_minute) / 60_000
        self.sleep = sleep
        self._take = client.register_script(TAKE)

    def take(self) -> float:
        """Wait for a token; return the seconds waited. SourceError (not permanent) while
        Redis, which keeps the bucket, is down: no request goes out unlimited."""
        waited = 0.0
        while (wait_ms := self._wait_ms()) > 0:
            self.sleep(wait_ms / 1000)
            waited += wait_ms / 1000
        return waited

    def _wait_ms(self) -> int:
        try:
            return int(self._take(keys=self.keys, args=[self.capacity, self.rate_per_ms]))
        except redis.RedisError as exc:
            raise SourceError(
                "the sources' rate limit cannot be kept while Redis is down", permanent=False
            ) from exc

    def pause(self, seconds: float) -> None:
        """Hold every worker's requests to this source for `seconds` (a 429's Retry-After)."""
        self.client.set(self.keys[1], 1, px=max(1, int(seconds * 1000)))


class SourceHTTP:
    def __init__(
        self,
        *,
        name: str,
        limit: RateLimit,
        proxy: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.limit = limit
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.proxies = {"http": proxy, "https": proxy}

    def get(self, url: str, *, params: dict | None = None) -> requests.Response:
        """GET within the source's rate limit; raises SourceError saying what went wrong."""
        for attempt in range(MAX_TRIES):
            self.limit.take()
            try:
                response = self.session.get(url, params=params, timeout=(5, 30))
            except requests.RequestException as exc:
                problem = f"{self.name}: cannot reach {url}: {exc}"
                self.sleep(min(30, 2**attempt))
                continue
            if response.status_code == 403 and "URL guard" in response.text[:300]:
                raise SourceError(f"{self.name}: {response.text.strip()}", permanent=True)
            if response.status_code in (429, 503):
                pause = retry_after(response, default=2**attempt)
                log.warning(
                    "%s asked us to slow down (%s); pausing %.0f s",
                    self.name,
                    response.status_code,
                    pause,
                )
                self.limit.pause(pause)
                problem = f"{self.name}: {url} answered {response.status_code}"
                continue
            if response.status_code >= 500:
                problem = f"{self.name}: {url} answered {response.status_code}"
                self.sleep(min(30, 2**attempt))
                continue
            if response.status_code >= 400:
                raise SourceError(
                    f"{self.name}: {url} answered {response.status_code}", permanent=True
                )
            return response
        raise SourceError(f"{problem} ({MAX_TRIES} tries)", permanent=False)


def retry_after(response: requests.Response, *, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    digits = value.replace(".", "", 1)
    seconds = float(value) if digits.isascii() and digits.isdigit() else default
    return min(MAX_PAUSE_SECONDS, max(0.5, seconds))
