"""The everyday kinds of file, made by ffmpeg: tiny (160x120, 4 s), each with a known tone.

Each case says what the web-version step must decide for it and what ffprobe must then see
in what the browser plays. The audio of every case is a sine at `tone` Hz, so a browser
test can tell from the decoded sound which track it hears (the two-language file has
440 Hz in English and 1320 Hz in French).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SECONDS = 4
SIZE = "160x120"
H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
HEVC = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=none"]
SRT = "1\n00:00:01,000 --> 00:00:03,500\nHello from the subtitles\n"
ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, Bold, Italic, Alignment, MarginL, MarginR, MarginV
Style: Default,Arial,20,&H00FFFFFF,0,0,2,10,10,10

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:03.50,Default,,0,0,0,,{\\b1}Bonjour{\\b0} des sous-titres
"""


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    video: list[str]
    audio: list[str]
    profile: str  # what the web-version step decides
    web_video: str  # what ffprobe calls the video browsers get ("" for audio only)
    web_audio: str
    replaces: bool = False  # a lossless remux: the stored original is replaced
    tone: int = 440
    pix_fmt: str = "yuv420p"
    extra: list[str] = field(default_factory=list)  # more inputs and maps (two languages)

    @property
    def has_web_version(self) -> bool:
        return self.profile != "direct" and not self.replaces


CASES = [
    Case("h264-aac-mkv", "a.mkv", H264, ["-c:a", "aac"], "remux", "h264", "aac", replaces=True),
    Case(
        "h264-ac3-51-mkv",
        "b.mkv",
        H264,
        ["-c:a", "ac3", "-ac", "6"],
        "audio",
        "h264",
        "aac",
    ),
    Case(
        "hevc-aac-mkv",
        "c.mkv",
        [*HEVC, "-pix_fmt", "yuv420p"],
        ["-c:a", "aac"],
        "video",
        "h264",
        "aac",
    ),
    Case(
        "hevc10-eac3-mkv",
        "d.mkv",
        [*HEVC, "-pix_fmt", "yuv420p10le"],
        ["-c:a", "eac3"],
        "video",
        "h264",
        "aac",
    ),
    Case(
        "vp9-opus-webm",
        "e.webm",
        ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"],
        ["-c:a", "libopus"],
        "direct",
        "vp9",
        "opus",
    ),
    Case(
        "mpeg4-mp3-avi", "f.avi", ["-c:v", "mpeg4"], ["-c:a", "libmp3lame"], "video", "h264", "aac"
    ),
    Case(
        "av1-opus-mkv",
        "g.mkv",
        ["-c:v", "libsvtav1", "-preset", "12", "-pix_fmt", "yuv420p"],
        ["-c:a", "libopus"],
        "remux",
        "av1",
        "opus",
        replaces=True,
    ),
    Case(
        "h264-10bit-flac-mkv",
        "h.mkv",
        ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"],
        ["-c:a", "flac"],
        "video",
        "h264",
        "aac",
    ),
    Case("h264-pcm-mov", "i.mov", H264, ["-c:a", "pcm_s16le"], "audio", "h264", "aac"),
    Case(
        "two-languages-mkv",
        "j.mkv",
        H264,
        ["-c:a", "aac"],
        "remux",
        "h264",
        "aac",
        extra=["two-languages"],
    ),
]
BY_NAME = {case.name: case for case in CASES}


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, capture_output=True
    )


def case_make(case: Case, directory: Path) -> Path:
    """Write `case`'s file into `directory`; its path."""
    target = directory / case.file
    video = ["-f", "lavfi", "-i", f"testsrc=duration={SECONDS}:size={SIZE}:rate=25"]
    tone = ["-f", "lavfi", "-i", f"sine=frequency={case.tone}:duration={SECONDS}"]
    if not case.extra:
        ffmpeg(*video, *tone, *case.video, *case.audio, "-shortest", str(target))
        return target
    (directory / "j.srt").write_text(SRT)
    (directory / "j.ass").write_text(ASS)
    ffmpeg(
        *video,
        *tone,
        *("-f", "lavfi", "-i", f"sine=frequency=1320:duration={SECONDS}"),
        *("-i", str(directory / "j.srt"), "-i", str(directory / "j.ass")),
        *("-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map", "4"),
        *case.video,
        *case.audio,
        *("-c:s:0", "srt", "-c:s:1", "ass"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=English"),
        *("-metadata:s:a:1", "language=fre", "-metadata:s:a:1", "title=Français"),
        *("-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=English"),
        *("-metadata:s:s:1", "language=fre", "-metadata:s:s:1", "title=Français stylé"),
        str(target),
    )
    return target


def audio_only(directory: Path) -> Path:
    """FLAC alone in Matroska: no picture, a sound."""
    target = directory / "audio-only.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}", "-c:a", "flac", str(target)
    )
    return target


def hevc_4k(directory: Path) -> Path:
    """A 3840x2160 HEVC file of one second in two flat frames: its web version is capped."""
    target = directory / "uhd.mkv"
    ffmpeg(
        *("-f", "lavfi", "-i", "color=c=navy:size=3840x2160:rate=2:duration=1"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=1"),
        *HEVC,
        *("-pix_fmt", "yuv420p", "-c:a", "aac", str(target)),
    )
    return target


def corrupt(directory: Path) -> Path:
    """A Matroska header whose streams are noise: ffprobe reads it, no decoder can."""
    good = directory / "corrupt-source.mkv"
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc=duration={SECONDS}:size={SIZE}:rate=25"),
        *HEVC,
        *("-pix_fmt", "yuv420p", str(good)),
    )
    data = bytearray(good.read_bytes())
    for offset in range(600, len(data), 7):  # leave the header, scramble the frames
        data[offset] ^= 0x5A
    target = directory / "corrupt.mkv"
    target.write_bytes(bytes(data))
    good.unlink()
    return target


def sanitised(made: Path, directory: Path, name: str) -> Path:
    """What the sanitise step stores for `made`: MOV and AVI become Matroska (the other
    containers are kept, and stripping tags changes nothing the web-version step reads)."""
    from ingest.clients.ffmpeg import media_probe, media_scrub, output_container

    extension, _ = output_container(made)
    clean = directory / f"{name}{extension}"
    if extension == made.suffix:
        return made.rename(clean)
    media_scrub(made, clean, facts=media_probe(made))
    return clean


def matrix_build(directory: Path) -> dict[str, Path]:
    """Every case, plus the bad inputs, as the store step would keep them; by case name.

    Two at a time: the machine has two cores and each ffmpeg mostly uses one.
    """
    from concurrent.futures import ThreadPoolExecutor

    made_dir = directory / "made"
    made_dir.mkdir()

    def build(case: Case) -> tuple[str, Path]:
        return case.name, sanitised(case_make(case, made_dir), directory, case.name)

    def bad(name: str, make) -> tuple[str, Path]:
        if name == "corrupt":  # stored as it is: its header passes, its frames do not
            return name, make(directory)
        return name, sanitised(make(made_dir), directory, name)

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(build, case) for case in CASES]
        jobs += [
            pool.submit(bad, name, make)
            for name, make in (("audio-only", audio_only), ("uhd", hevc_4k), ("corrupt", corrupt))
        ]
        return dict(job.result() for job in jobs)
