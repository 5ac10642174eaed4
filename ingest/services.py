"""Ingest jobs from submission to stored, linked media files.

`job_create` checks and records what a curator submitted and starts the chain; the step
functions (`job_identify`, `job_sanitise`, `job_store`) each work on a claimed job and are
safe to run again: what an earlier, interrupted run finished is kept, not redone.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from django.db import transaction

from library.models import MediaFile, Subtitle, Tenant, Title
from shadowvault.storage import StorageError, storage_backend

from .clients.bittorrent import torrent_check
from .clients.ffmpeg import MediaError, media_probe, media_scrub, output_container
from .identify import clean_name, file_guess, match_catalog, match_target
from .jobs import JobFailed, JobHeartbeat, step_enqueue, work_dir
from .models import IngestItem, IngestJob
from .subtitles import side_subtitle_store
from .url_guard import url_check

log = logging.getLogger(__name__)


def job_check(
    *,
    tenant: Tenant,
    url: str = "",
    torrent: bytes | None = None,
    title: Title | None = None,
    season: int | None = None,
    episode: int | None = None,
) -> None:
    """Refuse a submission that cannot run: URLRefused or ValueError with the reason."""
    if bool(url) == bool(torrent):
        raise ValueError("give either a URL or a .torrent file")
    if url:
        url_check(url)
    if torrent is not None:
        torrent_check(torrent)
    if title is not None and title.tenant_id != tenant.id:
        raise ValueError("the target title belongs to another site")
    if (season is None) != (episode is None):
        raise ValueError("give both season and episode, or neither")


def job_create(
    *,
    tenant: Tenant,
    user=None,
    url: str = "",
    torrent: bytes | None = None,
    title: Title | None = None,
    season: int | None = None,
    episode: int | None = None,
) -> IngestJob:
    """Check and record a submission, and start it after commit."""
    job_check(tenant=tenant, url=url, torrent=torrent, title=title, season=season, episode=episode)
    job = IngestJob(
        tenant=tenant,
        created_by=user,
        url=url.strip(),
        torrent=torrent,
        target_title=title,
        target_season=season,
        target_episode=episode,
    )
    job_start(job)
    return job


def job_start(job: IngestJob) -> None:
    """Save a new (checked) job and hand it to the fetch queue once the row is committed."""
    from .tasks import fetch_task

    job.save()
    transaction.on_commit(lambda: step_enqueue(fetch_task(job), job.id))


def job_identify(job: IngestJob) -> list[str]:
    """Match every fetched file to the catalog; the reasons for review, if any."""
    problems = []
    for item in job.items.exclude(state__in=(IngestItem.State.STORED, IngestItem.State.SANITISED)):
        guess = file_guess(item.source_path)
        if job.target_title is not None:
            match = match_target(
                job.target_title, guess, season=job.target_season, episode=job.target_episode
            )
        else:
            match = match_catalog(job.tenant, guess)
        item.guess = guess
        if match.problem:
            item.state, item.error = IngestItem.State.NEEDS_REVIEW, match.problem
            problems.append(f"{Path(item.source_path).name}: {match.problem}")
        else:
            item.title, item.episode = match.title, match.episode
            item.state, item.error = IngestItem.State.IDENTIFIED, ""
        item.save()
    return problems


def job_sanitise(job: IngestJob) -> None:
    """Remux every identified file without its identifying metadata, under its clean name."""
    heartbeat = JobHeartbeat(job)
    items = list(
        job.items.filter(state=IngestItem.State.IDENTIFIED).select_related(
            "title", "episode__season"
        )
    )
    clean_dir = work_dir(job.id) / "clean"
    clean_dir.mkdir(parents=True, exist_ok=True)
    for index, item in enumerate(items):
        source = work_dir(job.id) / "download" / item.source_path
        try:
            facts = media_probe(source)
            extension, _ = output_container(source)
            name = clean_name(
                title=item.title, episode=item.episode, height=facts.height, extension=extension
            )
            target = clean_dir / f"{item.id}{extension}"
            media_scrub(
                source,
                target,
                facts=facts,
                progress=lambda p, i=index: heartbeat.beat(percent=(i * 100 + p) / len(items)),
            )
        except MediaError as exc:
            raise JobFailed(str(exc), permanent=exc.permanent) from exc
        item.clean_name, item.sanitised_path = name, str(target.relative_to(work_dir(job.id)))
        item.state = IngestItem.State.SANITISED
        item.save(update_fields=["clean_name", "sanitised_path", "state"])


def job_store(job: IngestJob) -> list[MediaFile]:
    """Store every sanitised file (once: identical content is reused) and link it."""
    heartbeat = JobHeartbeat(job)
    stored = []
    for item in job.items.filter(state=IngestItem.State.SANITISED).select_related(
        "title", "episode"
    ):
        stored.append(item_store(job, item, heartbeat))
    return stored


def item_store(job: IngestJob, item: IngestItem, heartbeat: JobHeartbeat) -> MediaFile:
    path = work_dir(job.id) / item.sanitised_path
    facts = media_probe(path)
    backend = storage_backend()
    locator = None
    if backend.deduplicates:
        digest = ""  # the backend hashes as it stores and keeps identical bytes once
    else:  # hash first, so bytes already stored (an earlier job, a retry) are not sent again
        digest = file_sha256(path, heartbeat)
        existing = (
            MediaFile.objects.filter(
                title__tenant=job.tenant,
                sha256=digest,
                state=MediaFile.State.READY,
                storage=backend.name,
            )
            .exclude(locator={})
            .first()
        )
        locator = existing.locator if existing is not None else None
    if locator is None:
        try:
            locator = backend.put(
                path,
                name=item.clean_name,
                tenant_id=job.tenant_id,
                progress=lambda done, total: heartbeat.beat(done=done, total=total),
            )
        except StorageError as exc:
            raise JobFailed(f"storage: {exc}", permanent=exc.permanent) from exc
        digest = digest or locator["sha256"]
    with transaction.atomic():
        # An earlier run may have stored this item and died before marking it: reuse its row.
        media_file = item.media_file or MediaFile(title=item.title)
        media_file.episode = item.episode
        media_file.name = item.clean_name
        media_file.storage = backend.name
        media_file.locator = locator
        media_file.size = path.stat().st_size
        media_file.mime = {".mp4": "video/mp4", ".webm": "video/webm"}.get(
            path.suffix, "video/x-matroska"
        )
        media_file.sha256 = digest
        media_file.duration = facts.duration
        media_file.width, media_file.height = facts.width, facts.height
        media_file.video_codec, media_file.audio_codec = facts.video_codec, facts.audio_codec
        media_file.state = MediaFile.State.READY
        media_file.save()
        subtitles_store(job, item, media_file, backend)
        item.media_file, item.state = media_file, IngestItem.State.STORED
        item.save(update_fields=["media_file", "state"])
    return media_file


def subtitles_store(job: IngestJob, item: IngestItem, media_file: MediaFile, backend) -> None:
    """The subtitle files found beside the video, as WebVTT tracks of `media_file`.

    One that ffmpeg cannot read as subtitles is left out (and logged): it must not cost the
    film.
    """
    media_file.subtitles.filter(origin=Subtitle.Origin.SIDE).delete()
    for entry in item.subtitles:
        path = work_dir(job.id) / "download" / entry["path"]
        if not path.is_file():
            continue
        try:
            side_subtitle_store(
                path, media_file=media_file, backend=backend, language=entry.get("language") or ""
            )
        except MediaError as exc:
            if not exc.permanent:
                raise JobFailed(str(exc), permanent=False) from exc
            log.warning("job %s: subtitle %s left out: %s", job.id, path.name, exc)


def file_sha256(path: Path, heartbeat: JobHeartbeat | None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
            done += len(chunk)
            if heartbeat is not None:
                heartbeat.beat(done=done, total=total)
    return digest.hexdigest()
