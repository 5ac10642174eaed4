"""The session pool on a real Redis, with real OS processes competing for slots."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import redis

from shadowvault.storage.pool import REDIS_DOWN_RETRY_SECONDS, PoolFull, SessionPool
from tests.processes import free_port, wait_until
from tests.shadowvault.storage import pool_contender

SESSIONS = ["bot-a", "bot-b"]


@pytest.fixture
def pool(redis_client) -> SessionPool:
    return SessionPool(redis_client, SESSIONS, cap=2, lease_seconds=30)


def test_viewers_spread_over_sessions_and_stick_to_theirs(pool) -> None:
    first = pool.viewer_admit("v1")
    second = pool.viewer_admit("v2")

    assert {first, second} == set(SESSIONS)  # least loaded first
    assert pool.viewer_admit("v1") == first  # renewing keeps the session
    assert pool.session_load() == {"bot-a": 1, "bot-b": 1}


def test_a_full_pool_answers_retry_after_instead_of_waiting(pool) -> None:
    for viewer in ("v1", "v2", "v3", "v4"):
        pool.viewer_admit(viewer)

    started = time.monotonic()
    with pytest.raises(PoolFull) as full:
        pool.viewer_admit("v5")

    assert time.monotonic() - started < 1
    assert 1 <= full.value.retry_after <= 30
    assert pool.session_load() == {"bot-a": 2, "bot-b": 2}


def test_while_redis_is_down_a_viewer_is_told_to_retry_not_failed() -> None:
    # nothing listens there: the pool cannot count seats, so no one gets one, and nothing hangs
    down = redis.Redis(port=free_port(), socket_connect_timeout=1)
    pool = SessionPool(down, SESSIONS, cap=2, lease_seconds=30)

    with pytest.raises(PoolFull) as full:
        pool.viewer_admit("v1")

    assert full.value.retry_after == REDIS_DOWN_RETRY_SECONDS


def test_a_released_slot_is_free_at_once(pool) -> None:
    for viewer in ("v1", "v2", "v3", "v4"):
        pool.viewer_admit(viewer)

    pool.viewer_release("v2")

    assert pool.viewer_admit("v5") in SESSIONS
    with pytest.raises(PoolFull):
        pool.viewer_admit("v6")


def test_a_cooling_session_takes_no_one_and_its_viewers_move_on(pool) -> None:
    on_a = next(v for v in ("v1", "v2") if pool.viewer_admit(v) == "bot-a")

    pool.session_cooldown("bot-a", seconds=20)

    assert pool.viewer_admit(on_a) == "bot-b"
    assert pool.viewer_admit("v3") == "bot-b"
    assert pool.session_load()["bot-a"] == 0
    with pytest.raises(PoolFull) as full:
        pool.viewer_admit("v4")
    assert 1 <= full.value.retry_after <= 20


def test_the_cap_holds_with_processes_competing(redis_url, redis_client) -> None:
    # given six processes each bringing three viewers, for 2 sessions x 3 slots
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 3  # after every process has started
    processes = [
        context.Process(
            target=pool_contender.contend,
            args=(redis_url, SESSIONS, 3, [f"p{p}-v{v}" for v in range(3)], start_at, results),
        )
        for p in range(6)
    ]
    for process in processes:
        process.start()

    outcomes = [results.get(timeout=60) for _ in range(18)]
    for process in processes:
        process.join(timeout=30)

    # then exactly six were seated, never more than three on a session at any moment
    seated = [(viewer, session, load) for viewer, session, load in outcomes if session]
    assert len(seated) == 6
    assert all(load <= 3 for _, _, load in seated)
    loads = SessionPool(redis_client, SESSIONS, cap=3, lease_seconds=30).session_load()
    assert loads == {"bot-a": 3, "bot-b": 3}


def test_slots_of_a_killed_process_free_themselves(redis_url, redis_client) -> None:
    # given a process holding every slot on a 1 s lease
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(
        target=pool_contender.hold, args=(redis_url, SESSIONS, 1, ["h1", "h2"], ready)
    )
    holder.start()
    assert ready.wait(timeout=30)
    pool = SessionPool(redis_client, SESSIONS, cap=1, lease_seconds=30)
    with pytest.raises(PoolFull):
        pool.viewer_admit("newcomer")

    # when it is killed without releasing anything
    holder.kill()
    holder.join()

    # then its slots lapse with their leases
    def admitted() -> bool:
        try:
            return pool.viewer_admit("newcomer") in SESSIONS
        except PoolFull:
            return False

    wait_until(admitted, timeout=10, what="the killed process's slots lapsing")


@pytest.mark.django_db
def test_the_sweep_drops_lapsed_leases_only(redis_client, settings) -> None:
    from django_celery_beat.models import PeriodicTask

    from shadowvault import storage
    from shadowvault.storage.tasks import leases_sweep_task

    bots = ["bot-1", "bot-2"]
    short = SessionPool(redis_client, bots, cap=3, lease_seconds=0.2)
    long = SessionPool(redis_client, bots, cap=3, lease_seconds=30)
    for viewer in ("gone-1", "gone-2"):
        short.viewer_admit(viewer)
    for viewer in ("here-1", "here-2"):  # live viewers keep each session's set alive
        long.viewer_admit(viewer)
    time.sleep(0.3)
    settings.STORAGE_BACKEND = "telegram"
    settings.TELEGRAM_API_ID, settings.TELEGRAM_API_HASH = 1, "h"
    settings.TELEGRAM_BOT_TOKENS, settings.TELEGRAM_SESSIONS = ["1:x", "2:x"], []
    storage.session_pool.cache_clear()
    try:
        removed = leases_sweep_task()
    finally:
        storage.session_pool.cache_clear()

    assert removed == 2
    assert sum(redis_client.zcard(f"sv:pool:session:{s}") for s in bots) == 2
    assert PeriodicTask.objects.filter(task="shadowvault.storage.tasks.leases_sweep_task").exists()
