from __future__ import annotations

import pytest
from django.conf import settings

from ingest.models import IngestJob
from ingest.tasks import fetch_task
from shadowvault.celery import app, route_task


def test_the_visibility_timeout_outlasts_every_task_and_countdown() -> None:
    visibility = app.conf.broker_transport_options["visibility_timeout"]

    assert visibility > app.conf.task_time_limit
    assert visibility > app.conf.task_soft_time_limit
    assert visibility > settings.CELERY_TASK_MAX_TIME_LIMIT
    assert visibility > settings.CELERY_TASK_MAX_COUNTDOWN


def test_tasks_are_acked_late_and_requeued_when_their_worker_dies() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("ingest.tasks.fetch_job_task", "fetch"),
        ("ingest.tasks.torrent_job_task", "torrent"),
        ("ingest.tasks.sanitise_job_task", "media"),
        ("ingest.tasks.store_job_task", "upload"),
        ("readvault.tasks.series_refresh_task", "readvault"),
        ("library.tasks.title_refresh_task", "default"),
    ],
)
def test_it_routes_tasks_by_module(task_name: str, queue: str) -> None:
    assert route_task(task_name, (), {}, {}) == {"queue": queue}


@pytest.mark.parametrize(
    ("source", "task"),
    [
        ({"url": "https://93.184.216.34/Film.mkv"}, "fetch_job_task"),
        ({"url": "https://93.184.216.34/watch?v=1"}, "fetch_job_task"),
        ({"url": "https://93.184.216.34/Film.TORRENT?x=1"}, "torrent_job_task"),
        ({"url": f"magnet:?xt=urn:btih:{'0123456789abcdef' * 2}01234567"}, "torrent_job_task"),
        ({"torrent": b"d4:infod4:name1:xee"}, "torrent_job_task"),
    ],
)
def test_bittorrent_fetches_take_the_torrent_queue(source: dict, task: str) -> None:
    # a stalled swarm then holds a torrent slot, never one of the pipeline's
    assert fetch_task(IngestJob(**source)).name == f"ingest.tasks.{task}"


def test_each_queue_has_its_own_routing_key() -> None:
    queues = {queue.name: queue for queue in app.conf.task_queues}

    assert set(queues) == {"default", "fetch", "torrent", "media", "upload", "readvault"}
    assert all(queue.routing_key == name for name, queue in queues.items())


def test_beat_uses_the_locked_database_scheduler() -> None:
    assert app.conf.beat_scheduler == "shadowvault.beat:LockedDatabaseScheduler"


def test_every_project_task_retries_while_the_database_is_down() -> None:
    from shadowvault.database_down import DATABASE_DOWN

    ours = [task for name, task in app.tasks.items() if not name.startswith("celery.")]

    assert len(ours) > 10
    for task in ours:
        assert task.autoretry_for == DATABASE_DOWN, task.name
        assert task.retry_kwargs["max_retries"] > 0, task.name
