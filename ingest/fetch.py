"""The fetch step: bring a job's URL (or .torrent) into its work directory.

The fetcher is chosen from the URL and, for http(s), from what the server says it is: a video
page goes to yt-dlp, a .torrent and a magnet to BitTorrent (libtorrent, behind its address
filter), every other file to aria2. Every connection aria2 and yt-dlp make goes through a guard
proxy started for the job.
"""

from __future__ import annotations

import functools
import logging
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yt_dlp
from django.conf import settings

from .clients.aria2 import Aria2, Aria2Error
from .clients.bittorrent import MAX_TORRENT_BYTES, TorrentDownload, torrent_check
from .clients.ytdlp import YtdlpError, YtdlpSizeCapError, ytdlp_fetch
from .guard_proxy import GuardProxy
from .jobs import JobFailed, JobHeartbeat, work_dir
from .models import IngestItem, IngestJob
from .url_guard import URLRefused

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = {
    ".mkv",
    ".mp4",
    ".m4v",
    ".avi",
    ".mov",
    ".webm",
    ".ts",
    ".m2ts",
    ".wmv",
    ".flv",
    ".mpg",
    ".mpeg",
}
SUBTITLE_SUFFIXES = {".srt", ".ass", ".ssa", ".vtt", ".sub"}
PAGE_TYPES = ("text/html", "application/xhtml+xml")
TORRENT_TYPE = "application/x-bittorrent"
TORRENT_POLL_SECONDS = 1.0


def job_fetch(job: IngestJob) -> list[IngestItem]:
    """Download the job's source; one IngestItem per video file found. Raises JobFailed."""
    download_dir = work_dir(job.id) / "download"
    download_dir.mkdir(parents=True, exist_ok=True)
    heartbeat = JobHeartbeat(job)
    if job.torrent or job.url.startswith("magnet:"):
        torrent = bytes(job.torrent) if job.torrent else None
        fetch_with_bittorrent(job, download_dir, heartbeat, torrent=torrent)
        return items_from(job, download_dir)
    with GuardProxy() as proxy:
        try:
            kind, torrent = url_probe(job.url, proxy.url)
            if kind == "page":
                fetch_with_ytdlp(job, download_dir, proxy, heartbeat)
            elif kind == "file":
                fetch_with_aria2(job, download_dir, proxy, heartbeat)
        except (Aria2Error, YtdlpError) as exc:
            refused = proxy.refusals[0] if proxy.refusals else ""
            if refused:
                raise JobFailed(f"refused by the URL guard: {refused}") from exc
            raise JobFailed(str(exc), permanent=exc.permanent) from exc
        if proxy.refusals:
            raise JobFailed(f"refused by the URL guard: {proxy.refusals[0]}")
    if kind == "torrent":
        try:
            torrent_check(torrent)
        except (URLRefused, ValueError) as exc:
            raise JobFailed(f"{job.url}: {exc}") from exc
        fetch_with_bittorrent(job, download_dir, heartbeat, torrent=torrent)
    return items_from(job, download_dir)


@functools.cache
def site_extractors() -> tuple:
    return tuple(e for e in yt_dlp.extractor.gen_extractor_classes() if e.ie_key() != "Generic")


def known_site(url: str) -> bool:
    """Whether one of yt-dlp's site extractors (not the generic one) takes this URL."""
    return any(extractor.suitable(url) for extractor in site_extractors())


def url_probe(url: str, proxy: str) -> tuple[str, bytes]:
    """What `url` serves: ("page", b"") for yt-dlp, ("torrent", the .torrent's bytes), or
    ("file", b"") for aria2. Raises JobFailed for an error answer or a file over the cap."""
    if known_site(url):
        return "page", b""
    try:
        with requests.get(
            url, stream=True, timeout=30, proxies={"http": proxy, "https": proxy}
        ) as response:
            if response.status_code == 403 and "URL guard" in response.text[:500]:
                raise JobFailed(
                    f"refused by the URL guard: {response.text.split(': ', 1)[-1].strip()}"
                )
            if response.status_code >= 400:
                transient = response.status_code in (408, 425, 429) or response.status_code >= 500
                raise JobFailed(
                    f"{url} answered HTTP {response.status_code} {response.reason}",
                    permanent=not transient,
                )
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            length = int(response.headers.get("Content-Length") or 0)
            if content_type == TORRENT_TYPE or urlsplit(response.url).path.endswith(".torrent"):
                return "torrent", torrent_read(response)
    except requests.RequestException as exc:
        raise JobFailed(f"cannot reach {url}: {exc}", permanent=False) from exc
    if length > settings.INGEST_MAX_BYTES:
        raise JobFailed(
            f"the file is {length} bytes, over INGEST_MAX_BYTES ({settings.INGEST_MAX_BYTES})"
        )
    return ("page" if content_type in PAGE_TYPES else "file"), b""


def torrent_read(response: requests.Response) -> bytes:
    data = b""
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) > MAX_TORRENT_BYTES:
            raise JobFailed(f"{response.url} is a .torrent over {MAX_TORRENT_BYTES} bytes")
    return data


def fetch_with_aria2(
    job: IngestJob, directory: Path, proxy: GuardProxy, heartbeat: JobHeartbeat
) -> None:
    aria2 = Aria2()
    gid = job.aria2_gid
    status = aria2.status(gid) if gid else None
    if status is not None and status.state in ("active", "waiting", "paused", "complete"):
        # A retry after a worker died: the download went on in aria2c; its proxy did not.
        aria2.api.client.change_option(gid, {"all-proxy": proxy.url})
    else:
        if status is not None:
            aria2.remove(gid)  # failed while nobody watched: start again, resuming the bytes
        gid = aria2.add(directory=directory, proxy=proxy.url, url=job.url)
    IngestJob.objects.filter(id=job.id).update(aria2_gid=gid)
    watch_aria2(job, aria2, gid, proxy, heartbeat, directory)


def watch_aria2(
    job: IngestJob,
    aria2: Aria2,
    gid: str,
    proxy: GuardProxy,
    heartbeat: JobHeartbeat,
    directory: Path,
) -> None:
    """Follow the download until it is complete; JobFailed when it fails, stalls or is too big.

    The size cap holds on what is on disk, not on what the server announced.
    """
    stall = settings.INGEST_STALL_SECONDS
    last_done, last_move = -1, time.monotonic()
    while True:
        status = aria2.status(gid)
        if status is None:
            raise JobFailed(
                "aria2c lost the download (was it restarted without its session?)", permanent=False
            )
        on_disk = max(status.completed, bytes_on_disk(directory))
        if on_disk > settings.INGEST_MAX_BYTES:  # even complete: a fast server beats a poll
            aria2.remove(gid)
            raise download_over_cap(directory, on_disk)
        if status.state == "complete":
            heartbeat.beat(done=status.completed, total=status.total, force=True)
            return
        if status.state in ("error", "removed"):
            aria2.remove(gid)
            if proxy.refusals:
                raise JobFailed(f"refused by the URL guard: {proxy.refusals[0]}")
            raise JobFailed(f"the download failed: {status.error or status.state}")
        if status.total > settings.INGEST_MAX_BYTES:
            aria2.remove(gid)
            cap = settings.INGEST_MAX_BYTES
            raise JobFailed(f"the download is {status.total} bytes, over INGEST_MAX_BYTES ({cap})")
        if status.completed != last_done:
            last_done, last_move = status.completed, time.monotonic()
        elif time.monotonic() - last_move > stall:
            aria2.remove(gid)
            raise JobFailed(f"stalled: the download made no progress in {stall} s")
        heartbeat.beat(done=status.completed, total=status.total or None, speed=status.speed)
        time.sleep(0.2)


def fetch_with_bittorrent(
    job: IngestJob, directory: Path, heartbeat: JobHeartbeat, *, torrent: bytes | None
) -> None:
    """Download the torrent's video and subtitle files. Raises JobFailed.

    A magnet's metadata is kept beside the download, so a retry (another worker, after this
    one died) starts from the files and does not wait for the metadata again; libtorrent
    checks what is already on disk and fetches the rest.
    """
    metadata = directory.parent / "metadata.torrent"
    if torrent is None and metadata.is_file():
        torrent = metadata.read_bytes()
    stall, cap = settings.INGEST_STALL_SECONDS, settings.INGEST_MAX_BYTES
    magnet = job.url if job.url.startswith("magnet:") else ""
    with TorrentDownload(directory=directory, torrent=torrent, magnet=magnet) as download:
        last_received, last_move = -1, time.monotonic()
        while True:
            status = download.status()
            if status.error:
                raise JobFailed(f"BitTorrent: {status.error}", permanent=False)
            if status.has_metadata and not download.selected:
                torrent_select(download, metadata)
                continue
            if status.finished:
                heartbeat.beat(done=status.done, total=status.wanted, force=True)
                break
            if status.done > cap:
                raise download_over_cap(directory, status.done)
            if status.received != last_received:  # a big piece takes a while to be checked
                last_received, last_move = status.received, time.monotonic()
            elif time.monotonic() - last_move > stall:
                raise JobFailed(torrent_stalled(download, status, stall))
            heartbeat.beat(done=status.done, total=status.wanted or None, speed=status.speed)
            time.sleep(TORRENT_POLL_SECONDS)
    for leftover in directory.glob(".*.parts"):  # pieces of files that were not wanted
        leftover.unlink()


def torrent_select(download: TorrentDownload, metadata: Path) -> None:
    """Take the torrent's video and subtitle files only; refuse it over the cap or empty."""
    wanted, names = download.select(
        lambda path: Path(path).suffix.lower() in VIDEO_SUFFIXES | SUBTITLE_SUFFIXES
    )
    if not any(Path(name).suffix.lower() in VIDEO_SUFFIXES for name in names):
        raise JobFailed("the torrent holds no video file")
    if wanted > settings.INGEST_MAX_BYTES:
        raise JobFailed(
            f"the torrent's video and subtitle files are {wanted} bytes,"
            f" over INGEST_MAX_BYTES ({settings.INGEST_MAX_BYTES})"
        )
    if not metadata.is_file():
        metadata.write_bytes(download.metadata())


def torrent_stalled(download: TorrentDownload, status, stall: int) -> str:
    what = "made no progress" if status.has_metadata else "found no metadata for the magnet"
    reason = f"stalled: the download {what} in {stall} s ({status.peers} peers)"
    if download.refusals:
        shown = "; ".join(dict.fromkeys(download.refusals))
        reason += f"; refused as inner addresses: {shown[:500]}"
    return reason


def bytes_on_disk(directory: Path) -> int:
    """What the files under `directory` take on disk (allocated blocks, not apparent sizes)."""
    return sum(p.stat().st_blocks * 512 for p in directory.rglob("*") if p.is_file())


def download_over_cap(directory: Path, done: int) -> JobFailed:
    """Remove what a download wrote past the cap; the error that says so."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    return JobFailed(
        f"the download passed INGEST_MAX_BYTES ({settings.INGEST_MAX_BYTES} bytes) at {done}"
        " bytes, the server not having said its size: stopped, its files removed"
    )


def fetch_with_ytdlp(
    job: IngestJob, directory: Path, proxy: GuardProxy, heartbeat: JobHeartbeat
) -> None:
    def progress(done: int, total: int | None, speed: int) -> None:
        heartbeat.beat(done=done, total=total, speed=speed)

    try:
        ytdlp_fetch(
            job.url,
            directory=directory,
            proxy=proxy.url,
            max_height=settings.INGEST_MAX_HEIGHT,
            max_bytes=settings.INGEST_MAX_BYTES,
            progress=progress,
        )
    except YtdlpSizeCapError as exc:
        raise download_over_cap(directory, exc.done) from exc


def items_from(job: IngestJob, download_dir: Path) -> list[IngestItem]:
    """One item per video file, with the subtitles that sit beside it (same stem prefix)."""
    files = sorted(
        p for p in download_dir.rglob("*") if p.is_file() and not p.name.endswith(".aria2")
    )
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES and p.stat().st_size > 0]
    if not videos:
        names = ", ".join(p.name for p in files[:5]) or "nothing"
        raise JobFailed(f"the download holds no video file (found: {names})")
    subtitles = [p for p in files if p.suffix.lower() in SUBTITLE_SUFFIXES]
    items = []
    for video in videos:
        beside = [
            {"path": str(s.relative_to(download_dir)), "language": subtitle_language(s, video)}
            for s in subtitles
            if s.parent == video.parent and (s.stem.startswith(video.stem) or len(videos) == 1)
        ]
        item, _ = IngestItem.objects.get_or_create(
            job=job,
            source_path=str(video.relative_to(download_dir)),
            defaults={"subtitles": beside},
        )
        items.append(item)
    return items


def subtitle_language(subtitle: Path, video: Path) -> str:
    """`Film.en.srt` → "en"; `Film.srt` → "" (unknown)."""
    rest = (
        subtitle.stem[len(video.stem) :].strip(".-_ ")
        if subtitle.stem.startswith(video.stem)
        else ""
    )
    code = rest.split(".")[-1].lower() if rest else ""
    return code if code.isalpha() and 2 <= len(code) <= 3 else ""
