"""The ingest chain, one thin task per step: fetch → identify → sanitise → store.

Each task takes a job id, claims the job for its step (a job already taken by a live worker
is left alone), runs the step from `fetch`/`services`, and hands the job to the next task.
Permanent failures fail the job at once with the reason; transient ones retry with backoff
until the job's retry budget (INGEST_RETRIES, counted on the job) is spent. A database that
cannot be reached is no failure of the job: the task retries (shadowvault.celery.Task).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from celery import Task, shared_task
from celery.signals import worker_init, worker_process_init
from django.conf import settings
from django.utils import timezone

from shadowvault.database_down import DATABASE_DOWN

from .fetch import job_fetch
from .jobs import (
    JobCancelled,
    JobFailed,
    job_advance,
    job_claim,
    job_fail,
    job_retry_wait,
    job_take_over,
    step_enqueue,
    work_dir,
    work_dir_remove,
)
from .models import IngestItem, IngestJob, WebVersionJob
from .services import job_identify, job_sanitise, job_store
from .webversion import (
    web_job_enqueue,
    web_job_fail,
    web_version_prepare,
    web_work_dir,
    web_work_dir_remove,
)

log = logging.getLogger(__name__)
State = IngestJob.State


def run_step(
    task: Task,
    job_id: int,
    *,
    states: tuple[str, ...],
    running: str,
    step: Callable,
    model=IngestJob,
    fail: Callable = job_fail,
) -> None:
    """Claim job `job_id` (a row of `model`) for `step` and run it; failures end it by
    `fail` with the reason, transient ones retry with backoff."""
    owner = task.request.id or "eager"
    job = job_claim(job_id, states=states, running=running, owner=owner, model=model)
    if job is None:
        return  # another worker has it, it moved on, or it was cancelled
    started = time.monotonic()
    try:
        step(job)
        log.info("ingest job %s: %s took %.2f s", job_id, running, time.monotonic() - started)
    except JobCancelled:
        log.info("ingest job %s was cancelled during %s", job_id, running)
    except JobFailed as failure:
        if failure.permanent:
            fail(job, failure.reason)
        elif (wait := job_retry_wait(job, failure.reason, fail=fail)) is not None:
            raise task.retry(countdown=wait) from failure
    except DATABASE_DOWN:
        raise  # not the job's fault: the task runs the step again (shadowvault.celery.Task)
    except Exception as exc:  # a bug must fail the job, not leave it stuck
        log.exception("ingest job %s: unexpected error in %s", job_id, running)
        fail(job, f"internal error in {running}: {exc!r}")


def fetch_step(task: Task, job_id: int) -> None:
    def step(job: IngestJob) -> None:
        job_fetch(job)
        job_advance(job, to=State.IDENTIFYING, next_task=identify_job_task)

    run_step(task, job_id, states=(State.QUEUED, State.FETCHING), running=State.FETCHING, step=step)


# The steps' retry budget is the job's (INGEST_RETRIES, counted by job_retry_wait), not Celery's.
@shared_task(bind=True, max_retries=None)
def fetch_job_task(self: Task, job_id: int) -> None:
    """The fetch step of an http(s) job, on the `fetch` queue."""
    fetch_step(self, job_id)


@shared_task(bind=True, max_retries=None)
def torrent_job_task(self: Task, job_id: int) -> None:
    """The fetch step of a BitTorrent job, on the `torrent` queue: a swarm that stalls for
    INGEST_STALL_SECONDS holds a slot of its own, never one an http download or the rest of
    the pipeline waits for."""
    fetch_step(self, job_id)


def fetch_task(job: IngestJob) -> Task:
    """The task (and so the queue) of the job's fetch step."""
    bittorrent = bool(job.torrent) or job.url.startswith("magnet:")
    if bittorrent or urlsplit(job.url).path.lower().endswith(".torrent"):
        return torrent_job_task
    return fetch_job_task


@shared_task(bind=True, max_retries=None)
def identify_job_task(self: Task, job_id: int) -> None:
    def step(job: IngestJob) -> None:
        problems = job_identify(job)
        if problems:
            job_advance(job, to=State.NEEDS_REVIEW, error="; ".join(problems))
        else:
            job_advance(job, to=State.SANITISING, next_task=sanitise_job_task)

    run_step(self, job_id, states=(State.IDENTIFYING,), running=State.IDENTIFYING, step=step)


@shared_task(bind=True, max_retries=None)
def sanitise_job_task(self: Task, job_id: int) -> None:
    def step(job: IngestJob) -> None:
        job_sanitise(job)
        job_advance(job, to=State.STORING, next_task=store_job_task)

    run_step(self, job_id, states=(State.SANITISING,), running=State.SANITISING, step=step)


@shared_task(bind=True, max_retries=None)
def store_job_task(self: Task, job_id: int) -> None:
    def step(job: IngestJob) -> None:
        job_store(job)
        web_jobs_start(job)  # before the job ends: a worker lost in between loses no step
        if job_advance(job, to=State.READY):
            work_dir_remove(job.id)

    run_step(self, job_id, states=(State.STORING,), running=State.STORING, step=step)


# The web-version step outlasts the ingest steps' limits: an encode runs about real time.
@shared_task(
    bind=True,
    max_retries=None,
    time_limit=settings.CELERY_TASK_MAX_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_MAX_TIME_LIMIT - 60,
)
def webversion_prepare_task(self: Task, job_id: int) -> None:
    def step(job: WebVersionJob) -> None:
        web_version_prepare(job)
        if job_advance(job, to=WebVersionJob.State.READY):
            web_work_dir_remove(job.id)

    run_step(
        self,
        job_id,
        states=(WebVersionJob.State.QUEUED, WebVersionJob.State.PREPARING),
        running=WebVersionJob.State.PREPARING,
        step=step,
        model=WebVersionJob,
        fail=web_job_fail,
    )


def web_jobs_start(job: IngestJob) -> None:
    """Hand each stored file (and its sanitised copy, so it is not read back) to the
    web-version step."""
    for item in job.items.filter(state=IngestItem.State.STORED).select_related("media_file"):
        if item.media_file is not None:
            source = work_dir(job.id) / item.sanitised_path if item.sanitised_path else None
            web_job_enqueue(media_file=item.media_file, source=source)


STEP_TASKS = {
    State.QUEUED: fetch_job_task,
    State.FETCHING: fetch_job_task,
    State.IDENTIFYING: identify_job_task,
    State.SANITISING: sanitise_job_task,
    State.STORING: store_job_task,
}


@shared_task
def jobs_recover_task() -> int:
    """Re-enqueue jobs nobody works on: a lapsed lease (a dead worker, counted as a retry of its
    step) or a lost or never-sent message (Redis was down)."""
    quiet_since = timezone.now() - timedelta(seconds=2 * settings.INGEST_LEASE_SECONDS)
    stuck = IngestJob.objects.filter(
        state__in=list(STEP_TASKS), updated_at__lt=quiet_since
    ).exclude(lease_until__gt=timezone.now())
    count = 0
    for job in stuck.only("id", "state", "url", "torrent", "lease_owner", "retries", "error"):
        if job.lease_owner and not job_take_over(job):
            continue  # its retries are spent: failed
        fetching = job.state in (State.QUEUED, State.FETCHING)
        if step_enqueue(fetch_task(job) if fetching else STEP_TASKS[job.state], job.id):
            count += 1
    web_stuck = WebVersionJob.objects.filter(
        state__in=(WebVersionJob.State.QUEUED, WebVersionJob.State.PREPARING),
        updated_at__lt=quiet_since,
    ).exclude(lease_until__gt=timezone.now())
    for job in web_stuck.only("id", "state", "lease_owner", "retries", "error", "media_file"):
        if job.lease_owner and not job_take_over(job, fail=web_job_fail):
            continue
        if step_enqueue(webversion_prepare_task, job.id):
            count += 1
    if count:
        log.warning("re-enqueued %d stuck ingest job(s)", count)
    return count


@shared_task
def work_dirs_sweep_task() -> int:
    """Remove work directories a crashed worker left behind (their job is over or gone)."""
    root = work_dir(0).parent
    if not root.is_dir():
        return 0
    removed = 0
    for model, directory, remove in (
        (IngestJob, work_dir, work_dir_remove),
        (WebVersionJob, web_work_dir, web_work_dir_remove),
    ):
        active = set(model.objects.exclude(state__in=model.FINISHED).values_list("id", flat=True))
        prefix = directory(0).name.removesuffix("0")
        for path in root.glob(f"{prefix}*"):
            job_id = path.name.removeprefix(prefix)
            if job_id.isdigit() and int(job_id) not in active:
                remove(int(job_id))
                removed += 1
    return removed


@worker_init.connect
@worker_process_init.connect
def fetchers_warm_up(**_: object) -> None:
    """Load guessit's rules and yt-dlp's URL patterns before the first job, not during it."""
    from guessit import guessit

    from .fetch import known_site

    guessit("Warm.Up.2000.1080p.mkv")
    known_site("https://example.com/warm-up")
