"""Redis restarts under the running stack: no 500, no process stops, no work is lost.

One outage for the API, beat and a worker holding a task, to keep the suite quick: a download
runs on a prefork worker (as `make run` and production run them) when Redis goes away for a
few seconds and comes back empty; the download ends while Redis is down, so its next step
cannot be queued then.
"""

from __future__ import annotations

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ingest.models import IngestJob
from ingest.services import job_create
from library.models import MediaFile
from tests import processes
from tests.factories import TitleFactory
from tests.ingest.conftest import job_wait

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
State = IngestJob.State


def test_a_redis_restart_loses_nothing_and_stops_nothing(
    ingest_env,
    ingest_settings,
    settings,
    redis_url,
    redis_restart,
    redis_client,
    media_server,
    media_root,
    tenant,
    curator,
    viewer,
    api_as,
) -> None:
    # given the API throttling in Redis, as in production
    settings.CACHES = {
        "default": {
            "BACKEND": "shadowvault.cache.FailOpenRedisCache",
            "LOCATION": redis_url.rsplit("/", 1)[0] + "/1",
        }
    }
    # and beat with two entries due every second: a refresh nobody consumes here (its queue
    # shows beat sending), and the stuck-job sweep
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    for task in ("readvault.tasks.followed_refresh_task", "ingest.tasks.jobs_recover_task"):
        PeriodicTask.objects.create(name=task, task=task, interval=every_second)
    clip = media_root / "Night.of.the.Living.Dead.1968.mp4"
    film = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    other = TitleFactory(tenant=tenant, title="Carnival of Souls", year=1962)
    answers = []

    def call_the_api() -> None:
        answers.append(api_as(viewer).get("/api/titles/").status_code)
        url = f"{media_server.base_url}/{clip.name}"
        created = api_as(curator).post(
            "/api/ingest/jobs/", {"url": url, "title": other.slug}, format="json"
        )
        answers.append(created.status_code)

    media_server.throttle = clip.stat().st_size / 2  # about two seconds to download it
    try:
        with (
            processes.celery_beat(env=ingest_env) as beat,
            processes.celery_worker(
                env=ingest_env, queues="default,fetch,media,upload", name="steady", pool="prefork"
            ) as worker,
        ):
            processes.wait_until(
                lambda: redis_client.llen("readvault") > 0, timeout=30, what="beat sending"
            )
            job = job_create(tenant=tenant, url=f"{media_server.base_url}/{clip.name}", title=film)
            processes.wait_until(
                lambda: IngestJob.objects.get(id=job.id).bytes_done > 0,
                timeout=30,
                what="the download starting",
            )

            # when Redis is down for three seconds, while the download ends
            redis_restart(down=3, during=call_the_api)

            # then beat sends again (Redis came back empty), and both jobs end ready: the one
            # whose next step could not be queued, and the one created while Redis was down
            processes.wait_until(
                lambda: redis_client.llen("readvault") > 0, timeout=30, what="beat sending again"
            )
            job = job_wait(job, timeout=90)
            created = job_wait(IngestJob.objects.get(target_title=other), timeout=60)
            assert worker.poll() is None, "the worker stopped"
            assert beat.poll() is None, "beat stopped"
            assert "Unrecoverable" not in worker.logfile.read_text()
    finally:
        media_server.throttle = None

    assert answers == [200, 201]  # no 500 while Redis was down
    assert job.state == State.READY, job.error
    assert created.state == State.READY, created.error
    assert MediaFile.objects.filter(title=film).count() == 1
    assert MediaFile.objects.filter(title=other).count() == 1
