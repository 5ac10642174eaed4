"""The one place that runs yt-dlp: one best file of a video page, through the guard proxy.

Every request yt-dlp makes (the page, its API calls, the media, a generic page's `<video src>`)
goes through the job's guard proxy, so the generic extractor can only reach what the guard
lets through. Live streams and playlists are refused; the height and size caps apply, the size
cap on the bytes received when the server does not announce a size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.utils import DownloadError


class YtdlpError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class YtdlpSizeCapError(YtdlpError):
    """The download passed the size cap without having announced its size."""

    def __init__(self, done: int, max_bytes: int) -> None:
        super().__init__(f"the download passed {max_bytes} bytes", permanent=True)
        self.done = done


def refuse_live(info: dict[str, Any], *, incomplete: bool) -> str | None:
    if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
        return "live streams are not fetched"
    return None


def ytdlp_fetch(
    url: str,
    *,
    directory: Path,
    proxy: str,
    max_height: int,
    max_bytes: int,
    progress: Callable[[int, int | None, int], None],
) -> Path:
    """Download the best single file of `url` into `directory`; return its path.

    `progress(done, total or None, speed)` is called as bytes arrive. Raises YtdlpError.
    """

    def hook(status: dict[str, Any]) -> None:
        if status.get("status") == "downloading":
            done = status.get("downloaded_bytes") or 0
            if done > max_bytes:  # max_filesize holds only for a size announced in advance
                raise YtdlpSizeCapError(done, max_bytes)
            total = status.get("total_bytes") or status.get("total_bytes_estimate")
            progress(done, total, int(status.get("speed") or 0))

    options = {
        "outtmpl": str(directory / "%(title).120B [%(id)s].%(ext)s"),
        "restrictfilenames": True,
        # one file (no merging step): the best single stream within the height cap
        "format": f"b[height<={max_height}]/b",
        "noplaylist": True,
        "playlist_items": "1",
        "proxy": proxy,
        "max_filesize": max_bytes,
        "match_filter": refuse_live,
        "progress_hooks": [hook],
        # yt-dlp never runs ffmpeg (no fallback downloader, no fix-ups): every ffmpeg run on
        # downloaded bytes is ours, with media_input's allow-lists.
        "ffmpeg_location": os.devnull + "/no-ffmpeg",
        "hls_prefer_native": True,
        "fixup": "never",
        "socket_timeout": 30,
        "retries": 3,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "cachedir": False,
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=True)
    except YtdlpSizeCapError:
        raise
    except DownloadError as exc:
        if isinstance(exc.exc_info[1], YtdlpSizeCapError):
            raise exc.exc_info[1] from exc
        message = str(exc).removeprefix("ERROR: ")
        transient = any(
            word in message.lower() for word in ("timed out", "temporarily", "503", "429")
        )
        raise YtdlpError(f"yt-dlp: {message}", permanent=not transient) from exc
    if info is None:
        raise YtdlpError(
            "yt-dlp found nothing to download (live stream or filtered out)", permanent=True
        )
    path = Path(
        info.get("requested_downloads", [{}])[0].get("filepath") or ydl.prepare_filename(info)
    )
    if not path.exists():
        raise YtdlpError(
            "yt-dlp skipped the file (over the size cap or filtered out)", permanent=True
        )
    return path
