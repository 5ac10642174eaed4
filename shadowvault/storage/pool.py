"""Viewer slots on the Telegram session pool, counted in Redis across every process.

Each session has a sorted set of the viewers it serves, scored by when their lease runs out;
a viewer is remembered on its session (stickiness) until its lease lapses. Admission runs as
one Lua script, so two processes can never both take a session's last slot, and it reads
Redis's clock, so machines with skewed clocks agree on when a lease has lapsed. A process that
dies stops renewing and its viewers' slots free themselves when their leases run out.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import redis

log = logging.getLogger(__name__)
REDIS_DOWN_RETRY_SECONDS = 5  # what a viewer is told to wait while Redis is down

# ARGV: prefix, viewer, cap, lease_ms, session ids...  ->  {1, session} or {0, retry_ms}
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix, viewer = ARGV[1], ARGV[2]
local cap, lease = tonumber(ARGV[3]), tonumber(ARGV[4])
local sticky_key = prefix .. 'viewer:' .. viewer

local function take(session)
    local viewers = prefix .. 'session:' .. session
    redis.call('ZADD', viewers, now + lease, viewer)
    redis.call('PEXPIRE', viewers, lease * 2)
    redis.call('SET', sticky_key, session, 'PX', lease)
    return {1, session}
end

local sticky = redis.call('GET', sticky_key)
if sticky then
    local viewers = prefix .. 'session:' .. sticky
    redis.call('ZREMRANGEBYSCORE', viewers, '-inf', now)
    local cooling = redis.call('EXISTS', prefix .. 'cooldown:' .. sticky) == 1
    local seated = redis.call('ZSCORE', viewers, viewer)
    if not cooling and (seated or redis.call('ZCARD', viewers) < cap) then
        return take(sticky)
    end
    redis.call('ZREM', viewers, viewer)  -- its session cools down: the viewer moves on
end

local best, best_load, retry = nil, nil, nil
for i = 5, #ARGV do
    local session = ARGV[i]
    local viewers = prefix .. 'session:' .. session
    redis.call('ZREMRANGEBYSCORE', viewers, '-inf', now)
    local cooldown = redis.call('PTTL', prefix .. 'cooldown:' .. session)
    local wait = nil
    if cooldown > 0 then
        wait = cooldown
    else
        local load = redis.call('ZCARD', viewers)
        if load < cap then
            if best == nil or load < best_load then best, best_load = session, load end
        else
            local first = redis.call('ZRANGE', viewers, 0, 0, 'WITHSCORES')
            wait = tonumber(first[2]) - now
        end
    end
    if wait and (retry == nil or wait < retry) then retry = wait end
end
if best then return take(best) end
return {0, retry or lease}
"""

RELEASE = """
local sticky_key = ARGV[1] .. 'viewer:' .. ARGV[2]
local session = redis.call('GET', sticky_key)
if session then
    redis.call('ZREM', ARGV[1] .. 'session:' .. session, ARGV[2])
    redis.call('DEL', sticky_key)
end
return session
"""


class PoolFull(Exception):
    """Every session is at its cap or cooling down; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"every storage session is busy; retry after {retry_after} s")
        self.retry_after = retry_after


class SessionPool:
    def __init__(
        self,
        client: redis.Redis,
        sessions: Sequence[str],
        *,
        cap: int,
        lease_seconds: float,
        prefix: str = "sv:pool:",
    ) -> None:
        if not sessions:
            raise ValueError("a session pool needs at least one session")
        self.client = client
        self.sessions = list(sessions)
        self.cap = cap
        self.lease_ms = int(lease_seconds * 1000)
        self.prefix = prefix
        self._admit = client.register_script(ADMIT)
        self._release = client.register_script(RELEASE)

    def viewer_admit(self, viewer: str) -> str:
        """Seat `viewer` (or renew its seat) and return its session; raises PoolFull, also
        while Redis cannot be reached (no seat can be counted: the viewer retries shortly)."""
        args = [self.prefix, viewer, self.cap, self.lease_ms, *self.sessions]
        try:
            admitted, value = self._admit(args=args)
        except (redis.RedisError, OSError) as exc:
            log.warning("viewer %s not seated: Redis does not answer (%s)", viewer, exc)
            raise PoolFull(retry_after=REDIS_DOWN_RETRY_SECONDS) from exc
        if admitted:
            return value.decode() if isinstance(value, bytes) else str(value)
        raise PoolFull(retry_after=max(1, math.ceil(int(value) / 1000)))

    def viewer_release(self, viewer: str) -> None:
        self._release(args=[self.prefix, viewer])

    def session_cooldown(self, session: str, seconds: float) -> None:
        """Take `session` out of service for `seconds` (a FloodWait); its viewers move on."""
        self.client.set(f"{self.prefix}cooldown:{session}", 1, px=max(1, int(seconds * 1000)))

    def session_load(self) -> dict[str, int]:
        """Viewers per session whose lease has not lapsed (for metrics and tests)."""
        now_seconds, micros = self.client.time()
        now_ms = now_seconds * 1000 + micros // 1000
        return {
            session: self.client.zcount(f"{self.prefix}session:{session}", f"({now_ms}", "+inf")
            for session in self.sessions
        }

    def leases_sweep(self) -> int:
        """Remove every lapsed viewer lease from every session; how many went."""
        now_seconds, micros = self.client.time()
        now_ms = now_seconds * 1000 + micros // 1000
        return sum(
            self.client.zremrangebyscore(f"{self.prefix}session:{session}", "-inf", now_ms)
            for session in self.sessions
        )
