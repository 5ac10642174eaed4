"""The playback profile, decided from what ffprobe says (no file needed)."""

from __future__ import annotations

import pytest

from ingest.clients.ffmpeg import MediaError
from ingest.playback import playback_plan


def video(codec: str = "h264", pix_fmt: str = "yuv420p", height: int = 1080) -> dict:
    return {"codec_type": "video", "codec_name": codec, "pix_fmt": pix_fmt, "height": height}


def audio(codec: str = "aac", channels: int = 2, language: str = "") -> dict:
    stream = {"codec_type": "audio", "codec_name": codec, "channels": channels}
    if language:
        stream["tags"] = {"language": language}
    return stream


def subtitle(codec: str, language: str = "eng") -> dict:
    return {"codec_type": "subtitle", "codec_name": codec, "tags": {"language": language}}


def plan(*streams: dict, container: str = "matroska", max_height: int = 1080):
    return playback_plan({"streams": list(streams)}, container=container, max_height=max_height)


@pytest.mark.parametrize(
    ("streams", "container", "profile"),
    [
        ((video(), audio()), "mp4", "direct"),
        ((video(), audio("mp3")), "mp4", "direct"),
        ((video("vp9"), audio("opus")), "webm", "direct"),
        ((audio(),), "mp4", "direct"),  # audio alone, already what browsers play
        ((video(), audio()), "matroska", "remux"),
        ((video("av1"), audio("opus")), "matroska", "remux"),  # AV1 is kept
        ((video(), audio("opus")), "mp4", "remux"),  # Opus in MP4 is copied, not encoded
        ((video(), audio("ac3", 6)), "matroska", "audio"),
        ((video(), audio("flac")), "mp4", "audio"),
        ((audio("flac"),), "matroska", "audio"),
        ((video("hevc"), audio()), "matroska", "video"),
        ((video("mpeg4"), audio("mp3")), "matroska", "video"),
        ((video(pix_fmt="yuv420p10le"), audio()), "matroska", "video"),
        ((video(pix_fmt="yuv422p"), audio()), "mp4", "video"),
    ],
)
def test_the_profile_is_what_the_browser_needs(streams, container, profile) -> None:
    assert plan(*streams, container=container).profile == profile


def test_several_audio_tracks_are_never_direct_and_all_become_aac() -> None:
    decided = plan(video(), audio(language="eng"), audio(language="fre"), container="mp4")
    assert (decided.profile, decided.fragmented) == ("remux", True)

    mixed = plan(video(), audio(language="eng"), audio("opus", language="fre"))
    assert mixed.profile == "audio"  # HLS renditions are all AAC
    assert [(t.language, t.encode) for t in mixed.audio] == [("eng", False), ("fre", True)]


def test_encoded_audio_is_stereo_aac_and_an_encode_makes_every_track_aac() -> None:
    decided = plan(video("hevc"), audio("mp3"), audio("ac3", 6))
    assert [t.describe()["codec"] for t in decided.audio] == ["aac", "aac"]
    assert [t.describe()["channels"] for t in decided.audio] == [2, 2]


def test_the_encoded_height_is_capped_by_the_source_and_the_setting() -> None:
    assert plan(video("hevc", height=2160), audio(), max_height=1080).height == 1080
    assert plan(video("hevc", height=480), audio(), max_height=1080).height == 480
    assert plan(video("hevc", height=817), audio(), max_height=1080).height == 816  # even


def test_a_remux_replaces_the_original_only_when_it_loses_nothing() -> None:
    assert plan(video(), audio(), subtitle("subrip")).replaces_original is True
    assert plan(video(), audio(), subtitle("ass")).replaces_original is False  # styling
    assert plan(video(), audio(), subtitle("hdmv_pgs_subtitle")).replaces_original is False
    assert plan(video("hevc"), audio()).replaces_original is False  # an encode never does


def test_image_subtitles_are_listed_apart_from_text_ones() -> None:
    decided = plan(video(), audio(), subtitle("subrip"), subtitle("dvd_subtitle", "fre"))
    assert [(s.codec, s.language) for s in decided.text_subtitles] == [("subrip", "eng")]
    assert [s.text for s in decided.subtitles] == [True, False]


def test_nothing_to_play_is_refused() -> None:
    with pytest.raises(MediaError, match="neither a video nor an audio stream"):
        plan(subtitle("subrip"))
