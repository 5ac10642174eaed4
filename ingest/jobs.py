"""A job's life: claiming a step, reporting progress, moving on, failing, cancelling.

Steps claim the job with a lease (`job_claim`); while they work they renew it and report
progress (`JobHeartbeat`), which is also where they learn that a curator cancelled. A step
that ends moves the job to the next state and releases the lease (`job_advance`); the next
task is enqueued after commit. A worker that dies stops renewing: once the lease lapses, the
redelivered message, or the stuck-job sweep, gives the step to another worker.

A step that fails for a reason that may pass runs again later (`job_retry_wait`), and so does
a step whose worker died (`job_take_over`); both count on the job (`retries`), so the budget
(INGEST_RETRIES) holds across restarts and sweeps. A next step that cannot be queued (Redis is
down) is not an error: the job waits in its state and the stuck-job sweep queues it later.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import redis
from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import IngestJob, LeasedJob

log = logging.getLogger(__name__)
State = IngestJob.State
HEARTBEAT_SECONDS = 1.0


class JobCancelled(Exception):
    """The curator cancelled the job while a step was running."""


class JobFailed(Exception):
    """A step cannot succeed; `permanent` False means a retry may."""

    def __init__(self, reason: str, *, permanent: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def work_dir(job_id: int) -> Path:
    return Path(settings.INGEST_WORK_ROOT) / f"job-{job_id}"


def work_dir_remove(job_id: int) -> None:
    shutil.rmtree(work_dir(job_id), ignore_errors=True)


def step_enqueue(task: Task, job_id: int) -> bool:
    """Queue `task` for the job; False (logged) when the broker cannot be reached.

    The job keeps its state meanwhile, so beat's stuck-job sweep queues the step once the
    broker is back: a download that finished while Redis was down is kept, not failed.
    """
    try:
        task.delay(job_id)
    except (OperationalError, redis.RedisError, OSError) as exc:
        log.warning("job %s: cannot queue %s yet (%s); the sweep will", job_id, task.name, exc)
        return False
    return True


def job_claim(job_id: int, *, states: tuple[str, ...], running: str, owner: str, model=IngestJob):
    """Take the job for a step: it must be in `states`, and not leased by a live worker.

    Returns the job (an IngestJob, or a row of `model`: any leased job with the same fields),
    now in `running` and leased to `owner`, or None (another worker has it, or it moved on,
    or it was cancelled).
    """
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner)
    claimed = model.objects.filter(Q(id=job_id) & Q(state__in=states) & free).update(
        state=running,
        lease_owner=owner,
        lease_until=now + timedelta(seconds=settings.INGEST_LEASE_SECONDS),
        attempts=F("attempts") + 1,
        error="",
        updated_at=now,
    )
    if not claimed:
        return None
    model.objects.filter(id=job_id, started_at__isnull=True).update(started_at=now)
    return model.objects.get(id=job_id)


class JobHeartbeat:
    """Progress reports for a running step, at most once a second, renewing the lease.

    Raises JobCancelled from `beat` once the job was cancelled (or taken over).
    """

    def __init__(self, job: IngestJob) -> None:
        self.job = job
        self.last = 0.0

    def beat(
        self,
        *,
        done: int | None = None,
        total: int | None = None,
        speed: int = 0,
        percent: float | None = None,
        force: bool = False,
    ) -> None:
        now = time.monotonic()
        if not force and now - self.last < HEARTBEAT_SECONDS:
            return
        self.last = now
        fields: dict = {
            "lease_until": timezone.now() + timedelta(seconds=settings.INGEST_LEASE_SECONDS),
            "speed": speed,
            "updated_at": timezone.now(),
        }
        if done is not None:
            fields["bytes_done"] = done
        if total:
            fields["bytes_total"] = total
        if percent is None and done is not None and total:
            percent = min(100.0, done * 100 / total)
        if percent is not None:
            fields["progress"] = round(percent, 1)
        fields["eta"] = (
            int((total - done) / speed) if speed and total and done is not None else None
        )
        renewed = (
            type(self.job)
            .objects.filter(id=self.job.id, state=self.job.state, lease_owner=self.job.lease_owner)
            .update(**fields)
        )
        if not renewed:
            raise JobCancelled(f"job {self.job.id} was cancelled or taken over")


def job_advance(job: IngestJob, *, to: str, next_task=None, error: str = "") -> bool:
    """End the running step: move to `to`, release the lease, enqueue `next_task` on commit."""
    now = timezone.now()
    fields = {
        "error": error[:4000],
        "state": to,
        "lease_owner": "",
        "lease_until": None,
        "progress": 0,
        "speed": 0,
        "eta": None,
        "retries": 0,
        "updated_at": now,
    }
    if to in type(job).FINISHED or to == State.NEEDS_REVIEW:
        fields["finished_at"] = now if to in type(job).FINISHED else None
    if to == type(job).State.READY:  # heartbeats are throttled: the last one may have been skipped
        fields["progress"] = 100
        fields["bytes_done"] = Coalesce(F("bytes_total"), F("bytes_done"))
    with transaction.atomic():
        moved = (
            type(job)
            .objects.filter(id=job.id, state=job.state, lease_owner=job.lease_owner)
            .update(**fields)
        )
        if moved and next_task is not None:
            transaction.on_commit(lambda: step_enqueue(next_task, job.id))
    if moved:
        job.state = to
    return bool(moved)


def job_end(job: IngestJob, *, state: str, error: str = "") -> bool:
    """Move an unfinished job to a final state, releasing its lease; False if it had ended."""
    now = timezone.now()
    return bool(
        type(job)
        .objects.filter(id=job.id)
        .exclude(state__in=type(job).FINISHED)
        .update(
            state=state,
            error=error[:4000],
            lease_owner="",
            lease_until=None,
            speed=0,
            eta=None,
            finished_at=now,
            updated_at=now,
        )
    )


def job_fail(job: IngestJob, reason: str) -> None:
    """The job failed for good: record why, free its work directory."""
    job_end(job, state=State.FAILED, error=reason)
    log.warning("ingest job %s failed: %s", job.id, reason)
    work_dir_remove(job.id)


def job_retry_wait(job: LeasedJob, reason: str, *, fail: Callable = job_fail) -> int | None:
    """A transient error in the running step: the seconds to wait before running it again,
    or None when the job has had its INGEST_RETRIES and `fail` ended it with `reason`.

    The job stays leased to the step's task for the wait (a retry keeps its task id, so it
    claims the job again), and the stuck-job sweep leaves it alone until then.
    """
    if job.retries >= settings.INGEST_RETRIES:
        fail(job, f"{reason} (gave up after {job.retries + 1} tries)")
        return None
    wait = min(
        settings.INGEST_RETRY_BACKOFF_SECONDS * 2**job.retries, settings.CELERY_TASK_MAX_COUNTDOWN
    )
    now = timezone.now()
    type(job).objects.filter(id=job.id, lease_owner=job.lease_owner).update(
        retries=F("retries") + 1,
        error=f"retrying in {wait} s: {reason}"[:4000],
        lease_until=now + timedelta(seconds=wait + settings.INGEST_LEASE_SECONDS),
        speed=0,
        eta=None,
        updated_at=now,
    )
    return wait


def job_take_over(job: LeasedJob, *, fail: Callable = job_fail) -> bool:
    """The worker running the job's step stopped renewing its lease (it died, or its retry was
    lost): count that as a retry. False when the budget is spent and `fail` ended the job."""
    if job.retries >= settings.INGEST_RETRIES:
        last = f" (last error: {job.error})" if job.error else ""
        fail(job, f"the {job.state} step stopped {job.retries + 1} times{last}")
        return False
    type(job).objects.filter(id=job.id, lease_owner=job.lease_owner).update(
        retries=F("retries") + 1, lease_owner="", lease_until=None
    )
    return True


def job_cancel(job: IngestJob) -> bool:
    """Stop the job wherever it is; its download is stopped and its files removed."""
    from .clients.aria2 import Aria2, Aria2Error

    cancelled = job_end(job, state=State.CANCELLED)
    if cancelled and job.aria2_gid:
        try:
            Aria2().remove(job.aria2_gid)
        except Aria2Error as exc:
            log.warning("could not stop aria2 download %s: %s", job.aria2_gid, exc)
    if cancelled:
        work_dir_remove(job.id)
    return bool(cancelled)


def job_retry(job: IngestJob) -> bool:
    """Run a job again: a reviewed one from identification (its files are here), a failed or
    cancelled one from the start."""
    from .models import IngestItem
    from .tasks import fetch_task, identify_job_task

    now = timezone.now()
    released = {
        "error": "",
        "retries": 0,
        "progress": 0,
        "lease_owner": "",
        "lease_until": None,
        "finished_at": None,
        "updated_at": now,
    }
    with transaction.atomic():
        if job.state == State.NEEDS_REVIEW:
            moved = IngestJob.objects.filter(id=job.id, state=State.NEEDS_REVIEW).update(
                state=State.IDENTIFYING, **released
            )
            if moved:
                job.items.filter(state=IngestItem.State.NEEDS_REVIEW).update(
                    state=IngestItem.State.FETCHED, error=""
                )
                transaction.on_commit(lambda: step_enqueue(identify_job_task, job.id))
            return bool(moved)
        moved = IngestJob.objects.filter(
            id=job.id, state__in=(State.FAILED, State.CANCELLED)
        ).update(state=State.QUEUED, bytes_done=0, bytes_total=None, aria2_gid="", **released)
        if moved:
            job.items.all().delete()
            transaction.on_commit(lambda: step_enqueue(fetch_task(job), job.id))
    return bool(moved)
