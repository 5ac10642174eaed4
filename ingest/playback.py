"""What a browser needs done to a stored file: the playback profile and the ffmpeg to do it.

`playback_plan` reads ffprobe's account of the sanitised original and decides:
- *direct*: it plays as it is: MP4 with H.264 (8-bit 4:2:0) and AAC or MP3, or WebM with
  VP9/AV1 and Opus/Vorbis, one audio track at most;
- *remux*: browser-safe codecs in another container, or several audio tracks: the streams
  are copied into MP4, nothing is re-encoded;
- *audio*: the video is safe, some audio is not (AC3, EAC3, DTS, TrueHD, FLAC, PCM, …):
  the video is copied, the audio encoded to AAC;
- *video*: anything else (HEVC, MPEG-4 Part 2, 10-bit or 4:2:2 H.264, …): H.264 8-bit 4:2:0
  with libx264 (INGEST_WEB_PRESET, INGEST_WEB_CRF), no taller than the source or
  INGEST_MAX_HEIGHT, and AAC audio.

Choices, and why:
- VP9 and AV1 are kept, not encoded: Chromium, Firefox, Edge and Chrome on Android decode
  both, encoding them costs about real time per film on a small box and loses quality, and an
  AV1 release is usually already the small, efficient copy. Left out: Safari before 14 (VP9)
  and Apple devices without an AV1 decoder (before iPhone 15 Pro / M3), most smart-TV
  browsers and older Android devices. They can still fetch the original.
- Encoded audio is AAC-LC stereo (160 kb/s): browsers output stereo on nearly every device
  and down-mix 5.1 inconsistently (Chromium drops the LFE, some platforms refuse 5.1 AAC in
  MSE); ffmpeg's down-mix keeps the centre channel (dialogue) at a fixed level. The original,
  with its 5.1, stays stored for home-theatre players.
- When anything is re-encoded every audio track becomes AAC, the one audio codec every MP4
  player has; a remux copies AAC, MP3 and Opus as they are.
- Several audio tracks: the web version is a fragmented MP4 with one track per fragment
  (ingest/fragments.py), played over HLS with alternate audio renditions (hls.js), since
  Firefox has no `video.audioTracks`. Those tracks are all AAC (one codec per rendition
  group keeps hls.js on one SourceBuffer type).
- A remux replaces the stored original only when it loses nothing: every audio and video
  stream copied, text subtitles carried as mov_text. Image subtitles (PGS, VobSub) and
  ASS/SSA styling have no place in MP4, so then the remux is stored beside the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .clients.ffmpeg import MediaError, is_cover, media_input

SAFE_AUDIO = {"aac", "mp3", "opus"}
DIRECT_AUDIO = {"mp4": {"aac", "mp3"}, "webm": {"opus", "vorbis"}}
KEPT_VIDEO = {"vp9", "av1"}
EIGHT_BIT_420 = {"yuv420p", "yuvj420p"}
TEXT_SUBTITLES = {"subrip", "ass", "ssa", "mov_text", "webvtt", "text"}
STYLED_SUBTITLES = {"ass", "ssa"}
AUDIO_BITRATE = "160k"
KEYFRAME_SECONDS = 4  # encoded video: a keyframe (and an HLS segment) every 4 s


@dataclass(frozen=True)
class AudioTrack:
    index: int  # among the file's audio streams
    codec: str
    channels: int
    language: str
    title: str
    encode: bool = False

    def describe(self) -> dict:
        return {
            "language": self.language,
            "title": self.title,
            "codec": "aac" if self.encode else self.codec,
            "channels": min(self.channels, 2) if self.encode else self.channels,
        }


@dataclass(frozen=True)
class SubtitleTrack:
    index: int  # among the file's subtitle streams
    codec: str
    language: str
    title: str

    @property
    def text(self) -> bool:
        return self.codec in TEXT_SUBTITLES


@dataclass(frozen=True)
class PlaybackPlan:
    profile: str  # direct, remux, audio, video
    video_codec: str = ""
    encode_video: bool = False
    height: int | None = None  # of the web version, when the video is encoded
    audio: list[AudioTrack] = field(default_factory=list)
    subtitles: list[SubtitleTrack] = field(default_factory=list)
    replaces_original: bool = False

    @property
    def fragmented(self) -> bool:
        """Several audio tracks: HLS renditions over a fragmented MP4."""
        return len(self.audio) > 1

    @property
    def text_subtitles(self) -> list[SubtitleTrack]:
        return [s for s in self.subtitles if s.text]


def tag(stream: dict, name: str) -> str:
    tags = {key.lower(): value for key, value in stream.get("tags", {}).items()}
    value = str(tags.get(name, ""))
    return "" if value == "und" else value


def video_safe(stream: dict) -> bool:
    codec = stream.get("codec_name", "")
    if codec in KEPT_VIDEO:
        return True
    return codec == "h264" and stream.get("pix_fmt") in EIGHT_BIT_420


def playback_plan(info: dict, *, container: str, max_height: int) -> PlaybackPlan:
    """The profile and tracks for a file ffprobe described as `info`.

    `container` is the stored file's: "mp4", "webm" or anything else (Matroska). Raises
    MediaError (permanent) when there is neither video nor audio to play.
    """
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video" and not is_cover(s)), None)
    audio_streams = [s for s in streams if s.get("codec_type") == "audio"]
    if video is None and not audio_streams:
        raise MediaError("the file has neither a video nor an audio stream")
    subtitles = [
        SubtitleTrack(i, s.get("codec_name", ""), tag(s, "language"), tag(s, "title"))
        for i, s in enumerate(s for s in streams if s.get("codec_type") == "subtitle")
    ]
    several = len(audio_streams) > 1
    video_ok = video is None or video_safe(video)
    audio_ok = all(s.get("codec_name") in SAFE_AUDIO for s in audio_streams)
    if several:  # HLS renditions are all AAC
        audio_ok = all(s.get("codec_name") == "aac" for s in audio_streams)
    direct_audio = DIRECT_AUDIO.get(container, set())
    if (
        video_ok
        and not several
        and all(s.get("codec_name") in direct_audio for s in audio_streams)
        and (video is None or direct_video(video, container))
    ):
        profile = "direct"
    elif video_ok and audio_ok:
        profile = "remux"
    elif video_ok:
        profile = "audio"
    else:
        profile = "video"
    encode_audio = profile in ("audio", "video")
    audio = [
        AudioTrack(
            index=i,
            codec=s.get("codec_name", ""),
            channels=int(s.get("channels") or 2),
            language=tag(s, "language"),
            title=tag(s, "title"),
            encode=encode_audio and s.get("codec_name") != "aac",
        )
        for i, s in enumerate(audio_streams)
    ]
    height = None
    if profile == "video" and video is not None:
        height = min(int(video.get("height") or max_height), max_height)
        height -= height % 2
    lossless = profile == "remux" and not any(
        not s.text or s.codec in STYLED_SUBTITLES for s in subtitles
    )
    return PlaybackPlan(
        profile=profile,
        video_codec=video.get("codec_name", "") if video else "",
        encode_video=profile == "video",
        height=height,
        audio=audio,
        subtitles=subtitles,
        replaces_original=lossless,
    )


def direct_video(video: dict, container: str) -> bool:
    codec = video.get("codec_name")
    return (container == "mp4" and codec == "h264") or (container == "webm" and codec in KEPT_VIDEO)


def web_command(
    source: Path, target: Path, plan: PlaybackPlan, *, preset: str, crf: int
) -> list[str]:
    """The ffmpeg command that writes `plan`'s web version of `source` to `target` (MP4)."""
    command = ["ffmpeg", "-v", "error", "-nostdin", "-y", *media_input(source)]
    if plan.video_codec:
        command += ["-map", "0:V:0"]
    for track in plan.audio:
        command += ["-map", f"0:a:{track.index}"]
    carried = plan.text_subtitles if plan.replaces_original else []
    for track in carried:
        command += ["-map", f"0:s:{track.index}"]
    command += ["-map_metadata", "-1", "-map_chapters", "-1"]
    if plan.encode_video:
        command += [
            *("-c:v", "libx264", "-preset", preset, "-crf", str(crf)),
            *("-profile:v", "high", "-pix_fmt", "yuv420p"),
            *("-vf", f"scale=-2:{plan.height}:flags=bicubic,format=yuv420p"),
            *("-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"),
        ]
    elif plan.video_codec:
        command += ["-c:v", "copy"]
    for position, track in enumerate(plan.audio):
        if track.encode:
            command += [f"-c:a:{position}", "aac", f"-b:a:{position}", AUDIO_BITRATE]
            if track.channels > 2:
                command += [f"-ac:a:{position}", "2"]
        else:
            command += [f"-c:a:{position}", "copy"]
        command += [f"-metadata:s:a:{position}", f"language={track.language or 'und'}"]
        if track.title:
            command += [f"-metadata:s:a:{position}", f"title={track.title}"]
    for position, track in enumerate(carried):
        command += [f"-c:s:{position}", "mov_text"]
        command += [f"-metadata:s:s:{position}", f"language={track.language or 'und'}"]
    if plan.fragmented:
        flags = "+frag_keyframe+empty_moov+default_base_moof+separate_moof"
        command += ["-movflags", flags, "-min_frag_duration", "2000000"]
    else:
        command += ["-movflags", "+faststart"]
    command += ["-fflags", "+bitexact", "-progress", "pipe:1", "-f", "mp4", f"file:{target}"]
    return command
