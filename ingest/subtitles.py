"""Subtitles as browsers read them: WebVTT objects stored beside the video file.

Text subtitles embedded in a file (subrip, ass/ssa, mov_text, webvtt), found beside it in a
download (.srt, .ass, .ssa, .vtt) or uploaded by a curator are converted to WebVTT by ffmpeg
(reading them like any downloaded file: `media_input`) and stored through the storage
backend; the gateway serves them with signed links like media. Image subtitles (PGS, VobSub)
cannot become text: they get a row that says they are kept only in the original file.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction

from library.models import MediaFile, Subtitle
from shadowvault.storage import StorageBackend, StorageError

from .clients.ffmpeg import MediaError, media_input
from .playback import SubtitleTrack

log = logging.getLogger(__name__)
CONVERT_TIMEOUT = 300
VTT_MIME = "text/vtt"
MAX_SUBTITLE_BYTES = 10 * 1024 * 1024


def vtt_run(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{what} took longer than {CONVERT_TIMEOUT} s") from exc
    if result.returncode != 0:
        raise MediaError(f"{what} failed: {result.stderr.strip()[-300:]}")


def subtitle_to_vtt(source: Path, target: Path) -> Path:
    """Convert the subtitle file `source` (SubRip, ASS/SSA or WebVTT) to WebVTT at `target`.

    Raises MediaError when it is not a subtitle file ffmpeg reads, or is too big to be one.
    """
    if source.stat().st_size > MAX_SUBTITLE_BYTES:
        raise MediaError(f"{source.name} is over {MAX_SUBTITLE_BYTES} bytes: not a subtitle file")
    command = ["ffmpeg", "-v", "error", "-nostdin", "-y", *media_input(source)]
    vtt_run(
        [*command, "-map", "0:s:0", "-c:s", "webvtt", "-f", "webvtt", f"file:{target}"],
        f"converting {source.name} to WebVTT",
    )
    return target


def embedded_to_vtt(source: Path, tracks: list[SubtitleTrack], directory: Path) -> list[Path]:
    """Extract each text subtitle track of `source` to WebVTT in one ffmpeg run."""
    if not tracks:
        return []
    command = ["ffmpeg", "-v", "error", "-nostdin", "-y", *media_input(source)]
    targets = [directory / f"embedded-{track.index}.vtt" for track in tracks]
    for track, target in zip(tracks, targets, strict=True):
        command += ["-map", f"0:s:{track.index}", "-c:s", "webvtt", "-f", "webvtt"]
        command.append(f"file:{target}")
    vtt_run(command, "extracting the embedded subtitles")
    return targets


def vtt_store(
    path: Path,
    *,
    media_file: MediaFile,
    backend: StorageBackend,
    language: str,
    title: str = "",
    codec: str = "",
    origin: str,
) -> Subtitle:
    """Store the WebVTT file `path` and list it as a subtitle track of `media_file`."""
    stem = Path(media_file.name).stem
    name = f"{stem}{'.' + language if language else ''}.vtt"
    try:
        locator = backend.put(path, name=name, tenant_id=media_file.title.tenant_id)
    except StorageError as exc:
        raise MediaError(f"storage: {exc}", permanent=exc.permanent) from exc
    return Subtitle.objects.create(
        media_file=media_file,
        language=language[:16],
        title=title[:200],
        codec=codec[:32],
        origin=origin,
        name=name,
        storage=backend.name,
        locator=locator,
        size=path.stat().st_size,
        sha256=locator.get("sha256", ""),
        mime=VTT_MIME,
    )


def embedded_subtitles_store(
    source: Path,
    tracks: Iterable[SubtitleTrack],
    *,
    media_file: MediaFile,
    backend: StorageBackend,
    directory: Path,
) -> list[Subtitle]:
    """Replace `media_file`'s embedded subtitle rows: text tracks as WebVTT, image ones listed."""
    tracks = list(tracks)
    text = [track for track in tracks if track.text]
    converted = embedded_to_vtt(source, text, directory)
    with transaction.atomic():
        media_file.subtitles.filter(origin=Subtitle.Origin.EMBEDDED).delete()
        rows = [
            vtt_store(
                path,
                media_file=media_file,
                backend=backend,
                language=track.language,
                title=track.title,
                codec=track.codec,
                origin=Subtitle.Origin.EMBEDDED,
            )
            for track, path in zip(text, converted, strict=True)
        ]
        for track in tracks:
            if not track.text:
                rows.append(
                    Subtitle.objects.create(
                        media_file=media_file,
                        language=track.language[:16],
                        title=track.title[:200],
                        codec=track.codec[:32],
                        origin=Subtitle.Origin.EMBEDDED,
                        image=True,
                        name=f"{track.codec} (in the original file)",
                        storage="",
                        mime="",
                    )
                )
    return rows


def side_subtitle_store(
    path: Path,
    *,
    media_file: MediaFile,
    backend: StorageBackend,
    language: str,
    origin: str = Subtitle.Origin.SIDE,
    title: str = "",
) -> Subtitle:
    """Convert a subtitle file (from a download or a curator) to WebVTT and store it.

    Raises MediaError when it is not a subtitle file.
    """
    target = path.with_name(f"{path.name}.converted.vtt")
    try:
        subtitle_to_vtt(path, target)
        codec = {".srt": "subrip", ".ass": "ass", ".ssa": "ssa", ".vtt": "webvtt"}.get(
            path.suffix.lower(), ""
        )
        return vtt_store(
            target,
            media_file=media_file,
            backend=backend,
            language=language,
            title=title,
            codec=codec,
            origin=origin,
        )
    finally:
        target.unlink(missing_ok=True)
