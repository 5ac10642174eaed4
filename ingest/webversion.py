"""The web-version step: what browsers play, made from a stored original.

`web_job_enqueue` starts (or restarts) the step for an original; `web_version_prepare` runs
it on a claimed WebVersionJob:
1. the source: the sanitised file the ingest job handed over (moved, not copied, into the
   step's work directory), or else the stored original read back through the storage
   backend (files stored before this step existed, another machine's store);
2. ffprobe and `playback_plan` decide the profile (ingest/playback.py);
3. embedded subtitles become WebVTT objects (ingest/subtitles.py);
4. unless the original plays as it is, ffmpeg writes the web version (`-progress` drives the
   job's progress bar); several audio tracks get an HLS index (ingest/fragments.py);
5. it is stored through the same backend, then either replaces the original (a lossless
   remux: no second copy) or is listed beside it as its web version.
Every part can run again: a worker killed half-way leaves a job whose lease lapses, and the
next run starts from the source again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction

from library.models import MediaFile, Subtitle
from shadowvault.storage import StorageBackend, StorageError, storage_backend

from .clients.ffmpeg import (
    MediaError,
    MediaFacts,
    media_facts,
    media_probe,
    run_with_progress,
    streams_probe,
)
from .fragments import FragmentsError, fragments_index
from .jobs import JobFailed, JobHeartbeat, step_enqueue
from .models import WebVersionJob
from .playback import PlaybackPlan, playback_plan, web_command
from .services import file_sha256
from .subtitles import embedded_subtitles_store

log = logging.getLogger(__name__)
State = WebVersionJob.State
ENCODE_SHARE = 90.0  # of the progress bar; storing takes the rest


def web_work_dir(job_id: int) -> Path:
    return Path(settings.INGEST_WORK_ROOT) / f"web-{job_id}"


def web_work_dir_remove(job_id: int) -> None:
    shutil.rmtree(web_work_dir(job_id), ignore_errors=True)


def web_job_enqueue(*, media_file: MediaFile, source: Path | None = None) -> WebVersionJob:
    """Queue the web-version step for the original `media_file` (again, if it ended).

    `source`, a local copy of the stored bytes, is moved into the step's work directory so
    the step need not read the file back from storage. A job already queued or running is
    left as it is.
    """
    from .tasks import webversion_prepare_task

    job, _ = WebVersionJob.objects.get_or_create(
        media_file=media_file, defaults={"tenant_id": media_file.title.tenant_id}
    )
    if source is not None and source.is_file():
        web_work_dir(job.id).mkdir(parents=True, exist_ok=True)
        os.replace(source, web_work_dir(job.id) / "source")
    restarted = WebVersionJob.objects.filter(id=job.id, state__in=WebVersionJob.FINISHED).update(
        state=State.QUEUED,
        error="",
        progress=0,
        retries=0,
        finished_at=None,
        lease_owner="",
        lease_until=None,
    )
    if restarted or job.state == State.QUEUED:
        transaction.on_commit(lambda: step_enqueue(webversion_prepare_task, job.id))
    job.refresh_from_db()
    return job


def web_versions_enqueue_missing(*, tenant=None, limit: int | None = None) -> int:
    """Queue the step for ready originals that never had it (stored before it existed)."""
    originals = MediaFile.objects.filter(
        state=MediaFile.State.READY, version=MediaFile.Version.ORIGINAL, web_job__isnull=True
    ).select_related("title")
    if tenant is not None:
        originals = originals.filter(title__tenant=tenant)
    count = 0
    for media_file in originals.order_by("id")[:limit]:
        web_job_enqueue(media_file=media_file)
        count += 1
    return count


def web_version_prepare(job: WebVersionJob) -> MediaFile | None:
    """Run the step for a claimed job; the web version (or the replaced original), or None
    when the original plays as it is. Raises JobFailed with the reason."""
    original = MediaFile.objects.select_related("title").get(id=job.media_file_id)
    heartbeat = JobHeartbeat(job)
    directory = web_work_dir(job.id)
    directory.mkdir(parents=True, exist_ok=True)
    backend = storage_backend()
    try:
        source = web_source(original, directory, backend, heartbeat)
        info = streams_probe(source)
        plan = playback_plan(
            info,
            container=container_of(original.mime),
            max_height=settings.INGEST_MAX_HEIGHT,
        )
        if original.hls:  # already the fragmented remux of an earlier run: nothing to redo
            plan = PlaybackPlan(profile="direct", audio=plan.audio, subtitles=plan.subtitles)
        WebVersionJob.objects.filter(id=job.id).update(profile=plan.profile)
        MediaFile.objects.filter(id=original.id).update(
            profile=plan.profile, audio_tracks=[track.describe() for track in plan.audio]
        )
        embedded_subtitles_store(
            source, plan.subtitles, media_file=original, backend=backend, directory=directory
        )
        if plan.profile == "direct":
            return None
        target, made, hls = web_version_make(
            source, plan, info, directory=directory, attempt=job.attempts, heartbeat=heartbeat
        )
        return web_version_store(original, target, plan, hls, made, backend, heartbeat)
    except MediaError as exc:
        raise JobFailed(str(exc), permanent=exc.permanent) from exc
    except FragmentsError as exc:
        raise JobFailed(f"the web version is not a fragmented MP4: {exc}") from exc
    except StorageError as exc:
        raise JobFailed(f"storage: {exc}", permanent=exc.permanent) from exc


def web_version_make(
    source: Path,
    plan: PlaybackPlan,
    info: dict,
    *,
    directory: Path,
    attempt: int,
    heartbeat: JobHeartbeat,
) -> tuple[Path, MediaFacts, dict]:
    """Run ffmpeg for `plan`: (the web version's path, what it is, its HLS index or {}).

    Raises MediaError when ffmpeg fails, or goes past every error and makes nothing (a
    damaged original), FragmentsError when its fragments cannot be indexed.
    """
    for stale in directory.glob("web-*.mp4"):  # an earlier, interrupted run's
        stale.unlink()
    target = directory / f"web-{attempt}.mp4"
    said = run_with_progress(
        web_command(
            source, target, plan, preset=settings.INGEST_WEB_PRESET, crf=settings.INGEST_WEB_CRF
        ),
        float(info.get("format", {}).get("duration") or 0) or None,
        lambda percent: heartbeat.beat(percent=percent * ENCODE_SHARE / 100),
        failure="ffmpeg could not make the web version",
    )
    # a stream copy has the source's facts: one ffprobe fewer
    copied = plan.profile == "remux"
    made = media_facts(info, name=target.name) if copied else made_probe(target)
    if made is None or bool(made.video_codec) != bool(plan.video_codec):
        raise MediaError(f"the original could not be decoded: {said[-300:] or 'no frames'}")
    return target, made, fragments_index(target) if plan.fragmented else {}


def made_probe(path: Path) -> MediaFacts | None:
    """What ffmpeg made, if it is media with a duration at all."""
    try:
        facts = media_probe(path)
    except MediaError:
        return None
    return facts if facts.duration else None


def container_of(mime: str) -> str:
    return {"video/mp4": "mp4", "audio/mp4": "mp4", "video/webm": "webm"}.get(mime, "matroska")


def web_source(
    original: MediaFile, directory: Path, backend: StorageBackend, heartbeat: JobHeartbeat
) -> Path:
    """The original's bytes in `directory`: as handed over, or read back from storage."""
    source = directory / "source"
    if source.is_file() and source.stat().st_size == original.size:
        return source
    partial = directory / "source.part"
    with open(partial, "wb") as handle:
        stored_read(
            backend,
            original.locator,
            original.size,
            handle,
            lambda done: heartbeat.beat(done=done, total=original.size),
        )
    os.replace(partial, source)
    return source


def stored_read(backend: StorageBackend, locator: dict, size: int, handle, progress) -> None:
    """Write a stored object's bytes to `handle`, a chunk at a time.

    The backend's ranged read is asynchronous; each chunk is awaited on a private event loop
    and written (and reported) outside it, where the database may be used.
    """
    chunks = backend.open_range(locator, 0, size - 1)
    loop = asyncio.new_event_loop()
    done = 0
    try:
        while True:
            try:
                chunk = loop.run_until_complete(anext(chunks))
            except StopAsyncIteration:
                break
            handle.write(chunk)
            done += len(chunk)
            progress(done)
    finally:
        loop.run_until_complete(chunks.aclose())
        loop.close()


def web_version_store(
    original: MediaFile,
    path: Path,
    plan: PlaybackPlan,
    hls: dict,
    facts: MediaFacts,
    backend: StorageBackend,
    heartbeat: JobHeartbeat,
) -> MediaFile:
    """Store the web version and list it: in place of the original, or beside it.

    `path` is handed over to the backend (moved into the store where it can be, not copied):
    a rerun makes it again.
    """
    stem = Path(original.name).stem
    name = f"{stem}.mp4" if plan.replaces_original else f"{stem}.web.mp4"
    size = path.stat().st_size
    digest = "" if backend.deduplicates else file_sha256(path, None)
    locator = backend.put(
        path,
        name=name,
        tenant_id=original.title.tenant_id,
        progress=lambda done, total: heartbeat.beat(
            percent=ENCODE_SHARE + (100 - ENCODE_SHARE) * done / max(total, 1)
        ),
        adopt=True,
    )
    with transaction.atomic():
        if plan.replaces_original:
            target = MediaFile.objects.select_for_update().get(id=original.id)
        else:
            target = original.derived.filter(version=MediaFile.Version.WEB).first() or MediaFile(
                title=original.title, version=MediaFile.Version.WEB, source=original
            )
        replaced = (target.storage, target.sha256, target.locator) if target.pk else None
        target.episode_id = original.episode_id
        target.name = name
        target.storage = backend.name
        target.locator = locator
        target.size = size
        target.mime = "video/mp4" if facts.video_codec else "audio/mp4"
        target.sha256 = locator.get("sha256") or digest
        target.duration = facts.duration
        target.width, target.height = facts.width, facts.height
        target.video_codec, target.audio_codec = facts.video_codec, facts.audio_codec
        target.audio_tracks = [track.describe() for track in plan.audio]
        target.hls = hls
        target.profile = plan.profile
        target.state = MediaFile.State.READY
        target.save()
        if replaced and replaced[2] != locator:
            transaction.on_commit(lambda: stored_object_release(*replaced, backend=backend))
    return target


def stored_object_release(storage: str, sha256: str, locator: dict, *, backend) -> None:
    """Delete a stored object nothing lists any more (identical files share one object)."""
    if not locator or storage != backend.name:
        return
    in_use = (
        MediaFile.objects.filter(storage=storage, sha256=sha256).exists()
        or Subtitle.objects.filter(storage=storage, sha256=sha256).exists()
    )
    if sha256 and in_use:
        return
    try:
        backend.delete(locator)
    except StorageError as exc:
        log.warning("could not delete a replaced stored object: %s", exc)


def web_job_fail(job: WebVersionJob, reason: str) -> None:
    """The step failed for good: say why on the job; the original stays ready."""
    from .jobs import job_end

    job_end(job, state=State.FAILED, error=reason)
    log.warning("web version job %s failed: %s", job.id, reason)
    web_work_dir_remove(job.id)
