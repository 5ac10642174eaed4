"""A separate OS process competing for pool slots (spawned by the pool tests)."""

from __future__ import annotations

import time

import redis

from shadowvault.storage.pool import PoolFull, SessionPool


def contend(
    url: str, sessions: list[str], cap: int, viewers: list[str], start_at: float, out
) -> None:
    """Admit `viewers` once the shared start time comes; report what each got and the load."""
    pool = SessionPool(redis.Redis.from_url(url), sessions, cap=cap, lease_seconds=30)
    time.sleep(max(0.0, start_at - time.time()))
    for viewer in viewers:
        try:
            session = pool.viewer_admit(viewer)
        except PoolFull:
            out.put((viewer, None, None))
            continue
        out.put((viewer, session, pool.session_load()[session]))


def hold(url: str, sessions: list[str], cap: int, viewers: list[str], ready) -> None:
    """Seat `viewers` on a short lease, say so, then wait to be killed without releasing."""
    pool = SessionPool(redis.Redis.from_url(url), sessions, cap=cap, lease_seconds=1)
    for viewer in viewers:
        pool.viewer_admit(viewer)
    ready.set()
    time.sleep(60)
