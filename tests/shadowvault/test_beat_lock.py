from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from shadowvault.beat import BeatLock, LockedDatabaseScheduler
from shadowvault.celery import app


def test_only_one_beat_holds_the_lock(redis_client) -> None:
    first = BeatLock(redis_client, "beat-lock", timeout_seconds=60)
    second = BeatLock(redis_client, "beat-lock", timeout_seconds=60)

    assert first.acquire_or_renew() is True
    assert second.acquire_or_renew() is False
    assert first.acquire_or_renew() is True  # renewing keeps it


def test_the_lock_passes_on_when_its_holder_stops_renewing(redis_client) -> None:
    # given a holder whose lock has expired (its process died)
    first = BeatLock(redis_client, "beat-lock", timeout_seconds=60)
    second = BeatLock(redis_client, "beat-lock", timeout_seconds=60)
    first.acquire_or_renew()
    redis_client.delete("beat-lock")  # what expiry does

    # when the other beat ticks
    assert second.acquire_or_renew() is True

    # then the old holder cannot renew or release the new holder's lock
    assert first.acquire_or_renew() is False
    first.release()
    assert redis_client.get("beat-lock") == second.token.encode()


# transactional: django-celery-beat closes "old" connections, which ends a test transaction.
@pytest.mark.django_db(transaction=True)
def test_a_second_beat_sends_nothing_twice(redis_url: str, redis_client) -> None:
    # given a periodic task that is due now
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name="due now",
        task="library.tasks.beat_probe_task",
        interval=every_minute,
        last_run_at=timezone.now() - timedelta(hours=1),
    )
    first = LockedDatabaseScheduler(app=app)
    second = LockedDatabaseScheduler(app=app)

    # when both beats tick
    first.tick()
    second.tick()

    # then one message reached the queue, from the beat holding the lock
    assert redis_client.llen("default") == 1
    assert first.holding is True
    assert second.holding is False
    first.close()
    second.close()
