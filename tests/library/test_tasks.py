"""Catalog tasks on a real Celery worker process, against a private Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.result import AsyncResult
from django.db import connection

from library.models import Title
from library.services import title_refresh_enqueue
from library.tasks import retry_countdown, title_refresh_task
from shadowvault.celery import app
from tests import processes, tmdb_fixture

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, redis_url, tmdb_server) -> Iterator[None]:
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]  # the test database, once it exists
    env = {
        "REDIS_URL": redis_url,
        "TEST_DATABASE_NAME": str(database_name),
        "TMDB_API_BASE_URL": tmdb_server.base_url,
        "TMDB_API_KEY": tmdb_fixture.API_KEY,
        "TMDB_MAX_RETRIES": "0",
    }
    with processes.celery_worker(env=env, queues="default", name="catalog"):
        yield


@pytest.fixture
def stale_title(transactional_db, tenant) -> Title:
    return Title.objects.create(
        tenant=tenant, kind="movie", tmdb_id=10331, title="Night of the Living Dead (typo)"
    )


def test_a_refresh_runs_on_the_worker_and_updates_the_title(
    worker, redis_url, tmdb_settings, stale_title, django_capture_on_commit_callbacks
) -> None:
    # when a refresh is enqueued on commit
    with django_capture_on_commit_callbacks(execute=True):
        assert title_refresh_enqueue(titles=[stale_title]) == 1

    # then the worker re-imports it from TMDB
    def refreshed() -> bool:
        stale_title.refresh_from_db()
        return stale_title.title == "Night of the Living Dead"

    processes.wait_until(refreshed, timeout=30, what="the worker refreshing the title")
    assert stale_title.runtime == 96


def test_a_permanent_tmdb_error_fails_the_task_without_retrying(
    worker, redis_url, tmdb_settings, transactional_db, tenant
) -> None:
    missing = Title.objects.create(tenant=tenant, kind="movie", tmdb_id=404404, title="Gone")

    result: AsyncResult = title_refresh_task.delay(missing.id)

    processes.wait_until(lambda: result.ready(), timeout=30, what="the task finishing")
    assert result.state == "FAILURE"
    assert "TMDB has no movie 404404" in str(result.result)
    assert tmdb_settings.count("/3/movie/404404") == 1
    result.forget()


def test_retries_back_off_and_stay_under_the_visibility_timeout(settings) -> None:
    countdowns = [retry_countdown(n) for n in range(12)]

    assert countdowns[:3] == [30, 60, 120]
    assert max(countdowns) == settings.CELERY_TASK_MAX_COUNTDOWN
    assert max(countdowns) < app.conf.broker_transport_options["visibility_timeout"]
