"""A worker killed with SIGKILL mid-download: the job is picked up again and ends ready once."""

from __future__ import annotations

import signal
import time

import pytest

from ingest.models import IngestJob
from ingest.services import job_create
from ingest.tasks import jobs_recover_task
from library.models import MediaFile
from tests import processes
from tests.factories import TitleFactory
from tests.ingest.conftest import job_wait, make_clip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_killed_worker_loses_nothing(
    ingest_env, ingest_settings, media_server, media_root, tenant
) -> None:
    clip = media_root / "Night.of.the.Living.Dead.1968.long.mp4"
    if not clip.exists():
        make_clip(clip, seconds=30, size="640x480")
    media_server.throttle = clip.stat().st_size / 6  # about six seconds to download
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    try:
        with processes.celery_worker(
            env=ingest_env, queues="default,fetch,media,upload", name="doomed"
        ) as doomed:
            job = job_create(tenant=tenant, url=f"{media_server.base_url}/{clip.name}", title=title)
            processes.wait_until(
                lambda: IngestJob.objects.get(id=job.id).bytes_done > 0,
                timeout=30,
                what="the download starting",
            )
            doomed.send_signal(signal.SIGKILL)  # no goodbye: the message stays unacknowledged
            doomed.wait()
        job.refresh_from_db()
        assert job.state == IngestJob.State.FETCHING  # left mid-step, its lease running out

        with processes.celery_worker(
            env=ingest_env, queues="default,fetch,media,upload", name="rescuer"
        ):
            time.sleep(2 * 3 + 1)  # two leases (INGEST_LEASE_SECONDS=3) without a heartbeat
            assert jobs_recover_task() == 1  # what beat runs every minute
            job = job_wait(job)
    finally:
        media_server.throttle = None

    assert job.state == IngestJob.State.READY, job.error
    assert MediaFile.objects.filter(title=title).count() == 1
    assert job.attempts == 5  # steps started: fetch twice, identify, sanitise, store once each


def test_a_redis_restart_during_a_download_loses_nothing(
    ingest_worker,
    ingest_settings,
    redis_url,
    redis_client,
    media_server,
    media_root,
    tenant,
    request,
) -> None:
    from contextlib import ExitStack
    from urllib.parse import urlparse

    clip = media_root / "Night.of.the.Living.Dead.1968.long.mp4"
    if not clip.exists():
        make_clip(clip, seconds=30, size="640x480")
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    media_server.throttle = clip.stat().st_size / 5
    try:
        job = job_create(tenant=tenant, url=f"{media_server.base_url}/{clip.name}", title=title)
        processes.wait_until(
            lambda: IngestJob.objects.get(id=job.id).bytes_done > 0,
            timeout=30,
            what="the download starting",
        )

        redis_client.shutdown(nosave=True)  # Redis goes away mid-download, its data with it
        replacement = ExitStack()  # ...and comes back empty, on the same port, for the session
        replacement.enter_context(processes.redis_server(urlparse(redis_url).port))
        request.config.add_cleanup(replacement.close)
        job = job_wait(job, timeout=90)
    finally:
        media_server.throttle = None

    assert job.state == IngestJob.State.READY, job.error
    assert MediaFile.objects.filter(title=title).count() == 1
