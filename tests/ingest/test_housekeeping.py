"""Housekeeping: beat entries exist after migrate; stuck jobs come back; leftovers go."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ingest.jobs import work_dir
from ingest.models import IngestJob
from ingest.tasks import jobs_recover_task, work_dirs_sweep_task

pytestmark = pytest.mark.django_db


def test_the_housekeeping_is_scheduled_after_migrate() -> None:
    tasks = dict(PeriodicTask.objects.values_list("task", "interval__every"))
    assert tasks["ingest.tasks.jobs_recover_task"] == 1
    assert "ingest.tasks.work_dirs_sweep_task" in tasks


def queued_job_ids(redis_client, queue: str) -> list[int]:
    """The job ids of the task messages waiting in a queue of the real broker."""
    messages = [json.loads(raw) for raw in redis_client.lrange(queue, 0, -1)]
    return sorted(json.loads(base64.b64decode(m["body"]))[0][0] for m in messages)


def test_only_jobs_nobody_works_on_are_re_enqueued(tenant, settings, redis_client) -> None:
    settings.INGEST_LEASE_SECONDS = 10
    long_ago = timezone.now() - timedelta(minutes=5)
    stuck = IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/a", state="fetching")
    alive = IngestJob.objects.create(
        tenant=tenant,
        url="http://93.184.216.34/b",
        state="storing",
        lease_until=timezone.now() + timedelta(seconds=30),
    )
    lost = IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/c", state="queued")
    sanitising = IngestJob.objects.create(
        tenant=tenant, url="http://93.184.216.34/s", state="sanitising"
    )
    IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/d", state="ready")
    IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/e", state="queued")  # fresh
    IngestJob.objects.filter(id__in=[stuck.id, alive.id, lost.id, sanitising.id]).update(
        updated_at=long_ago
    )

    assert jobs_recover_task() == 3

    assert queued_job_ids(redis_client, "fetch") == sorted([stuck.id, lost.id])
    assert queued_job_ids(redis_client, "media") == [sanitising.id]
    assert queued_job_ids(redis_client, "upload") == []  # the live lease is left alone


def test_the_sweep_removes_work_directories_of_finished_or_missing_jobs(
    tenant, settings, tmp_path
) -> None:
    settings.INGEST_WORK_ROOT = tmp_path
    running = IngestJob.objects.create(
        tenant=tenant, url="http://93.184.216.34/a", state="fetching"
    )
    done = IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/b", state="failed")
    for job_id in (running.id, done.id, 999999):
        (work_dir(job_id) / "download").mkdir(parents=True)

    assert work_dirs_sweep_task() == 2

    assert work_dir(running.id).exists()
    assert not work_dir(done.id).exists()
    assert not work_dir(999999).exists()


def test_a_step_whose_worker_keeps_dying_fails_once_its_retries_are_spent(
    tenant, settings, redis_client
) -> None:
    settings.INGEST_LEASE_SECONDS = 10
    settings.INGEST_RETRIES = 2
    lapsed = {
        "state": "sanitising",
        "lease_owner": "a-dead-worker",
        "lease_until": timezone.now() - timedelta(minutes=4),
    }
    once = IngestJob.objects.create(tenant=tenant, url="http://93.184.216.34/a", **lapsed)
    spent = IngestJob.objects.create(
        tenant=tenant, url="http://93.184.216.34/b", retries=2, error="ffmpeg crashed", **lapsed
    )
    IngestJob.objects.update(updated_at=timezone.now() - timedelta(minutes=5))

    assert jobs_recover_task() == 1

    once.refresh_from_db()
    spent.refresh_from_db()
    assert queued_job_ids(redis_client, "media") == [once.id]
    assert once.retries == 1  # counted on the job: the next sweep will not start from zero
    assert once.lease_owner == ""
    assert spent.state == IngestJob.State.FAILED
    assert spent.error == "the sanitising step stopped 3 times (last error: ffmpeg crashed)"
