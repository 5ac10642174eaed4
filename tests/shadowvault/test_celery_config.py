from __future__ import annotations

import pytest
from django.conf import settings

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
        ("ingest.tasks.sanitise_job_task", "media"),
        ("ingest.tasks.store_job_task", "upload"),
        ("readvault.tasks.series_refresh_task", "readvault"),
        ("library.tasks.title_refresh_task", "default"),
    ],
)
def test_it_routes_tasks_by_module(task_name: str, queue: str) -> None:
    assert route_task(task_name, (), {}, {}) == {"queue": queue}


def test_each_queue_has_its_own_routing_key() -> None:
    queues = {queue.name: queue for queue in app.conf.task_queues}

    assert set(queues) == {"default", "fetch", "media", "upload", "readvault"}
    assert all(queue.routing_key == name for name, queue in queues.items())


def test_beat_uses_the_locked_database_scheduler() -> None:
    assert app.conf.beat_scheduler == "shadowvault.beat:LockedDatabaseScheduler"
