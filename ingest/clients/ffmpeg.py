"""The one place that runs ffprobe and ffmpeg.

`media_probe` says what a file is (and refuses what is not a video); `media_scrub` copies its
streams into a clean container without re-encoding: no global or per-stream tags (titles,
comments, encoder, release-group notes), no chapters, no attachments (fonts, cover art), no
data streams; only each audio and subtitle stream's language is written back.

Downloaded bytes are hostile until proven media. Left to itself, ffmpeg picks a demuxer from
the content and opens whatever it names: a "film" that is an HLS playlist or a concat list
makes it read other files on this machine (another job's download, another tenant's upload)
or URLs. So every call on a downloaded file takes its input options from `media_input`: the
file's first bytes must be one of the containers in `DEMUXERS`, it is read with that demuxer
and no other (`-f`, `-format_whitelist`), and only as a local file (`-protocol_whitelist
file`).
"""

from __future__ import annotations

import ctypes
import json
import re
import signal
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROBE_TIMEOUT = 120
PR_SET_PDEATHSIG = 1
SNIFF_BYTES = 1024
# The containers a downloaded file may be, by the ffmpeg demuxer that reads each: what video
# releases and their subtitles come in. None of them opens other files or URLs (mov's
# external data references stay off, ffmpeg's default). Out: playlists (hls, dash), concat
# lists, image sequences, and every demuxer that takes a URL.
DEMUXERS = ("matroska", "mov", "avi", "mpegts", "flv", "mpeg", "asf", "srt", "ass", "webvtt")
MOV_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"styp", b"pnot")
ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
SRT_CUE = re.compile(rb"\s*\d+\s*\r?\n\d{1,2}:\d\d:\d\d[,.]\d{3}\s*-->")
# What a refused file looks like, for the error: the first match names it.
LOOKALIKES = (
    (b"#EXTM3U", "an HLS playlist (#EXTM3U), which makes ffmpeg read the files it names"),
    (b"ffconcat", "an ffmpeg concat list, which makes ffmpeg read the files it names"),
    (b"file ", "an ffmpeg concat list, which makes ffmpeg read the files it names"),
    (b"<?xml", "an XML document (a DASH manifest or a playlist?)"),
    (b"<MPD", "a DASH manifest, which makes ffmpeg read the files it names"),
    (b"<", "a web page or other markup"),
)
# Containers kept as they are; anything else becomes Matroska, which holds every codec.
KEPT_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".webm": "webm", ".mkv": "matroska"}


class MediaError(Exception):
    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class MediaFacts:
    duration: float | None
    width: int | None
    height: int | None
    video_codec: str
    audio_codec: str
    languages: dict[str, list[str]] = field(default_factory=dict)  # "audio"/"subtitle" -> codes


def container_sniff(head: bytes) -> str | None:
    """The demuxer (one of DEMUXERS) for a file starting with `head`, or None."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # EBML: Matroska and WebM
    if head[4:8] in MOV_BOXES:
        return "mov"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    for offset, size in ((0, 188), (4, 192)):  # MPEG-TS, and M2TS's 4-byte prefix
        packets = head[offset : offset + 3 * size : size]
        if len(head) >= offset + size + 1 and packets == b"G" * len(packets):
            return "mpegts"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "mpeg"  # MPEG program stream (.mpg, .vob)
    if head.startswith(ASF_GUID):
        return "asf"
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"WEBVTT"):
        return "webvtt"
    if text.lstrip().startswith(b"[Script Info]"):
        return "ass"
    if SRT_CUE.match(text):
        return "srt"
    return None


def media_input(path: Path) -> list[str]:
    """The input options with which ffmpeg or ffprobe may read the downloaded file `path`.

    Raises MediaError (permanent) when its first bytes are not a container of DEMUXERS.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise MediaError(f"cannot read {path.name}: {exc.strerror}") from exc
    demuxer = container_sniff(head)
    if demuxer is None:
        stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
        looks = next(
            (what for start, what in LOOKALIKES if stripped.startswith(start)),
            "no container ShadowVault reads" if head else "nothing (the file is empty)",
        )
        raise MediaError(f"{path.name} is not a media file: its first bytes are {looks}")
    return [
        "-protocol_whitelist",
        "file",
        "-format_whitelist",
        ",".join(DEMUXERS),
        "-f",
        demuxer,
        "-i",
        f"file:{path}",
    ]


def streams_probe(path: Path) -> dict:
    """ffprobe's JSON account (format and streams) of `path`; MediaError (permanent) when
    it is not a media file."""
    try:
        result = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                *media_input(path),
            ],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffprobe took longer than {PROBE_TIMEOUT} s on {path.name}") from exc
    if result.returncode != 0:
        raise MediaError(
            f"{path.name} is not a media file ffprobe can read: {result.stderr.strip()[:300]}"
        )
    return json.loads(result.stdout or "{}")


def media_probe(path: Path) -> MediaFacts:
    """What ffprobe reads in `path`; MediaError (permanent) when it is not a video."""
    return media_facts(streams_probe(path), name=path.name)


def media_facts(info: dict, *, name: str) -> MediaFacts:
    """The facts in ffprobe's account `info` of the file called `name`; MediaError
    (permanent) when it has neither video nor audio."""
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video" and not is_cover(s)), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    if video is None and not audio:  # audio alone plays (as audio); nothing at all does not
        raise MediaError(f"{name} has no video or audio stream")
    video = video or {}
    duration = info.get("format", {}).get("duration") or video.get("duration")
    languages: dict[str, list[str]] = {"audio": [], "subtitle": []}
    for stream in streams:
        kind = stream.get("codec_type")
        if kind in languages:
            languages[kind].append(stream.get("tags", {}).get("language", "und"))
    return MediaFacts(
        duration=float(duration) if duration else None,
        width=video.get("width"),
        height=video.get("height"),
        video_codec=video.get("codec_name", ""),
        audio_codec=audio.get("codec_name", ""),
        languages=languages,
    )


def is_cover(stream: dict) -> bool:
    return bool(stream.get("disposition", {}).get("attached_pic"))


def output_container(source: Path) -> tuple[str, str]:
    """(extension, ffmpeg muxer) for the clean copy of `source`."""
    suffix = source.suffix.lower()
    if suffix in KEPT_CONTAINERS:
        return (".mp4" if suffix == ".m4v" else suffix), KEPT_CONTAINERS[suffix]
    return ".mkv", "matroska"


def media_scrub(
    source: Path,
    target: Path,
    *,
    facts: MediaFacts,
    progress: Callable[[float], None] | None = None,
) -> None:
    """Copy `source`'s streams into `target` with identifying metadata stripped."""
    _, muxer = output_container(target)
    maps = ["-map", "0:V:0?", "-map", "0:a?"]  # V: a video that is not cover art
    if muxer == "matroska":
        maps += ["-map", "0:s?"]  # mp4 and webm cannot hold most subtitle formats
    languages = []
    for kind, flag in (("audio", "a"), ("subtitle", "s")):
        if kind == "subtitle" and muxer != "matroska":
            continue
        for index, language in enumerate(facts.languages.get(kind, [])):
            languages += [f"-metadata:s:{flag}:{index}", f"language={language}"]
    command = [
        "ffmpeg",
        "-v",
        "error",
        "-nostdin",
        "-y",
        *media_input(source),
        *maps,
        "-c",
        "copy",
        "-map_metadata",
        "-1",
        "-map_metadata:s:v",
        "-1",
        "-map_metadata:s:a",
        "-1",
        "-map_metadata:s:s",
        "-1",
        "-map_chapters",
        "-1",
        *languages,
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
    ]
    if muxer == "mp4":
        command += ["-movflags", "+faststart"]  # the index first: players start at once
    command += ["-progress", "pipe:1", "-f", muxer, f"file:{target}"]
    run_with_progress(command, facts.duration, progress)


def die_with_parent() -> None:
    """In the child, before exec: be sent SIGKILL when the parent dies (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run_with_progress(
    command: list[str],
    duration: float | None,
    progress: Callable[[float], None] | None,
    *,
    failure: str = "ffmpeg could not copy the streams",
) -> str:
    """Run ffmpeg `command` (with `-progress pipe:1`), reporting percent done to `progress`;
    what it said on stderr (errors it went past). MediaError(`failure`: …) when it fails.

    stderr goes to a file (a damaged input can make ffmpeg say more than a pipe holds while
    we read stdout); ffmpeg is killed if `progress` raises (a cancelled job), and by the
    kernel if this process dies (a SIGKILLed worker leaves no encoder writing behind it).
    """
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            preexec_fn=die_with_parent,
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.isdigit() and duration and progress:
                    progress(min(100.0, int(value) / 1e6 / duration * 100))
        except BaseException:
            process.kill()
            process.wait()
            raise
        errors.seek(0)
        said = errors.read().strip()
        if process.wait() != 0:
            raise MediaError(f"{failure}: {said[-500:]}")
        return said
