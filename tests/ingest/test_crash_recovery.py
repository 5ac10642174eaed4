"""A worker killed with SIGKILL mid-step: the job is picked up again and ends ready once, and
what the killed step was writing does not stay behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.db import transaction

from ingest.models import IngestJob
from ingest.services import job_create
from ingest.tasks import jobs_recover_task
from library.models import MediaFile
from shadowvault.storage import storage_backend
from shadowvault.storage.tasks import leftovers_sweep_task
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


def children(pid: int) -> list[int]:
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(child) for child in listed.split()]
    except FileNotFoundError:
        return []


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except FileNotFoundError:
        return []


def store_probe(worker_pid: int) -> int | None:
    """The ffprobe the worker runs on a sanitised file just before storing it, if running."""
    for pid in children(worker_pid):
        command = command_line(pid)
        if command and command[0] == "ffprobe" and any("/clean/" in arg for arg in command):
            return pid
    return None


def test_a_worker_killed_during_a_store_leaves_no_temporary_file(
    ingest_env, ingest_settings, media_server, tenant, settings
) -> None:
    incoming = Path(ingest_env["VAULT_ROOT"]) / "incoming"
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    with processes.celery_worker(
        env=ingest_env, queues="default,fetch,media,upload", name="doomed"
    ) as doomed:
        job = job_create(
            tenant=tenant,
            url=f"{media_server.base_url}/Night.of.the.Living.Dead.1968.mp4",
            title=title,
        )
        # Catch the store at its probe (the worker waits on it, holding no database lock),
        # hold the job's row (PostgreSQL) or the database (SQLite) so that the store's first
        # progress report waits with its temporary file half-way, then kill the worker there.
        probe = None

        def store_probing() -> bool:
            nonlocal probe
            probe = store_probe(doomed.pid)
            assert IngestJob.objects.get(id=job.id).state != IngestJob.State.READY, "missed"
            return probe is not None

        processes.wait_until(store_probing, timeout=60, what="the store probing its file")
        os.kill(probe, signal.SIGSTOP)
        with transaction.atomic():
            IngestJob.objects.select_for_update().get(id=job.id)
            os.kill(probe, signal.SIGCONT)
            processes.wait_until(
                lambda: any(incoming.glob("put-*")), timeout=20, what="the temporary file"
            )
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
    assert IngestJob.objects.get(id=job.id).state == IngestJob.State.STORING
    [leftover] = incoming.glob("put-*")

    with processes.celery_worker(
        env=ingest_env, queues="default,fetch,media,upload", name="rescuer"
    ):
        # what beat runs every minute, once the job has been quiet for two leases (3 s each)
        processes.wait_until(lambda: jobs_recover_task() == 1, timeout=20, what="a takeover")
        job = job_wait(job)
    assert job.state == IngestJob.State.READY, job.error
    assert MediaFile.objects.filter(title=title).count() == 1

    storage_backend.cache_clear()  # built for this test's VAULT_ROOT
    try:
        settings.STORAGE_LEFTOVER_SECONDS = 3600
        assert leftovers_sweep_task() == 0  # written a moment ago: it could be a running store
        assert leftover.exists()
        an_hour_and_more_ago = time.time() - 3601
        os.utime(leftover, (an_hour_and_more_ago, an_hour_and_more_ago))
        assert leftovers_sweep_task() == 1
    finally:
        storage_backend.cache_clear()
    assert not any(incoming.glob("put-*"))
    assert any((Path(ingest_env["VAULT_ROOT"]) / "objects").rglob("*"))  # stored files stay
